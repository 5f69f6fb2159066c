package commands_test

import (
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

// LIST's search conditions (ELIST=CMNTU) on a world whose clock the test
// moves: C and T count minutes back from now ("<" less than that long
// ago), a channel without a topic matches no T condition, masks are
// casemapped and alternatives, !masks all exclude, conditions combine.
func TestListConditions(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cfg := conf.Default()
	cfg.Server.Lobby = ""
	w := state.New(cfg, commands.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	go w.Run()
	t.Cleanup(func() { w.Shutdown("bye") })
	outs := map[string]*listOutbox{}
	id := state.ClientID(0)
	send := func(nick, line string) {
		w.Line(outs[nick].id, irc.MustParseMessage(line))
		w.Call(func(*state.World) {})
	}
	for _, nick := range []string{"a", "b", "c", "asker"} {
		id++
		outs[nick] = &listOutbox{id: id}
		w.Connect(id, outs[nick], netip.MustParseAddr("127.0.0.1"), false)
		send(nick, "NICK "+nick)
		send(nick, "USER "+nick+" 0 * :"+nick)
	}
	send("a", "JOIN #Old")
	send("b", "JOIN #old")
	send("c", "JOIN #old")
	send("a", "TOPIC #old :first")
	advance(10 * time.Minute)
	send("a", "JOIN #young")
	advance(time.Minute)

	list := func(params string) string {
		out := outs["asker"]
		out.take()
		send("asker", strings.TrimSpace("LIST "+params))
		var got []string
		for _, l := range out.take() {
			if f := strings.Fields(l); len(f) > 3 && f[1] == "322" {
				got = append(got, f[3])
			}
		}
		return strings.Join(got, " ")
	}
	for _, tc := range []struct{ params, want string }{
		{"", "#Old #young"},
		{">0", "#Old #young"},
		{">1", "#Old"},
		{"<2", "#young"},
		{"<1", ""},
		{"C>5", "#Old"},
		{"C<5", "#young"},
		{"C<0", ""},
		{"C>0", "#Old #young"},
		{"T>5", "#Old"},
		{"T<5", ""},
		{"T<60", "#Old"},
		{"#OL*", "#Old"},
		{"#o*,#y*", "#Old #young"},
		{"!#o*", "#young"},
		{"!#o*,!#y*", ""},
		{"#* >2", "#Old"},
		{"C>5,<2", ""},
		{"#old,#young", "#Old #young"},
		{">x", "#Old #young"}, // a bad number is ignored
	} {
		if got := list(tc.params); got != tc.want {
			t.Errorf("LIST %s = %q, want %q", tc.params, got, tc.want)
		}
	}
}

// listOutbox records lines for LIST's test.
type listOutbox struct {
	countingOutbox
	id    state.ClientID
	mu    sync.Mutex
	lines []string
}

func (o *listOutbox) Enqueue(line []byte) bool {
	o.mu.Lock()
	o.lines = append(o.lines, string(line))
	o.mu.Unlock()
	return true
}

func (o *listOutbox) take() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	l := o.lines
	o.lines = nil
	return l
}
