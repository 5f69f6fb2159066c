package main

import (
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeBot returns the bot from the README: the sh block that talks
// through /dev/tcp, with the address it connects to.
func readmeBot(t *testing.T) (script, addr string) {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		if m := regexp.MustCompile(`/dev/tcp/([0-9.]+)/([0-9]+)`).FindStringSubmatch(block[1]); m != nil {
			return block[1], m[0]
		}
	}
	t.Fatal("README.md has no sh block with a /dev/tcp bot")
	return "", ""
}

// The README's bot, pasted into an interactive bash (history expansion
// on, as in a terminal): it registers, greets someone who comes online but
// not itself, and when the server goes away it ends, bash with it, and no
// process of it is left running.
func TestReadmeBot(t *testing.T) {
	bash := needTool(t, "bash", "bash")
	script, addr := readmeBot(t)
	p := startChatd(t, "-config", writeConfig(t, "[flood]", "enabled = false"))
	host, port, _ := strings.Cut(p.addr, ":")
	script = strings.Replace(script, addr, "/dev/tcp/"+host+"/"+port, 1)

	watcher := dialRaw(t, p.addr)
	watcher.send("NICK watcher")
	watcher.send("USER watcher 0 * :Watcher")
	watcher.expect("watcher's lobby JOIN", isLine(":watcher!watcher@127.0.0.1 JOIN #lobby"))

	// What bash reads: a check that history expansion is on (it is in any
	// interactive bash, a terminal or not), then the bot as pasted.
	cmd := exec.Command(bash, "--norc", "--noprofile", "-i")
	cmd.Stdin = strings.NewReader("set -o | grep '^histexpand'\n" + script)
	out := newWatchedOutput()
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "HISTFILE=/dev/null", "PS1=", "PS2=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-exited
		if t.Failed() {
			t.Logf("bash said:\n%s", out.String())
		}
	})

	watcher.expect("the bot's lobby JOIN", isLine(":greeter!greeter@127.0.0.1 JOIN #lobby"))
	newbie := dialRaw(t, p.addr)
	newbie.send("NICK newbie")
	newbie.send("USER newbie 0 * :Newbie")
	// The bot handles the server's lines in order, so a greeting for its
	// own JOIN would come before the one for newbie.
	greeting := watcher.expect("a greeting", func(l string) bool { return strings.Contains(l, "PRIVMSG #lobby :welcome") })
	if greeting != ":greeter!greeter@127.0.0.1 PRIVMSG #lobby :welcome, newbie" {
		t.Errorf("first greeting %q, want the one for newbie (and none for the bot itself)", greeting)
	}
	if !strings.Contains(out.String(), "histexpand") || !strings.Contains(out.String(), "on") {
		t.Errorf("bash did not run with history expansion on, so the test proves nothing about pasting:\n%s", out.String())
	}

	// The server goes away: the bot, and bash after it, end.
	if code := p.signalAndWait(syscall.SIGTERM, 5*time.Second); code != 0 {
		t.Errorf("chatd exit status %d", code)
	}
	select {
	case <-exited:
	case <-time.After(binTimeout):
		t.Fatalf("bash still running %v after the server went away:\n%s", binTimeout, out.String())
	}
	if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("processes of the bot's group are still running after it ended (kill -0: %v)", err)
	}
	if s := out.String(); strings.Contains(s, "event not found") || strings.Contains(s, "syntax error") {
		t.Errorf("bash complained about the pasted bot:\n%s", s)
	}
}
