package main

import (
	"bufio"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSlowConsumerDropped: a channel member that stops reading fills its
// send queue (sendq_bytes = 65536) while two others chat at full speed. It
// is dropped with "SendQ exceeded"; the fast pair never waits for it and
// each receives every one of the other's messages, in order.
func TestSlowConsumerDropped(t *testing.T) {
	d := startHostileDaemon(t, nil, []string{"[limits]", "sendq_bytes = 65536"})

	// slow registers, reading by hand, then never reads again. A small
	// receive buffer makes the kernel stop taking its data early.
	slow := hdialSilent(t, d.addr, "slow")
	if err := slow.conn.SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	slow.send("NICK slow")
	slow.send("USER slow 0 * :Slow Reader")
	slow.send("PING :registered")
	if err := slow.conn.SetReadDeadline(time.Now().Add(hTimeout)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(slow.conn)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("slow: registering: %v", err)
		}
		if strings.HasSuffix(line, " PONG chatd.test registered\r\n") {
			break
		}
	}

	alice := hdial(t, d.addr, "alice")
	alice.register("alice")
	bob := hdial(t, d.addr, "bob")
	bob.register("bob")
	alice.waitFor(":bob!bob@127.0.0.1 JOIN #lobby")

	const n = 2000
	text := strings.Repeat("x", 180)
	batch := func(who string) []byte {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "PRIVMSG #lobby :%s %04d %s\r\n", who, i, text)
		}
		return []byte(b.String())
	}
	aliceBatch, bobBatch := batch("alice"), batch("bob")
	errs := make(chan error, 2)
	for _, s := range []struct {
		c     *hclient
		batch []byte
	}{{alice, aliceBatch}, {bob, bobBatch}} {
		go func() {
			_, err := s.c.conn.Write(s.batch)
			errs <- err
		}()
	}

	// Each of the fast pair gets all of the other's messages in order, and
	// slow's QUIT somewhere among them.
	check := func(c *hclient, from string) {
		t.Helper()
		got, sawQuit := 0, false
		for got < n || !sawQuit {
			line, ok := c.next()
			if !ok {
				t.Fatalf("%s: disconnected after %d of %s's messages: %v", c.name, got, from, c.readErr)
			}
			if line == ":slow!slow@127.0.0.1 QUIT :SendQ exceeded" {
				sawQuit = true
				continue
			}
			want := fmt.Sprintf(":%s!%s@127.0.0.1 PRIVMSG #lobby :%s %04d %s", from, from, from, got, text)
			if line != want {
				t.Fatalf("%s: message %d from %s:\n  want %q\n  got  %q", c.name, got, from, want, line)
			}
			got++
		}
	}
	check(alice, "bob")
	check(bob, "alice")
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	alice.syncQuiet()
	bob.syncQuiet()

	// The server closes slow's socket once it has given up flushing: reading
	// now, slow finds a prefix of the conversation and then the end.
	if err := slow.conn.SetReadDeadline(time.Now().Add(hTimeout)); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := br.ReadString('\n'); err != nil {
			if strings.Contains(err.Error(), "timeout") {
				t.Fatalf("slow: the server did not close the connection: %v", err)
			}
			break
		}
	}
}
