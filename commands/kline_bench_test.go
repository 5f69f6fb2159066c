package commands_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"chatd/commands"
	"chatd/conf"
	"chatd/state"

	"gopkg.in/irc.v4"
)

// BenchmarkRegisterAgainstKlines: the state goroutine's cost of one
// registration (NICK, USER, the K-line check, the welcome burst, QUIT)
// with 10,000 K-lines in force, none matching: 8,000 on single
// addresses, 1,000 on address ranges (10.x.y.*) and 1,000 on nicks.
func BenchmarkRegisterAgainstKlines(b *testing.B) {
	cfg := conf.Default()
	cfg.Server.Lobby = ""
	w := state.New(cfg, commands.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	var list []state.Kline
	now := time.Now()
	for i := range 8000 {
		list = append(list, state.Kline{Mask: fmt.Sprintf("*!*@10.%d.%d.%d", i>>16&255, i>>8&255, i&255), Reason: "spam", SetBy: "op", SetAt: now})
	}
	for i := range 1000 {
		list = append(list, state.Kline{Mask: fmt.Sprintf("*!*@172.%d.%d.*", 16+i>>8&15, i&255), Reason: "range", SetBy: "op", SetAt: now})
		list = append(list, state.Kline{Mask: fmt.Sprintf("spam%d!*@*", i), Reason: "nick", SetBy: "op", SetAt: now})
	}
	w.LoadKlines(list)
	go w.Run()
	b.Cleanup(func() { w.Shutdown("bye") })
	lines := []*irc.Message{
		irc.MustParseMessage("NICK churn"),
		irc.MustParseMessage("USER churn 0 * :churn user"),
		irc.MustParseMessage("QUIT :bye"),
	}
	out := &countingOutbox{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := state.ClientID(1000 + i)
		w.Connect(id, out, netip.MustParseAddr("192.0.2.7"), false)
		for _, m := range lines {
			w.Line(id, m)
		}
	}
	w.Call(func(*state.World) {})
	b.StopTimer()
	if got := out.lines.Load(); got < int64(15*b.N) {
		b.Fatalf("%d lines for %d registrations: were they refused?", got, b.N)
	}
}
