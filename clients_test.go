package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The client scripts the README tells people to load (clients/chatd.pl
// for irssi, clients/chatd.py for WeeChat), run in the real clients
// against the chatd binary: the course commands are typed as in HexChat,
// a /pm lands in the query with the other person (where the client logs
// it), and the server's answers reach the screen or the server buffer.
// irssi needs a terminal, so it runs in tmux on a private tmux server;
// WeeChat runs headless and takes commands through its FIFO.

// pollFor polls what every few milliseconds until it contains want,
// failing after binTimeout with the last text seen.
func pollFor(t *testing.T, what string, read func() string, want string) {
	t.Helper()
	deadline := time.Now().Add(binTimeout)
	for {
		got := read()
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in %s after %v; it has:\n%s", want, what, binTimeout, got)
		}
		time.Sleep(20 * time.Millisecond) // polling a file another process writes
	}
}

func readFile(path string) func() string {
	return func() string { b, _ := os.ReadFile(path); return string(b) }
}

// clientWorld is a chatd binary with bob, a raw client, in the lobby.
func clientWorld(t *testing.T) (*chatdProc, *rawClient) {
	t.Helper()
	p := startChatd(t, "-config", writeConfig(t, "[flood]", "enabled = false"))
	bob := dialRaw(t, p.addr)
	bob.send("NICK bob")
	bob.send("USER bob 0 * :Bob")
	bob.expect("bob's lobby JOIN", isLine(":bob!bob@127.0.0.1 JOIN #lobby"))
	return p, bob
}

func TestIrssiScript(t *testing.T) {
	irssi := needTool(t, "irssi", "irssi")
	tmux := needTool(t, "tmux", "tmux")
	p, bob := clientWorld(t)
	home := t.TempDir()
	logs := filepath.Join(home, "logs")
	writeFile(t, filepath.Join(home, "config"), `settings = {
  core = { real_name = "Alice"; user_name = "alice"; nick = "alice"; settings_autosave = "no"; };
  "fe-common/core" = { autolog = "yes"; autolog_path = "`+logs+`/$0.log"; };
};
`)
	// Without its flood queue (a command every 2.2 s once five are out)
	// irssi sends what is typed at once, and the test need not wait.
	writeFile(t, filepath.Join(home, "startup"), "set cmd_queue_speed 0\nset cmds_max_at_once 1000\n")
	script, err := os.ReadFile(filepath.Join("clients", "chatd.pl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(home, "scripts", "autorun"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, "scripts", "autorun", "chatd.pl"), string(script))

	host, port, _ := strings.Cut(p.addr, ":")
	socket := "chatd-test-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	tm := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(tmux, append([]string{"-L", socket}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %q: %v\n%s", args, err, out)
		}
		return string(out)
	}
	tm("new-session", "-d", "-s", "irssi", "-x", "160", "-y", "50",
		fmt.Sprintf("%s --home=%s -c %s -p %s -n alice", irssi, home, host, port))
	t.Cleanup(func() { exec.Command(tmux, "-L", socket, "kill-server").Run() })
	screen := func() string { return tm("capture-pane", "-p", "-t", "irssi") }
	typeLine := func(line string) {
		t.Helper()
		tm("send-keys", "-t", "irssi", "-l", line)
		tm("send-keys", "-t", "irssi", "Enter")
	}
	bob.expect("irssi's lobby JOIN", func(l string) bool { return strings.HasPrefix(l, ":alice!") && strings.HasSuffix(l, " JOIN #lobby") })

	// /pm: bob gets it, and irssi files its copy in the query with bob.
	typeLine("/pm bob hello from irssi")
	bob.expect("the PM", func(l string) bool { return strings.HasSuffix(l, " PRIVMSG bob :hello from irssi") })
	pollFor(t, "irssi's log of the query with bob", readFile(filepath.Join(logs, "bob.log")), "<alice> hello from irssi")
	if _, err := os.Stat(filepath.Join(logs, "alice.log")); err == nil {
		t.Errorf("irssi opened a query with itself:\n%s", readFile(filepath.Join(logs, "alice.log"))())
	}

	// /cg creates the group with irssi's user as its operator; /gc talks
	// there, and irssi shows its copy in the group's window.
	typeLine("/cg games")
	pollFor(t, "irssi's log of #games", readFile(filepath.Join(logs, "#games.log")), "has joined #games")
	bob.send("JG games")
	names := bob.expect("NAMES #games", func(l string) bool { return strings.Contains(l, " 353 bob = #games ") })
	if !strings.Contains(names, "@alice") {
		t.Errorf("NAMES after /cg: %q, want alice as the group's operator", names)
	}
	typeLine("/gc games hello group")
	bob.expect("the GC", func(l string) bool { return strings.HasSuffix(l, " PRIVMSG #games :hello group") })
	pollFor(t, "irssi's log of #games", readFile(filepath.Join(logs, "#games.log")), "<@alice> hello group")

	// The answers reach the screen: ONLINE's sentence, and standard replies
	// (FAIL, NOTE) as "JG: ..." rather than irssi's raw line.
	typeLine("/window 1")
	typeLine("/online")
	pollFor(t, "irssi's screen", screen, "Online now: alice (you), bob")
	typeLine("/jg nosuchgroup")
	pollFor(t, "irssi's screen", screen, "JG: There is no group #nosuchgroup (GROUPS lists them; CG nosuchgroup creates it)")
	typeLine("/cg games")
	pollFor(t, "irssi's screen", screen, "CG: You are already in #games; type GC games <message> to talk there")
	if strings.Contains(screen(), "FAIL JG") || strings.Contains(screen(), "NOTE CG") {
		t.Errorf("irssi shows the raw FAIL line:\n%s", screen())
	}
}

func TestWeechatScript(t *testing.T) {
	weechat := needWeechatPython(t)
	p, bob := clientWorld(t)
	dir := t.TempDir()
	script, err := filepath.Abs(filepath.Join("clients", "chatd.py"))
	if err != nil {
		t.Fatal(err)
	}
	command := startWeechat(t, weechat, dir, []string{
		"/set logger.file.flush_delay 0",
		"/set irc.server_default.anti_flood_prio_high 0",
		"/python load " + script,
		"/server add chatd " + strings.Replace(p.addr, ":", "/", 1) + " -notls -nicks=carol -username=carol -realname=Carol",
		"/connect chatd",
	}, func() {
		bob.expect("WeeChat's lobby JOIN", func(l string) bool { return strings.HasPrefix(l, ":carol!") && strings.HasSuffix(l, " JOIN #lobby") })
	})
	logs := filepath.Join(dir, "logs")

	// The script asked for znc.in/self-message, so the copy of a /pm is
	// filed in the private buffer with bob.
	command("pm bob hello from weechat")
	bob.expect("the PM", func(l string) bool { return strings.HasSuffix(l, " PRIVMSG bob :hello from weechat") })
	pollFor(t, "WeeChat's log of the query with bob", readFile(filepath.Join(logs, "irc.chatd.bob.weechatlog")), "carol\thello from weechat")

	command("cg games")
	pollFor(t, "WeeChat's log of #games", readFile(filepath.Join(logs, "irc.chatd.#games.weechatlog")), "carol")
	bob.send("JG games")
	names := bob.expect("NAMES #games", func(l string) bool { return strings.Contains(l, " 353 bob = #games ") })
	if !strings.Contains(names, "@carol") {
		t.Errorf("NAMES after /cg: %q, want carol as the group's operator", names)
	}
	command("gc games hello group")
	bob.expect("the GC", func(l string) bool { return strings.HasSuffix(l, " PRIVMSG #games :hello group") })
	pollFor(t, "WeeChat's log of #games", readFile(filepath.Join(logs, "irc.chatd.#games.weechatlog")), "carol\thello group")

	command("online")
	pollFor(t, "WeeChat's server buffer", readFile(filepath.Join(logs, "irc.server.chatd.weechatlog")), "Online now: bob, carol (you)")
}

// pythonPluginAnywhere looks for WeeChat's python plugin where other
// architectures keep it.
// needWeechatPython returns weechat-headless's path, skipping the test
// (failing it under CI=true) when WeeChat or its python plugin is missing.
func needWeechatPython(t *testing.T) string {
	t.Helper()
	weechat := needTool(t, "weechat-headless", "weechat-headless")
	if !pythonPluginAnywhere() {
		if inCI() {
			t.Fatal("WeeChat's python plugin is missing, and CI=true: .ci/run must install weechat-python and weechat-plugins")
		}
		t.Skip("WeeChat's python plugin is missing: `sudo apt-get install weechat-plugins weechat-python` to run this test (CI installs it)")
	}
	return weechat
}

// startWeechat runs weechat-headless in dir with commands (run in order at
// start), waits for connected (which must see WeeChat arrive), and
// returns a function that types a command into WeeChat's FIFO for the
// chatd server's buffer. WeeChat is killed when the test ends, its
// output logged if the test failed.
func startWeechat(t *testing.T, weechat, dir string, commands []string, connected func()) (command func(line string)) {
	t.Helper()
	cmd := exec.Command(weechat, "--dir", dir, "--stdout", "-r", strings.Join(commands, ";"))
	out := newWatchedOutput()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("weechat output:\n%s", out.String())
		}
	})
	connected()
	fifo := filepath.Join(dir, "weechat_fifo_"+strconv.Itoa(cmd.Process.Pid))
	return func(line string) {
		t.Helper()
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Fatalf("WeeChat's FIFO: %v", err)
		}
		defer f.Close()
		if _, err := f.WriteString("irc.server.chatd */" + line + "\n"); err != nil {
			t.Fatal(err)
		}
	}
}

func pythonPluginAnywhere() bool {
	matches, _ := filepath.Glob("/usr/lib/*/weechat/plugins/python.so")
	return len(matches) > 0
}
