package commands_test

import (
	"fmt"
	"testing"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// BenchmarkMultilineFanout compares, on the state goroutine, one message
// of 10 lines to a channel of 1,000 members sent as a draft/multiline
// batch with the same 10 lines sent as 10 PRIVMSGs: an op is the whole
// message either way (12 lines dispatched, or 10). The members either
// lack the capability (each gets the 10 lines) or have it (each gets the
// batch: its start, 10 lines and its end). History is on (in memory).
func BenchmarkMultilineFanout(b *testing.B) {
	b.Run("singles", func(b *testing.B) { benchMultiline(b, false, false) })
	b.Run("multiline/members-plain", func(b *testing.B) { benchMultiline(b, true, false) })
	b.Run("multiline/members-multiline", func(b *testing.B) { benchMultiline(b, true, true) })
}

func benchMultiline(b *testing.B, multiline, membersHaveCap bool) {
	const members, lines = 1000, 10
	w, dispatch, outs := benchWorld(b, members)
	caps := irc.MustParseMessage("CAP REQ :batch draft/multiline")
	w.Call(func(w *state.World) {
		for i := range members {
			if i == 0 || membersHaveCap {
				dispatch(w, w.ClientByNick(fmt.Sprintf("u%d", i)), caps)
			}
		}
	})
	var msgs []*irc.Message
	if multiline {
		msgs = append(msgs, irc.MustParseMessage("BATCH +b draft/multiline #bench"))
	}
	for i := range lines {
		text := fmt.Sprintf("line %d of a pasted paragraph, an ordinary chat line of some length", i)
		if multiline {
			msgs = append(msgs, irc.MustParseMessage("@batch=b PRIVMSG #bench :"+text))
		} else {
			msgs = append(msgs, irc.MustParseMessage("PRIVMSG #bench :"+text))
		}
	}
	if multiline {
		msgs = append(msgs, irc.MustParseMessage("BATCH -b"))
	}
	perMessage := int64(lines)
	if membersHaveCap {
		perMessage += 2
	}
	before := outs[1].lines.Load()
	b.ReportAllocs()
	b.ResetTimer()
	w.Call(func(w *state.World) {
		sender := w.ClientByNick("u0")
		for i := 0; i < b.N; i++ {
			for _, m := range msgs {
				dispatch(w, sender, m)
			}
		}
	})
	b.StopTimer()
	if got := outs[1].lines.Load() - before; got != perMessage*int64(b.N) {
		b.Fatalf("member received %d lines, want %d", got, perMessage*int64(b.N))
	}
	b.ReportMetric(float64(b.N*(members-1)*lines)/b.Elapsed().Seconds(), "text-lines/s")
}
