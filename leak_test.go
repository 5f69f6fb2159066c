package main

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Lifecycle: nothing outlives the daemon, and stopping it loses nothing
// that was accepted.

// TestLeakGoroutines: a daemon that has served 20 clients (registered,
// joined, chatted, quit or hung up, plus some that never registered or
// left half a line) leaves no goroutine behind once stopped. The count is
// polled back to its baseline with a deadline (no goleak dependency).
func TestLeakGoroutines(t *testing.T) {
	base := runtime.NumGoroutine()

	d := startHostileDaemon(t, nil, []string{"[limits]", "max_clients = 24", "[flood]", "enabled = true", "burst = 100", "per_second = 100"})
	var clients []*hclient
	for i := range 20 {
		c := hdial(t, d.addr, fmt.Sprintf("c%02d", i))
		c.register(c.name)
		c.send("JOIN #leak")
		clients = append(clients, c)
	}
	for _, c := range clients {
		c.send("PRIVMSG #leak :hello from " + c.name)
		c.send("PRIVMSG c00 :hi")
		c.sync()
	}
	// Some never register, one leaves half a line, one is refused.
	for i := range 3 {
		hdial(t, d.addr, fmt.Sprintf("unregistered%d", i)).syncQuiet()
	}
	hdial(t, d.addr, "half").write([]byte("PRIVMSG #leak :never fin"))
	expectRefused(t, d.addr, whyMaxClients)
	// Half quit, a quarter hang up, the rest are there when the server stops.
	for _, c := range clients[:10] {
		c.send("QUIT :done")
		c.expectClosed(hTimeout)
	}
	for _, c := range clients[10:15] {
		c.shut()
	}
	d.stop()

	deadline := time.Now().Add(hTimeout)
	for {
		n := runtime.NumGoroutine()
		if n <= base {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines %v after the daemon stopped, %d before it started:\n%s", n, hTimeout, base, buf)
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}

// TestShutdownFlushesBacklog: a client that has fallen behind still gets
// everything queued for it when the server stops, then the ERROR. The
// backlog is several megabytes, more than the kernel buffers, so that most
// of it is still in the send queue when the server shuts down.
func TestShutdownFlushesBacklog(t *testing.T) {
	d := startHostileDaemon(t, nil, []string{"[limits]", "sendq_bytes = 33554432"})
	// alice registers, then reads nothing until the server is stopping.
	alice := hdialSilent(t, d.addr, "alice")
	alice.registerByHand("alice")
	bob := hdial(t, d.addr, "bob")
	bob.register("bob")

	const n = 16000
	text := strings.Repeat("b", 400)
	var batch strings.Builder
	for i := range n {
		fmt.Fprintf(&batch, "PRIVMSG #lobby :%05d %s\r\n", i, text)
	}
	bob.write([]byte(batch.String()))
	bob.syncQuiet() // all n are queued for alice

	stopped := make(chan struct{})
	go func() {
		d.stop()
		close(stopped)
	}()
	<-d.worldDone // ERROR is queued and every connection is closing
	alice.startReading()

	alice.expect(":bob!bob@127.0.0.1 JOIN #lobby")
	for i := range n {
		want := fmt.Sprintf(":bob!bob@127.0.0.1 PRIVMSG #lobby :%05d %s", i, text)
		got, ok := alice.next()
		if !ok {
			t.Fatalf("alice: connection closed after %d of %d messages", i, n)
		}
		if got != want {
			t.Fatalf("alice: message %d:\n  want %.60q...\n  got  %.60q...", i, want, got)
		}
	}
	alice.expectClosedWith(hTimeout, nil, "ERROR :Server shutting down")
	bob.expectClosedWith(hTimeout, nil, "ERROR :Server shutting down")
	<-stopped
	if log := d.log.String(); strings.Contains(log, "did not close in time") {
		t.Errorf("the daemon gave up waiting for connections to close:\n%s", log)
	}
}
