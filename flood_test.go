package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Flood control: a token bucket of burst lines refilled at per_second.
// Lines over the rate are held and handled later, in order (fake lag); a
// client that gets more than 10*burst lines (or 64 KiB) ahead is dropped
// with "Excess Flood".

var floodTOML = []string{"[flood]", "enabled = true", "burst = 5", "per_second = 10"}

// TestFloodFakeLag: 20 PRIVMSGs sent at once with burst 5 and 10/s are all
// delivered, in order, paced: the last cannot arrive before 15 tokens have
// been refilled, 1.5 s.
func TestFloodFakeLag(t *testing.T) {
	d := startHostileDaemon(t, nil, floodTOML)
	alice := hdial(t, d.addr, "alice")
	alice.register("alice")
	bob := hdial(t, d.addr, "bob")
	bob.register("bob")
	alice.waitFor(":bob!bob@127.0.0.1 JOIN #lobby")

	var batch strings.Builder
	for i := range 20 {
		fmt.Fprintf(&batch, "PRIVMSG #lobby :paced message %02d\r\n", i)
	}
	start := time.Now()
	alice.write([]byte(batch.String()))
	for i := range 20 {
		bob.expect(fmt.Sprintf(":alice!alice@127.0.0.1 PRIVMSG #lobby :paced message %02d", i))
	}
	// At most 5 tokens at the start, then 10 a second: at least 1.5 s for
	// the other 15 (a little slack for clock granularity).
	if elapsed := time.Since(start); elapsed < 1400*time.Millisecond {
		t.Errorf("20 lines with burst 5 at 10/s were all handled within %v; want at least 1.5s of pacing", elapsed)
	}
	alice.syncQuiet()
	bob.syncQuiet()
}

// TestFloodExcessFlood: 200 lines at once with burst 5 is more than the 50
// lines that may be held: the client is disconnected with "Excess Flood",
// its peers see why, and what was delivered before is in order.
func TestFloodExcessFlood(t *testing.T) {
	d := startHostileDaemon(t, nil, floodTOML)
	alice := hdial(t, d.addr, "alice")
	alice.register("alice")
	bob := hdial(t, d.addr, "bob")
	bob.register("bob")
	alice.waitFor(":bob!bob@127.0.0.1 JOIN #lobby")

	var batch strings.Builder
	for i := range 200 {
		fmt.Fprintf(&batch, "PRIVMSG #lobby :flood %03d\r\n", i)
	}
	alice.write([]byte(batch.String()))
	alice.expectClosedWith(hTimeout, nil, "ERROR :Closing Link: 127.0.0.1 (Excess Flood)")

	delivered := 0
	for {
		line, ok := bob.next()
		if !ok {
			t.Fatal("bob was disconnected")
		}
		if line == ":alice!alice@127.0.0.1 QUIT :Excess Flood" {
			break
		}
		if want := fmt.Sprintf(":alice!alice@127.0.0.1 PRIVMSG #lobby :flood %03d", delivered); line != want {
			t.Fatalf("bob:\n  want %q (or alice's QUIT)\n  got  %q", want, line)
		}
		delivered++
	}
	if delivered >= 200 {
		t.Errorf("all %d lines were delivered; the flooder should have been cut off", delivered)
	}
	bob.syncQuiet()
	// The server is fine and alice may come back.
	again := hdial(t, d.addr, "alice2")
	again.register("alice")
}

// TestFloodPacesIgnoredLines: lines the server reads and then ignores
// (tags and nothing else, an empty line, an unparsable one, a ':'-led
// command) are paced like every other line: 200 of them at once with
// burst 5 get the client disconnected with "Excess Flood" (before, they
// were never paced: four clients sending 100-tag lines kept the server at
// 170% CPU).
func TestFloodPacesIgnoredLines(t *testing.T) {
	var tags strings.Builder
	for i := range 100 {
		if i > 0 {
			tags.WriteByte(';')
		}
		fmt.Fprintf(&tags, "k%d=v", i)
	}
	for name, line := range map[string]string{
		"tags only":      "@" + tags.String() + " :x",
		"tags then end":  "@" + tags.String() + " ",
		"empty":          "",
		"unparsable":     "@a=b ",
		"colon command":  ": :x",
		"prefix nothing": ":someone",
	} {
		t.Run(name, func(t *testing.T) {
			d := startHostileDaemon(t, nil, floodTOML)
			alice := hdial(t, d.addr, "alice")
			alice.register("alice")
			alice.write([]byte(strings.Repeat(line+"\r\n", 200)))
			alice.expectClosedWith(hTimeout, nil, "ERROR :Closing Link: 127.0.0.1 (Excess Flood)")
		})
	}
}

// TestFloodHeldBytesBounded: what a paced client has waiting is bounded
// in bytes, tags included, not only in lines: with burst 10 (100 lines may
// wait) 40 lines carrying 4,000 bytes of tags each (160 KB) are over the
// 64 KiB cap, whether the server would have acted on them or ignored
// them.
func TestFloodHeldBytesBounded(t *testing.T) {
	bigTag := "@+big=" + strings.Repeat("t", 4000)
	for name, line := range map[string]string{
		"acted on": bigTag + " PING :x",
		"ignored":  bigTag + " :x",
	} {
		t.Run(name, func(t *testing.T) {
			d := startHostileDaemon(t, nil, []string{"[flood]", "enabled = true", "burst = 10", "per_second = 1"})
			alice := hdial(t, d.addr, "alice")
			alice.register("alice")
			alice.write([]byte(strings.Repeat(line+"\r\n", 50)))
			alice.expectClosedWith(hTimeout, regexp.MustCompile(`^:chatd.test PONG chatd.test x$`), "ERROR :Closing Link: 127.0.0.1 (Excess Flood)")
		})
	}
}

// TestFloodMultilineBatch: the lines of a draft/multiline batch are let
// through at once and paid for afterwards (ircd/batchpace.go). With burst
// 2 at 4/s, a 12-line batch paced line by line would take over 3 s to
// reach its readers; it arrives at once, and the line after it waits
// until the batch's 14 lines are paid for (the rate is kept).
func TestFloodMultilineBatch(t *testing.T) {
	d := startHostileDaemon(t, nil, []string{"[flood]", "enabled = true", "burst = 2", "per_second = 4"})
	alice := hdial(t, d.addr, "alice")
	alice.register("alice")
	alice.send("CAP REQ :batch draft/multiline")
	alice.expect(":chatd.test CAP alice ACK :batch draft/multiline")
	bob := hdial(t, d.addr, "bob")
	bob.register("bob")
	alice.waitFor(":bob!bob@127.0.0.1 JOIN #lobby")

	var batch strings.Builder
	batch.WriteString("BATCH +p draft/multiline #lobby\r\n")
	for i := range 12 {
		fmt.Fprintf(&batch, "@batch=p PRIVMSG #lobby :line %02d\r\n", i)
	}
	batch.WriteString("BATCH -p\r\nPRIVMSG #lobby :after\r\n")
	start := time.Now()
	alice.write([]byte(batch.String()))
	for i := range 12 {
		bob.expect(fmt.Sprintf(":alice!alice@127.0.0.1 PRIVMSG #lobby :line %02d", i))
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("a 12-line batch took %v to arrive; its lines should not be paced one by one (over 3 s)", elapsed)
	}
	bob.expect(":alice!alice@127.0.0.1 PRIVMSG #lobby :after")
	// At most 2 tokens at the start, then 4 a second: the 15 lines cost
	// at least 13 more, 3.25 s (a little slack for clock granularity).
	if elapsed := time.Since(start); elapsed < 3*time.Second {
		t.Errorf("the line after a 12-line batch came %v after it; the batch's lines must be paid for (3.25 s)", elapsed)
	}
	alice.syncQuiet()
	bob.syncQuiet()
}

// TestFloodMultilineBatchWhileHeld: a multiline batch sent while the
// client's earlier lines still wait for their turn waits behind them,
// whole, and is not taken for a flood though its lines outnumber 10
// bursts (burst 2: 20 held lines; the batch has 30, within max_lines 32).
// Its lines go at once when its BATCH +ref's turn comes, paid for after.
func TestFloodMultilineBatchWhileHeld(t *testing.T) {
	d := startHostileDaemon(t, nil, []string{"[flood]", "enabled = true", "burst = 2", "per_second = 10"})
	alice := hdial(t, d.addr, "alice")
	alice.register("alice")
	alice.send("CAP REQ :batch draft/multiline")
	alice.expect(":chatd.test CAP alice ACK :batch draft/multiline")
	bob := hdial(t, d.addr, "bob")
	bob.register("bob")
	alice.waitFor(":bob!bob@127.0.0.1 JOIN #lobby")

	var lines strings.Builder
	for i := range 3 {
		fmt.Fprintf(&lines, "PRIVMSG #lobby :before %d\r\n", i)
	}
	lines.WriteString("BATCH +p draft/multiline #lobby\r\n")
	for i := range 30 {
		fmt.Fprintf(&lines, "@batch=p PRIVMSG #lobby :line %02d\r\n", i)
	}
	lines.WriteString("BATCH -p\r\nPRIVMSG #lobby :after\r\n")
	alice.write([]byte(lines.String()))
	for i := range 3 {
		bob.expect(fmt.Sprintf(":alice!alice@127.0.0.1 PRIVMSG #lobby :before %d", i))
	}
	for i := range 30 {
		bob.expect(fmt.Sprintf(":alice!alice@127.0.0.1 PRIVMSG #lobby :line %02d", i))
	}
	bob.expect(":alice!alice@127.0.0.1 PRIVMSG #lobby :after")
	alice.syncQuiet()
	bob.syncQuiet()
}
