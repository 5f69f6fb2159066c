package main

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// `chatd 2>&1 | tee log`, then Ctrl-C: the terminal interrupts tee as well
// as chatd, so chatd's stderr is a pipe nobody reads any more. Logging into
// it must not kill chatd: clients still get ERROR and chatd exits 0. Here
// chatd's stderr is a real pipe whose reading end is closed once chatd
// listens; the client's registration and the shutdown are then logged
// into the closed pipe.
func TestShutdownWithStderrPipeClosed(t *testing.T) {
	bin := chatdBinary(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-config", writeConfig(t))
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	})

	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
				break
			}
		}
		pr.Close() // like tee after Ctrl-C: nobody reads chatd's log any more
		close(addr)
	}()
	var listenAddr string
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatal("chatd ended its log without listening")
		}
		listenAddr = a
	case <-time.After(binTimeout):
		t.Fatalf("chatd did not log its address within %v", binTimeout)
	}
	<-addr // the reader has closed the pipe

	c := dialRaw(t, listenAddr)
	c.send("NICK piped")
	c.send("USER piped 0 * :Piped")
	c.expect("lobby JOIN", func(l string) bool { return strings.HasPrefix(l, ":piped!") && strings.HasSuffix(l, " JOIN #lobby") })
	c.send("PING :logged")
	c.expect("PONG", func(l string) bool { return strings.HasSuffix(l, "logged") })

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	c.expect("ERROR on shutdown", isLine("ERROR :Server shutting down"))
	c.expectClosed()
	select {
	case <-exited:
	case <-time.After(binTimeout):
		t.Fatalf("chatd still running %v after SIGINT", binTimeout)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("chatd was killed by %v (a log write into the closed pipe?)", ws.Signal())
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("chatd exit status %d, want 0", code)
	}
}
