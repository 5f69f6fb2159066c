package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// irssi, a real terminal IRC client, in tmux: it logs in with SASL PLAIN
// as configured in its chatnet, and by typing /msg NickServ IDENTIFY. An
// observer connected over TCP checks the result on the server side (the
// JOIN from irssi's autojoin, WHOIS 330, account-notify), so nothing
// depends on reading irssi's screen; the screen is shown on failure.

// tmuxIrssi runs irssi with home dir in a detached tmux session on a
// private tmux server, and returns a function that types a line into it.
func tmuxIrssi(t *testing.T, home string) func(keys string) {
	t.Helper()
	tmux := needTool(t, "tmux", "tmux")
	irssi := needTool(t, "irssi", "irssi")
	socket := fmt.Sprintf("chatd-test-%d-%s", os.Getpid(), t.Name())
	session := "irssi"
	run := func(args ...string) string {
		out, err := exec.Command(tmux, append([]string{"-L", socket}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("new-session", "-d", "-s", session, "-x", "120", "-y", "40", irssi, "--home="+home)
	t.Cleanup(func() {
		if t.Failed() {
			if out, err := exec.Command(tmux, "-L", socket, "capture-pane", "-p", "-t", session).CombinedOutput(); err == nil {
				t.Logf("irssi's screen:\n%s", out)
			}
		}
		exec.Command(tmux, "-L", socket, "kill-server").Run()
	})
	return func(keys string) { run("send-keys", "-t", session, keys, "Enter") }
}

// irssiConfig writes an irssi config that connects to addr as nick and
// joins #class; sasl adds a SASL PLAIN login to the chatnet. irssi does
// not save its settings when it quits (clients/chatd.pl changes one), so
// nothing writes to home while the test removes it.
func irssiConfig(t *testing.T, addr, nick, sasl string) string {
	t.Helper()
	home := t.TempDir()
	host, port, _ := strings.Cut(addr, ":")
	conf := fmt.Sprintf(`servers = (
  { address = "%s"; chatnet = "chatd"; port = "%s"; use_tls = "no"; autoconnect = "yes"; }
);
chatnets = { chatd = { type = "IRC"; %s }; };
channels = ( { name = "#class"; chatnet = "chatd"; autojoin = "yes"; } );
settings = {
  core = { real_name = "Irssi User"; user_name = "%s"; nick = "%s"; settings_autosave = "no"; };
  "fe-common/core" = { autolog = "no"; };
};
`, host, port, sasl, nick, nick)
	if err := os.WriteFile(filepath.Join(home, "config"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	// Without its flood queue (a command every 2.2 s once five are out)
	// irssi sends what it has at once, and the tests need not wait.
	if err := os.WriteFile(filepath.Join(home, "startup"), []byte("set cmd_queue_speed 0\nset cmds_max_at_once 1000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

// observer registers a client with account-notify and extended-join in
// #class.
func observer(t *testing.T, addr string) *rawClient {
	t.Helper()
	o := dialRaw(t, addr)
	o.send("CAP REQ :account-notify extended-join")
	o.send("NICK watcher")
	o.send("USER watcher 0 * :Watcher")
	o.send("CAP END")
	o.expect("welcome", hasNumeric("001"))
	o.send("JOIN #class")
	o.expect("NAMES", hasNumeric("366"))
	return o
}

func TestIrssiSASLPlain(t *testing.T) {
	d, _ := startTestDaemon(t, []string{`lobby = ""`}, nil)
	addr := d.addrs()[0].String()
	registerAccount(t, addr, "pupil", "password123")
	o := observer(t, addr)

	tmuxIrssi(t, irssiConfig(t, addr, "pupil", `sasl_mechanism = "PLAIN"; sasl_username = "pupil"; sasl_password = "password123";`))
	// extended-join carries the account: irssi was logged in before it
	// joined, so SASL completed during registration.
	join := o.expect("irssi's JOIN", func(l string) bool { return strings.HasPrefix(l, ":pupil!") && field(l, 1) == "JOIN" })
	if field(join, 3) != "pupil" {
		t.Fatalf("irssi joined without an account: %s", join)
	}
	o.send("WHOIS pupil")
	if l := o.expect("330", func(l string) bool { return field(l, 1) == "330" || field(l, 1) == "318" }); field(l, 4) != "pupil" {
		t.Errorf("WHOIS shows no account: %s", l)
	}
}

func TestIrssiNickServIdentify(t *testing.T) {
	d, _ := startTestDaemon(t, []string{`lobby = ""`}, nil)
	addr := d.addrs()[0].String()
	registerAccount(t, addr, "pupil", "password123")
	o := observer(t, addr)

	typeLine := tmuxIrssi(t, irssiConfig(t, addr, "pupil", ""))
	join := o.expect("irssi's JOIN", func(l string) bool { return strings.HasPrefix(l, ":pupil!") && field(l, 1) == "JOIN" })
	if field(join, 3) != "*" {
		t.Fatalf("irssi joined logged in already: %s", join)
	}
	typeLine("/msg NickServ IDENTIFY password123")
	o.expect("ACCOUNT pupil", func(l string) bool { return strings.HasPrefix(l, ":pupil!") && strings.HasSuffix(l, " ACCOUNT pupil") })
	o.send("WHOIS pupil")
	if l := o.expect("330", func(l string) bool { return field(l, 1) == "330" || field(l, 1) == "318" }); field(l, 4) != "pupil" {
		t.Errorf("WHOIS shows no account: %s", l)
	}
}
