package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"chatd/state"
)

// irssi in tmux is given a channel's last messages when it joins (replay
// on JOIN for a client without draft/chathistory), and shows them
// readably: as the sender's own lines, in the channel's window, with
// their time, an ACTION as an action. First with server-time, which irssi
// asks for (it shows the original time in its own column), then without
// it (the time is in front of the text). The screen is read with tmux
// capture-pane until the lines are there, for at most irssiScreenWait;
// it is shown on failure.
func TestIrssiReplayOnJoin(t *testing.T) {
	d, _ := startTestDaemon(t, []string{`lobby = ""`}, []string{"[history]", "replay_lines = 10"})
	addr := d.addrs()[0].String()
	alice := dialRaw(t, addr)
	alice.send("NICK alice")
	alice.send("USER alice 0 * :Alice")
	alice.expect("welcome", hasNumeric("001"))
	alice.send("JOIN #class")
	alice.expect("NAMES", hasNumeric("366"))
	alice.send("PRIVMSG #class :hello class")
	alice.send("PRIVMSG #class :\x01ACTION waves\x01")
	alice.send("PRIVMSG #class :question 3 is due on friday")

	typeLine, screen := tmuxIrssiScreen(t, irssiConfig(t, addr, "pupil", ""))
	alice.expect("irssi's JOIN", func(l string) bool { return strings.HasPrefix(l, ":pupil!") && field(l, 1) == "JOIN" })
	typeLine("/window 2")
	waitScreen(t, screen, "the replay with server-time",
		regexp.MustCompile(`\d\d:\d\d <@alice> hello class\n`),
		regexp.MustCompile(`\d\d:\d\d +\* alice waves\n`),
		regexp.MustCompile(`\d\d:\d\d <@alice> question 3 is due on friday\n`))

	typeLine("/quote CAP REQ :-server-time")
	typeLine("/part #class")
	alice.expect("irssi's PART", func(l string) bool { return strings.HasPrefix(l, ":pupil!") && field(l, 1) == "PART" })
	typeLine("/clear")
	typeLine("/join #class")
	alice.expect("irssi's JOIN", func(l string) bool { return strings.HasPrefix(l, ":pupil!") && field(l, 1) == "JOIN" })
	waitScreen(t, screen, "the replay without server-time",
		regexp.MustCompile(`<@alice> \[\d\d:\d\d\] hello class\n`),
		regexp.MustCompile(`\* alice \[\d\d:\d\d\] waves\n`),
		regexp.MustCompile(`<@alice> \[\d\d:\d\d\] question 3 is due on friday\n`))
}

// irssiScreenWait bounds how long irssi may take to show what it was sent.
const irssiScreenWait = 10 * time.Second

// tmuxIrssiScreen is tmuxIrssi that can also read irssi's screen.
func tmuxIrssiScreen(t *testing.T, home string) (typeLine func(string), screen func() string) {
	t.Helper()
	tmux := needTool(t, "tmux", "tmux")
	irssi := needTool(t, "irssi", "irssi")
	socket := fmt.Sprintf("chatd-test-%d-%s", os.Getpid(), t.Name())
	run := func(args ...string) string {
		out, err := exec.Command(tmux, append([]string{"-L", socket}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("new-session", "-d", "-s", "irssi", "-x", "120", "-y", "40", irssi, "--home="+home)
	screen = func() string { return run("capture-pane", "-p", "-t", "irssi") }
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("irssi's screen:\n%s", screen())
		}
		exec.Command(tmux, "-L", socket, "kill-server").Run()
	})
	return func(keys string) { run("send-keys", "-t", "irssi", keys, "Enter") }, screen
}

// waitScreen reads the screen until every pattern is on it.
func waitScreen(t *testing.T, screen func() string, what string, patterns ...*regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(irssiScreenWait)
	for {
		s := screen()
		missing := 0
		for _, p := range patterns {
			if !p.MatchString(s) {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("irssi did not show %s within %v", what, irssiScreenWait)
		}
		time.Sleep(50 * time.Millisecond) // irssi draws when it is ready: look again
	}
}

// irssi shows a message's server-time only with show_server_time on
// (off by default in irssi 1.4), so a channel's replay on JOIN looked as
// if it had all been said the moment the user joined. clients/chatd.pl
// turns it on: loaded, irssi shows a replayed message at the time it was
// sent, three hours before the join here (the world's clock is held back
// while alice speaks).
func TestIrssiScriptShowsReplayTime(t *testing.T) {
	sent := time.Now().Add(-3 * time.Hour).Truncate(time.Minute).Add(10 * time.Second)
	var past atomic.Bool
	past.Store(true)
	d, _ := startTestDaemonTuned(t, []string{`lobby = ""`}, []string{"[history]", "replay_lines = 10"}, func(w *state.World) {
		w.SetClock(func() time.Time {
			if past.Load() {
				return sent
			}
			return time.Now()
		})
	})
	addr := d.addrs()[0].String()
	alice := dialRaw(t, addr)
	alice.send("NICK alice")
	alice.send("USER alice 0 * :Alice")
	alice.expect("welcome", hasNumeric("001"))
	alice.send("JOIN #class")
	alice.expect("NAMES", hasNumeric("366"))
	alice.send("PRIVMSG #class :the test moved to friday")
	alice.send("PING barrier")
	alice.expect("PONG", func(l string) bool { return field(l, 1) == "PONG" })
	past.Store(false)

	home := irssiConfig(t, addr, "pupil", "")
	script, err := os.ReadFile(filepath.Join("clients", "chatd.pl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(home, "scripts", "autorun"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, "scripts", "autorun", "chatd.pl"), string(script))
	typeLine, screen := tmuxIrssiScreen(t, home)
	alice.expect("irssi's JOIN", func(l string) bool { return strings.HasPrefix(l, ":pupil!") && field(l, 1) == "JOIN" })
	typeLine("/window 2")
	waitScreen(t, screen, "the replayed message at the time it was sent ("+sent.Local().Format("15:04")+")",
		regexp.MustCompile(regexp.QuoteMeta(sent.Local().Format("15:04"))+` <@alice> the test moved to friday\n`))
}
