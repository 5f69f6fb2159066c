package commands_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"testing"

	"chatd/commands"
	"chatd/conf"
	"chatd/state"

	"gopkg.in/irc.v4"
)

// countingOutbox counts what it is given and keeps nothing.
type countingOutbox struct {
	lines atomic.Int64
	bytes atomic.Int64
}

func (o *countingOutbox) Enqueue(line []byte) bool {
	o.lines.Add(1)
	o.bytes.Add(int64(len(line)))
	return true
}
func (o *countingOutbox) Close()                       {}
func (o *countingOutbox) Registered()                  {}
func (o *countingOutbox) SetFloodExempt(bool)          {}
func (o *countingOutbox) Flush()                       {}
func (o *countingOutbox) Queued() int                  { return 0 }
func (o *countingOutbox) WhenDrained(_ int, fn func()) { fn() }
func (o *countingOutbox) Congested() bool              { return false }
func (o *countingOutbox) WaitFor(state.Outbox)         {}

// benchWorld starts a world with n registered clients in #bench.
func benchWorld(b *testing.B, n int) (*state.World, state.Dispatch, []*countingOutbox) {
	return benchWorldHistory(b, n, true)
}

// benchWorldHistory is benchWorld with history on or off.
func benchWorldHistory(b *testing.B, n int, history bool) (*state.World, state.Dispatch, []*countingOutbox) {
	b.Helper()
	cfg := conf.Default()
	cfg.Server.Lobby = ""
	cfg.History.Enabled = history
	dispatch := commands.New()
	w := state.New(cfg, dispatch, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go w.Run()
	b.Cleanup(func() { w.Shutdown("bye") })
	outs := make([]*countingOutbox, n)
	for i := range outs {
		outs[i] = &countingOutbox{}
		id := state.ClientID(i + 1)
		w.Connect(id, outs[i], netip.MustParseAddr("127.0.0.1"), false)
		nick := fmt.Sprintf("u%d", i)
		w.Line(id, irc.MustParseMessage("NICK "+nick))
		w.Line(id, irc.MustParseMessage("USER "+nick+" 0 * :bench user"))
		w.Line(id, irc.MustParseMessage("JOIN #bench"))
	}
	w.Call(func(*state.World) {})
	return w, dispatch, outs
}

// BenchmarkChannelPrivmsg dispatches one PRIVMSG to a channel of 1,000
// members; allocs/op divided by 999 is the allocation cost per delivery.
// history=on records each message (in memory: this world has no store),
// history=off does not: the state goroutine's share of what history costs.
func BenchmarkChannelPrivmsg(b *testing.B) {
	for _, on := range []bool{true, false} {
		b.Run(map[bool]string{true: "history=on", false: "history=off"}[on], func(b *testing.B) { benchChannelPrivmsg(b, on) })
	}
}

func benchChannelPrivmsg(b *testing.B, history bool) {
	const members = 1000
	w, dispatch, outs := benchWorldHistory(b, members, history)
	msg := irc.MustParseMessage("PRIVMSG #bench :hello, this is a fairly ordinary chat line of some length")
	before := outs[1].lines.Load()
	b.ReportAllocs()
	b.ResetTimer()
	w.Call(func(w *state.World) {
		sender := w.ClientByNick("u0")
		for i := 0; i < b.N; i++ {
			dispatch(w, sender, msg)
		}
	})
	b.StopTimer()
	if got := outs[1].lines.Load() - before; got != int64(b.N) {
		b.Fatalf("member received %d lines, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N*(members-1))/b.Elapsed().Seconds(), "deliveries/s")
}

// BenchmarkRegistrationCycle is the state goroutine's share of one churn
// cycle: a connection registers (the welcome burst), joins and parts a
// channel and quits, with 32 other clients online.
func BenchmarkRegistrationCycle(b *testing.B) {
	w, _, _ := benchWorld(b, 32)
	lines := []*irc.Message{
		irc.MustParseMessage("NICK churn"),
		irc.MustParseMessage("USER churn 0 * :churn user"),
		irc.MustParseMessage("JOIN #churn"),
		irc.MustParseMessage("PART #churn"),
		irc.MustParseMessage("QUIT :bye"),
	}
	out := &countingOutbox{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := state.ClientID(1000 + i)
		w.Connect(id, out, netip.MustParseAddr("127.0.0.1"), false)
		for _, m := range lines {
			w.Line(id, m)
		}
		w.Gone(id, "Connection closed")
	}
	w.Call(func(*state.World) {})
	b.StopTimer()
	if got := out.lines.Load(); got < int64(20*b.N) {
		b.Fatalf("%d lines for %d cycles: the welcome burst is missing", got, b.N)
	}
}
