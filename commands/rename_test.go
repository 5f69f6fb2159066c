package commands_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/commands"
	"chatd/conf"
	"chatd/state"

	"gopkg.in/irc.v4"
)

// keptOutbox keeps every line it is given (if keep), and signals a PONG.
type keptOutbox struct {
	countingOutbox
	keep bool
	mu   sync.Mutex
	kept []string
	pong chan struct{}
}

func (o *keptOutbox) Enqueue(line []byte) bool {
	o.countingOutbox.Enqueue(line)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.keep {
		o.kept = append(o.kept, strings.TrimRight(string(line), "\r\n"))
	}
	if o.pong != nil && strings.Contains(string(line), " PONG ") {
		close(o.pong)
		o.pong = nil
	}
	return true
}

// awaitPong returns a channel closed when the next PONG arrives.
func (o *keptOutbox) awaitPong() <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pong = make(chan struct{})
	return o.pong
}

func (o *keptOutbox) take() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.kept
	o.kept = nil
	return out
}

// renameWorld starts a world whose clients u0 ... u<n-1> are in #big, u0
// its operator; the first capable of them negotiated draft/channel-rename.
// Their outboxes keep what they are sent when keep is set.
// It counts the events the state goroutine runs.
func renameWorld(tb testing.TB, n, capable int, keep bool) (*state.World, []*keptOutbox, *eventCounter) {
	tb.Helper()
	cfg := conf.Default()
	cfg.Server.Lobby = ""
	cfg.Server.Name = "chatd.test"
	cfg.Opers = []conf.Oper{{Name: "admin", PasswordHash: "$2a$04$41TcQCAa5ZBNa4FKSO1cMOENTtU9akbE.VsN6jDx/UlIw4nHCLjx6"}} // "secret"
	w := state.New(cfg, commands.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ec := &eventCounter{}
	w.ObserveEvents(ec.observe)
	go w.Run()
	tb.Cleanup(func() { w.Shutdown("bye") })
	w.Call(func(*state.World) { runtime.LockOSThread() }) // for threadCPU
	outs := make([]*keptOutbox, n)
	for i := range outs {
		outs[i] = &keptOutbox{keep: keep}
		id := state.ClientID(i + 1)
		w.Connect(id, outs[i], netip.MustParseAddr("127.0.0.1"), false)
		if i < capable {
			w.Line(id, irc.MustParseMessage("CAP REQ draft/channel-rename"))
			w.Line(id, irc.MustParseMessage("CAP END"))
		}
		nick := fmt.Sprintf("u%04d", i)
		w.Line(id, irc.MustParseMessage("NICK "+nick))
		w.Line(id, irc.MustParseMessage("USER "+nick+" 0 * :user"))
		w.Line(id, irc.MustParseMessage("JOIN #big"))
	}
	// The NAMES of a big channel come in slices: each client's PING is
	// answered once its JOIN's reply is all out.
	pongs := make([]<-chan struct{}, n)
	for i, o := range outs {
		pongs[i] = o.awaitPong()
		w.Line(state.ClientID(i+1), irc.MustParseMessage("PING :joined"))
	}
	for i, p := range pongs {
		select {
		case <-p:
		case <-time.After(30 * time.Second):
			tb.Fatalf("u%04d: no PONG after its JOIN", i)
		}
	}
	for _, o := range outs {
		o.take()
	}
	return w, outs, ec
}

// eventCounter counts the events of a world, their longest wall time and
// (with the state goroutine locked to its thread, see threadCPU) their
// longest CPU time.
type eventCounter struct {
	mu         sync.Mutex
	events     int
	longest    time.Duration
	busy       time.Duration
	lastCPU    time.Duration
	longestCPU time.Duration
}

func (e *eventCounter) observe(d time.Duration) {
	cpu := threadCPU()
	e.mu.Lock()
	e.events++
	e.longest = max(e.longest, d)
	e.longestCPU = max(e.longestCPU, cpu-e.lastCPU)
	e.lastCPU = cpu
	e.busy += d
	e.mu.Unlock()
}

func (e *eventCounter) reset() (events int, longest, longestCPU, busy time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	events, longest, longestCPU, busy = e.events, e.longest, e.longestCPU, e.busy
	e.events, e.longest, e.longestCPU, e.busy = 0, 0, 0, 0
	return
}

// rename has u0 send line (a RENAME) and waits until its whole reply is
// out: u0's PING after it is answered only then.
func rename(tb testing.TB, w *state.World, outs []*keptOutbox, line string) {
	tb.Helper()
	pong := outs[0].awaitPong()
	w.Line(1, irc.MustParseMessage(line))
	w.Line(1, irc.MustParseMessage("PING :done"))
	select {
	case <-pong:
	case <-time.After(30 * time.Second):
		tb.Fatalf("%q: no PONG after the reply", line)
	}
}

// The fallback's NAMES of a channel larger than a slice's work are made
// in slices of the renamer's reply, and each member given the fallback
// gets its whole list (every member, in order) and one 366, after its
// PART and JOIN; capable members get one RENAME line and nothing else.
func TestRenameFallbackNamesInSlices(t *testing.T) {
	const members, capable = 1100, 1080
	w, outs, ec := renameWorld(t, members, capable, true)
	w.Call(func(*state.World) { ec.reset() })
	rename(t, w, outs, "RENAME #big #bigger :roomier")
	events, _, _, _ := ec.reset()
	t.Logf("the rename took %d events", events)
	// 20 lists of 1,100 entries: at least 22 slices of 1,000.
	if events < 22 {
		t.Errorf("the rename ran in %d events; the fallback NAMES should need at least 22 slices", events)
	}
	for i, o := range outs {
		got := o.take()
		if i < capable {
			want := []string{":u0000!u0000@127.0.0.1 RENAME #big #bigger :roomier"}
			if i == 0 {
				want = append(want, ":chatd.test PONG chatd.test done")
			}
			if !slices.Equal(got, want) {
				t.Fatalf("capable u%04d got %q", i, got)
			}
			continue
		}
		nick := fmt.Sprintf("u%04d", i)
		if len(got) < 4 || got[0] != ":"+nick+"!"+nick+"@127.0.0.1 PART #big :roomier" || got[1] != ":"+nick+"!"+nick+"@127.0.0.1 JOIN #bigger" ||
			got[len(got)-1] != ":chatd.test 366 "+nick+" #bigger :End of /NAMES list" {
			t.Fatalf("%s got %d lines, starting %q", nick, len(got), got[:min(len(got), 3)])
		}
		var names []string
		for _, l := range got[2 : len(got)-1] {
			prefix := ":chatd.test 353 " + nick + " = #bigger :"
			if !strings.HasPrefix(l, prefix) || len(l) > 510 {
				t.Fatalf("%s: not a 353 of #bigger within 510 bytes: %q", nick, l)
			}
			names = append(names, strings.Fields(l[len(prefix):])...)
		}
		if len(names) != members || names[0] != "@u0000" || names[members-1] != fmt.Sprintf("u%04d", members-1) || !slices.IsSorted(names[1:]) {
			t.Fatalf("%s's NAMES has %d entries (%q ... %q), want all %d in order", nick, len(names), names[0], names[len(names)-1], members)
		}
	}
}

// BenchmarkRenameBigChannel renames a channel of 5,000 members none of
// whom negotiated draft/channel-rename (the most work a rename can make:
// a PART, JOIN and NAMES of 5,000 for each) back and forth, and reports
// the longest single event (the longest anyone else waited), the state
// goroutine's busy time per rename and the events it took. The rename
// event itself sends the 10,000 PART and JOIN lines; the rest are slices
// of 1,000 NAMES entries.
//
//	go test -run '^$' -bench RenameBigChannel -benchtime 3x ./commands
func BenchmarkRenameBigChannel(b *testing.B) {
	for _, capable := range []int{0, 5000} {
		b.Run(fmt.Sprintf("capable=%d", capable), func(b *testing.B) {
			w, outs, ec := renameWorld(b, 5000, capable, false)
			// u0 is an IRC operator, whom RENAME's cooldown does not hold
			// back.
			rename(b, w, outs, "OPER admin secret")
			names := [2]string{"#big", "#other"}
			var longest, longestCPU []time.Duration
			var busy time.Duration
			events := 0
			i := 0
			for b.Loop() {
				w.Call(func(*state.World) { ec.reset() })
				rename(b, w, outs, "RENAME "+names[i%2]+" "+names[(i+1)%2])
				i++
				e, l, lc, bz := ec.reset()
				events, busy, longest, longestCPU = events+e, busy+bz, append(longest, l), append(longestCPU, lc)
			}
			slices.Sort(longest)
			slices.Sort(longestCPU)
			b.ReportMetric(float64(longest[len(longest)/2].Microseconds()), "longest-µs/event")
			b.ReportMetric(float64(longestCPU[len(longestCPU)/2].Microseconds()), "longest-cpu-µs/event")
			b.ReportMetric(float64(busy.Microseconds())/float64(b.N), "busy-µs/rename")
			b.ReportMetric(float64(events)/float64(b.N), "events/rename")
		})
	}
}
