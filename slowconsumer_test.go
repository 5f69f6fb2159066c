package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSlowConsumerDropped: a channel member that stops reading fills its
// send queue (sendq_bytes = 16384) while two others chat at full speed. It
// is dropped with "SendQ exceeded" once it has made no progress for the
// stall timeout (meanwhile the server stops reading the pair, see
// pushback_test.go); each of the pair receives every one of the other's
// messages, in order.
func TestSlowConsumerDropped(t *testing.T) {
	d := startHostileDaemon(t, nil, []string{"[limits]", "sendq_bytes = 16384"}, withStallTimeout(time.Second))

	// slow registers, reading by hand, then never reads again.
	slow := hdialSilent(t, d.addr, "slow")
	slow.registerByHand("slow")

	alice := hdial(t, d.addr, "alice")
	alice.register("alice")
	bob := hdial(t, d.addr, "bob")
	bob.register("bob")
	alice.waitFor(":bob!bob@127.0.0.1 JOIN #lobby")

	// alice and bob chat in rounds of 20 messages of about 200 bytes each,
	// written at once; a round ends when each has received the other's 20.
	// That bounds what waits for a fast reader to one round, far below
	// sendq_bytes, however the test's goroutines and the server's share the
	// CPUs. slow is sent everything and reads nothing; the kernel buffers
	// some megabytes of it first (on loopback the server's socket send
	// buffer grows large), so the pair chat until slow has been dropped:
	// at least 2000 messages each, at most 40000.
	const perRound, minRounds, maxRounds = 20, 100, 2000
	text := strings.Repeat("x", 180)
	msg := func(who string, i int) string { return fmt.Sprintf("PRIVMSG #lobby :%s %05d %s", who, i, text) }
	quits := map[*hclient]int{}
	receive := func(c *hclient, from string, first int) {
		t.Helper()
		for i := first; i < first+perRound; {
			line, ok := c.next()
			if !ok {
				t.Fatalf("%s: disconnected after %d of %s's messages: %v", c.name, i, from, c.readErr)
			}
			if line == ":slow!slow@127.0.0.1 QUIT :SendQ exceeded" {
				quits[c]++
				continue
			}
			if want := ":" + from + "!" + from + "@127.0.0.1 " + msg(from, i); line != want {
				t.Fatalf("%s: message %d from %s:\n  want %q\n  got  %q", c.name, i, from, want, line)
			}
			i++
		}
	}
	r := 0
	for ; r < minRounds || quits[alice] == 0 || quits[bob] == 0; r++ {
		if r == maxRounds {
			t.Fatalf("slow was not dropped after %d messages from each of alice and bob", r*perRound)
		}
		var ab, bb strings.Builder
		for i := r * perRound; i < (r+1)*perRound; i++ {
			ab.WriteString(msg("alice", i) + "\r\n")
			bb.WriteString(msg("bob", i) + "\r\n")
		}
		alice.write([]byte(ab.String()))
		bob.write([]byte(bb.String()))
		receive(alice, "bob", r*perRound)
		receive(bob, "alice", r*perRound)
	}
	t.Logf("slow was dropped; alice and bob each sent and received %d messages", r*perRound)
	for _, c := range []*hclient{alice, bob} {
		if quits[c] != 1 {
			t.Errorf("%s saw slow quit %d times", c.name, quits[c])
		}
	}
	alice.syncQuiet()
	bob.syncQuiet()

	// The server closes slow's socket once it has flushed what it could:
	// reading now, slow finds a prefix of the conversation and then the
	// end. (slow keeps its default receive buffer: one shrunk with
	// SetReadBuffer far below the loopback MSS lets the server's kernel
	// through only on zero-window probes, which back off exponentially, so
	// this drain would stall.)
	if err := slow.conn.SetReadDeadline(time.Now().Add(hTimeout)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		line, err := slow.br.ReadString('\n')
		if err != nil {
			if strings.Contains(err.Error(), "timeout") {
				t.Fatalf("slow: the server did not close the connection (%d lines read, last %q): %v", n, line, err)
			}
			break
		}
		n++
	}
}
