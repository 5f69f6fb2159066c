package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// Push-back on a fast sender (ircd/sendq.go, state/pushback.go): while
// recipients of its lines are past the soft mark of their send queue, the
// server stops reading the sender; a recipient that does not drain for
// the stall timeout is dropped.

// pacedReader reads at most chunk bytes per tick: a client that reads
// steadily, but more slowly than a flood arrives.
type pacedReader struct {
	r     io.Reader
	chunk int
	tick  <-chan time.Time
}

func (p *pacedReader) Read(b []byte) (int, error) {
	<-p.tick
	return p.r.Read(b[:min(len(b), p.chunk)])
}

// TestPushBackOnFastSender: a sender without flood control bursts 5,000
// lines of about 400 bytes into a channel. A member reading as fast as it
// can and one reading steadily at a fraction of the sender's speed get
// every line, in order, and stay connected (before push-back, the slow
// one was dropped with SendQ exceeded); a member that never reads is
// dropped, and the sender goes on once it has gone.
func TestPushBackOnFastSender(t *testing.T) {
	const lines = 5000
	d := startHostileDaemon(t, nil, []string{"[limits]", "sendq_bytes = 131072"}, withStallTimeout(1500*time.Millisecond))

	sender := hdial(t, d.addr, "sender")
	sender.register("sender")
	fast := hdial(t, d.addr, "fast")
	fast.register("fast")
	// The two by-hand clients get a modest fixed receive buffer, so that
	// their kernel cannot soak up the whole flood (loopback autotunes it to
	// megabytes); 128 KiB stays above the loopback MSS.
	slow := hdialSilent(t, d.addr, "slow")
	stuck := hdialSilent(t, d.addr, "stuck")
	for _, c := range []*hclient{slow, stuck} {
		if err := c.conn.SetReadBuffer(256 << 10); err != nil {
			t.Fatal(err)
		}
		c.registerByHand(c.name)
	}
	fast.waitFor(":stuck!stuck@127.0.0.1 JOIN #lobby")
	sender.waitFor(":stuck!stuck@127.0.0.1 JOIN #lobby")

	text := func(i int) string { return fmt.Sprintf("%05d %s", i, strings.Repeat("x", 370)) }
	relayed := func(i int) string { return ":sender!sender@127.0.0.1 PRIVMSG #lobby :" + text(i) }
	const stuckQuit = ":stuck!stuck@127.0.0.1 QUIT :SendQ exceeded"

	// slow reads 16 KiB every 10 ms (at most 1.6 MB/s, a fraction of what
	// the sender and fast manage), on its own
	// goroutine; it reports how many of the messages it got in order and
	// whether it saw stuck go.
	type slowResult struct {
		got       int
		sawQuit   bool
		err       error
		lastLines []string
	}
	slowDone := make(chan slowResult, 1)
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		br := bufio.NewReaderSize(&pacedReader{r: slow.conn, chunk: 16 << 10, tick: tick.C}, 64<<10)
		var res slowResult
		defer func() { slowDone <- res }()
		_ = slow.conn.SetReadDeadline(time.Now().Add(60 * time.Second))
		for res.got < lines {
			line, err := br.ReadString('\n')
			if err != nil {
				res.err = err
				return
			}
			line = strings.TrimSuffix(line, "\r\n")
			res.lastLines = append(res.lastLines[max(0, len(res.lastLines)-4):], line)
			switch line {
			case relayed(res.got):
				res.got++
			case stuckQuit:
				res.sawQuit = true
			case ":stuck!stuck@127.0.0.1 JOIN #lobby": // joined after slow
			default:
				res.err = fmt.Errorf("unexpected line %q", line)
				return
			}
		}
	}()

	// The burst, written from its own goroutine: the server stops reading
	// it while recipients are congested, so the writes block.
	sent := make(chan error, 1)
	go func() {
		var b strings.Builder
		for i := range lines {
			b.WriteString("PRIVMSG #lobby :" + text(i) + "\r\n")
			if (i+1)%100 == 0 {
				if _, err := sender.conn.Write([]byte(b.String())); err != nil {
					sent <- err
					return
				}
				b.Reset()
			}
		}
		sent <- nil
	}()

	sawQuit := false
	for i := 0; i < lines; {
		line, ok := fast.nextWithin(30 * time.Second)
		if !ok {
			t.Fatalf("fast was disconnected after %d messages: %v", i, fast.readErr)
		}
		if line == stuckQuit {
			sawQuit = true
			continue
		}
		if line != relayed(i) {
			t.Fatalf("fast: message %d:\n  want %.60q...\n  got  %.100q", i, relayed(i), line)
		}
		i++
	}
	if err := <-sent; err != nil {
		t.Fatalf("sender: write: %v", err)
	}
	res := <-slowDone
	if res.err != nil || res.got != lines {
		t.Fatalf("slow got %d of %d messages in order, then: %v (last lines %.80q)", res.got, lines, res.err, res.lastLines)
	}
	if !sawQuit || !res.sawQuit {
		// stuck still goes, after the stall timeout, if it was not yet
		fast.waitFor(stuckQuit)
	}
	sender.waitFor(stuckQuit)
	fast.syncQuiet()
	sender.syncQuiet()
	stuck.conn.SetReadDeadline(time.Now().Add(hTimeout))
	if _, err := io.Copy(io.Discard, stuck.conn); err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("stuck: the server did not close its connection")
		}
	}
}
