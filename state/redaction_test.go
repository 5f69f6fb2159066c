package state

import (
	"testing"

	"gopkg.in/irc.v4"
)

// Without history a channel keeps who sent its newest messages, not what
// they said, and turning history on (REHASH) drops those rings, so that
// history never serves a message without its text; turning it off again
// drops history's.
func TestRecentWithoutHistory(t *testing.T) {
	w := snapWorld(t)
	cfg := *w.Config
	cfg.History.Enabled = false
	w.ApplyConfig(&cfg)
	a := w.clients[1]
	ch := w.Channel("#lobby")
	msg := &irc.Message{Prefix: &irc.Prefix{Name: "alice", User: "ualice", Host: "h"}, Command: "PRIVMSG", Params: []string{"#Lobby", "secret text"}}
	w.RelayToChannel(a, ch, msg, irc.Tags{"+x": "y"})
	ord := w.LastOrd()
	e := w.RecentMessage(ChannelKey(ch), ord)
	switch {
	case e == nil:
		t.Fatal("the message is not known by its msgid")
	case !SentBy(e, a) || SentBy(e, w.clients[3]):
		t.Fatal("its sender is not known")
	case len(e.Msg.Params) != 1 || e.Tags != nil:
		t.Fatalf("kept without history: %v %v", e.Msg.Params, e.Tags)
	}
	if len(w.history.pending) != 0 {
		t.Fatal("a message was handed to the store without history")
	}
	for range 2 * RecentWithoutHistory {
		w.RelayToChannel(a, ch, msg, nil)
	}
	if w.RecentMessage(ChannelKey(ch), ord) != nil || ch.history.n != RecentWithoutHistory {
		t.Fatalf("without history a channel keeps %d, not the newest %d", ch.history.n, RecentWithoutHistory)
	}
	on := cfg
	on.History.Enabled = true
	w.ApplyConfig(&on)
	if ch.history != nil || len(w.history.private) != 0 {
		t.Fatal("rings made without history outlive turning it on")
	}
	w.RelayToChannel(a, ch, msg, nil)
	if got, _ := ch.history.query(HistoryRange{Hi: ^uint64(0), Limit: 10, MaxKind: KindEvent}); len(got) != 1 || got[0].Msg.Trailing() != "secret text" {
		t.Fatalf("with history on: %v", got)
	}
	w.ApplyConfig(&cfg)
	if ch.history != nil {
		t.Fatal("history's ring outlives turning it off")
	}
}
