package commands_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/commands"
	"chatd/conf"
	"chatd/state"

	"gopkg.in/irc.v4"
)

// readerOutbox stands for a client that reads only when the test says so:
// what is queued stays queued (Queued grows) until drain, which also fires
// the WhenDrained waiters whose mark is reached.
type readerOutbox struct {
	mu      sync.Mutex
	lines   []string
	queued  int
	waiters []drainWaiter
	closed  bool
}

type drainWaiter struct {
	n  int
	fn func()
}

func (o *readerOutbox) Enqueue(line []byte) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.lines = append(o.lines, strings.TrimSuffix(string(line), "\r\n"))
	o.queued += len(line)
	return true
}
func (o *readerOutbox) Flush()               {}
func (o *readerOutbox) Registered()          {}
func (o *readerOutbox) SetFloodExempt(bool)  {}
func (o *readerOutbox) Congested() bool      { return false }
func (o *readerOutbox) WaitFor(state.Outbox) {}
func (o *readerOutbox) Close() {
	o.mu.Lock()
	o.closed = true
	ws := o.waiters
	o.waiters = nil
	o.mu.Unlock()
	for _, w := range ws {
		w.fn()
	}
}
func (o *readerOutbox) Queued() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.queued
}
func (o *readerOutbox) WhenDrained(n int, fn func()) {
	o.mu.Lock()
	if o.closed || o.queued <= n {
		o.mu.Unlock()
		fn()
		return
	}
	o.waiters = append(o.waiters, drainWaiter{n, fn})
	o.mu.Unlock()
}

// drain reads everything and wakes the waiters.
func (o *readerOutbox) drain() {
	o.mu.Lock()
	o.queued = 0
	ws := o.waiters
	o.waiters = nil
	o.mu.Unlock()
	for _, w := range ws {
		w.fn()
	}
}

func (o *readerOutbox) snapshot() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.lines...)
}

// sliceWorld is a running world with n registered users, all in #big,
// every one reading at once, and a small sendq so that long replies must
// wait for their reader.
type sliceWorld struct {
	t      *testing.T
	w      *state.World
	nextID state.ClientID
}

func newSliceWorld(t *testing.T, users int) *sliceWorld {
	t.Helper()
	cfg := conf.Default()
	cfg.Server.Lobby = ""
	cfg.Server.Name = "chatd.test"
	cfg.Limits.SendQBytes = 16 << 10
	w := state.New(cfg, commands.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	go w.Run()
	t.Cleanup(func() { w.Shutdown("bye") })
	sw := &sliceWorld{t: t, w: w}
	for i := range users {
		id := sw.connect(&countingOutbox{})
		nick := fmt.Sprintf("u%04d", i)
		w.Line(id, irc.MustParseMessage("NICK "+nick))
		w.Line(id, irc.MustParseMessage("USER "+nick+" 0 * :user "+nick))
		w.Line(id, irc.MustParseMessage("JOIN #big"))
	}
	sw.barrier()
	return sw
}

func (sw *sliceWorld) connect(out state.Outbox) state.ClientID {
	sw.nextID++
	sw.w.Connect(sw.nextID, out, netip.MustParseAddr("127.0.0.1"), false)
	return sw.nextID
}

// client registers a reading-on-demand client with caps.
func (sw *sliceWorld) client(nick string, caps ...string) (state.ClientID, *readerOutbox) {
	out := &readerOutbox{}
	id := sw.connect(out)
	if len(caps) > 0 {
		sw.w.Line(id, irc.MustParseMessage("CAP REQ :"+strings.Join(caps, " ")))
		sw.w.Line(id, irc.MustParseMessage("CAP END"))
	}
	sw.w.Line(id, irc.MustParseMessage("NICK "+nick))
	sw.w.Line(id, irc.MustParseMessage("USER "+nick+" 0 * :"+nick))
	sw.barrier()
	out.drain()
	out.mu.Lock()
	out.lines = nil
	out.mu.Unlock()
	return id, out
}

// barrier returns once everything submitted so far has been handled, and
// the later-queued steps those events made ready have had their turn.
func (sw *sliceWorld) barrier() {
	sw.w.Call(func(*state.World) {})
	sw.w.Call(func(*state.World) {})
}

func (sw *sliceWorld) send(id state.ClientID, line string) {
	sw.w.Line(id, irc.MustParseMessage(line))
	sw.barrier()
}

func count(lines []string, substr string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

// WHO * over a thousand users: the reply waits for its reader between
// slices, another client is answered meanwhile, the requester's own next
// line waits behind the reply, and in the end every user comes exactly
// once, in nick order, then 315.
func TestWhoComesInSlicesThatWaitForTheReader(t *testing.T) {
	sw := newSliceWorld(t, 1000)
	a, outA := sw.client("alice")
	b, outB := sw.client("bob")

	sw.send(a, "WHO *")
	first := outA.snapshot()
	if n := count(first, " 352 "); n == 0 || n >= 1000 {
		t.Fatalf("first slice has %d 352s; want some, not all", n)
	}
	if count(first, " 315 ") != 0 {
		t.Fatal("315 came before the reader read anything")
	}
	// alice's next line waits behind her reply; bob is answered now.
	sw.w.Line(a, irc.MustParseMessage("PING :after"))
	sw.send(b, "PING :bob")
	if count(outB.snapshot(), "PONG chatd.test bob") != 1 {
		t.Fatal("bob was not answered while alice's reply waited for her to read")
	}
	if count(outA.snapshot(), "PONG") != 0 {
		t.Fatal("alice's PING was answered before the end of her WHO")
	}
	for range 100 {
		if count(outA.snapshot(), " 315 ") > 0 {
			break
		}
		outA.drain()
		sw.barrier()
	}
	lines := outA.snapshot()
	var nicks []string
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 7 && f[1] == "352" {
			nicks = append(nicks, f[7])
		}
	}
	if len(nicks) != 1002 {
		t.Fatalf("got %d 352s, want 1002 (1000 users, alice, bob)", len(nicks))
	}
	for i := 1; i < len(nicks); i++ {
		if state.Fold(nicks[i-1]) >= state.Fold(nicks[i]) {
			t.Fatalf("352s out of order or repeated: %s then %s", nicks[i-1], nicks[i])
		}
	}
	end := -1
	for i, l := range lines {
		if strings.Contains(l, " 315 ") {
			end = i
		}
	}
	if end < 0 || !strings.HasSuffix(lines[len(lines)-1], "PONG chatd.test after") || end != len(lines)-2 {
		t.Fatalf("want ... 315, then alice's PONG; last lines %q", lines[max(0, len(lines)-3):])
	}
}

// A labeled WHO * is one labeled-response batch, however many slices.
func TestLabeledLongReplyIsOneBatch(t *testing.T) {
	sw := newSliceWorld(t, 600)
	a, outA := sw.client("alice", "batch", "labeled-response")
	sw.send(a, "@label=w1 WHO *")
	for range 100 {
		if count(outA.snapshot(), "BATCH -") > 0 {
			break
		}
		outA.drain()
		sw.barrier()
	}
	lines := outA.snapshot()
	if !strings.HasPrefix(lines[0], "@label=w1 :chatd.test BATCH +") {
		t.Fatalf("first line %q, want the labeled BATCH start", lines[0])
	}
	ref := strings.TrimPrefix(strings.Fields(lines[0])[3], "+")
	for _, l := range lines[1 : len(lines)-1] {
		if !strings.HasPrefix(l, "@batch="+ref+" ") {
			t.Fatalf("line outside the batch: %q", l)
		}
	}
	if lines[len(lines)-1] != ":chatd.test BATCH -"+ref {
		t.Fatalf("last line %q, want the BATCH end", lines[len(lines)-1])
	}
	if n := count(lines, " 352 "); n != 601 {
		t.Fatalf("%d 352s, want 601", n)
	}
}

// A client that hangs up in the middle of a long reply leaves at once: the
// rest of the reply is dropped, not waited for.
func TestHangUpDuringLongReply(t *testing.T) {
	sw := newSliceWorld(t, 1000)
	a, outA := sw.client("alice")
	sw.send(a, "WHO *")
	if count(outA.snapshot(), " 315 ") != 0 {
		t.Fatal("the reply was not waiting for its reader")
	}
	sw.w.Line(a, irc.MustParseMessage("QUIT :gone"))
	sw.w.Gone(a, "Connection closed")
	sw.barrier()
	var present bool
	sw.w.Call(func(w *state.World) { present = w.ClientByNick("alice") != nil })
	if present {
		t.Fatal("alice is still in the world after hanging up mid-reply")
	}
}

// STATS k with a thousand K-lines comes in slices that wait for the
// reader, each K-line once, oldest first, then 219.
func TestStatsKlinesInSlices(t *testing.T) {
	sw := newSliceWorld(t, 0)
	a, outA := sw.client("oper")
	sw.w.Call(func(w *state.World) {
		w.SetOper(w.ClientByNick("oper"), true)
		for i := range 1000 {
			w.AddKline(state.Kline{Mask: fmt.Sprintf("bad%04d!*@*", i), SetBy: "oper", SetAt: w.Now().Add(time.Duration(i)), Reason: "spam"})
		}
	})
	sw.send(a, "STATS k")
	if n := count(outA.snapshot(), " 216 "); n == 0 || n >= 1000 {
		t.Fatalf("first slice has %d 216s; want some, not all", n)
	}
	for range 100 {
		if count(outA.snapshot(), " 219 ") > 0 {
			break
		}
		outA.drain()
		sw.barrier()
	}
	var masks []string
	for _, l := range outA.snapshot() {
		if f := strings.Fields(l); len(f) > 4 && f[1] == "216" {
			masks = append(masks, f[4])
		}
	}
	if len(masks) != 1000 || masks[0] != "bad0000!*@*" || masks[999] != "bad0999!*@*" {
		t.Fatalf("got %d K-lines (first %q), want 1000 oldest first", len(masks), masks[:min(1, len(masks))])
	}
}
