package commands_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"chatd/commands"
	"chatd/conf"
	"chatd/state"

	"gopkg.in/irc.v4"
)

// inviteOutbox keeps the lines it is given.
type inviteOutbox struct {
	countingOutbox
	mu    sync.Mutex
	lines []string
}

func (o *inviteOutbox) Enqueue(line []byte) bool {
	o.mu.Lock()
	o.lines = append(o.lines, string(line))
	o.mu.Unlock()
	return true
}

func (o *inviteOutbox) last() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.lines) == 0 {
		return ""
	}
	return o.lines[len(o.lines)-1]
}

// A channel's pending invites are bounded: past state.MaxChannelInvites
// the inviter is told with FAIL INVITE TOO_MANY_INVITES (nothing already
// acknowledged with 341 is dropped to make room).
func TestInviteListFull(t *testing.T) {
	cfg := conf.Default()
	cfg.Server.Lobby = ""
	cfg.Server.Name = "chatd.test"
	w := state.New(cfg, commands.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	go w.Run()
	t.Cleanup(func() { w.Shutdown("bye") })
	n := state.MaxChannelInvites + 2
	outs := make([]*inviteOutbox, n)
	for i := range outs {
		outs[i] = &inviteOutbox{}
		id := state.ClientID(i + 1)
		w.Connect(id, outs[i], netip.MustParseAddr("127.0.0.1"), false)
		w.Line(id, irc.MustParseMessage(fmt.Sprintf("NICK u%d", i)))
		w.Line(id, irc.MustParseMessage(fmt.Sprintf("USER u%d 0 * :u", i)))
	}
	op := state.ClientID(1)
	w.Line(op, irc.MustParseMessage("JOIN #c"))
	w.Line(op, irc.MustParseMessage("MODE #c +i"))
	for i := 1; i <= state.MaxChannelInvites; i++ {
		w.Line(op, irc.MustParseMessage(fmt.Sprintf("INVITE u%d #c", i)))
	}
	w.Call(func(*state.World) {})
	if got, want := outs[0].last(), fmt.Sprintf(":chatd.test 341 u0 u%d #c\r\n", state.MaxChannelInvites); got != want {
		t.Fatalf("invite %d: got %q, want %q", state.MaxChannelInvites, got, want)
	}
	w.Line(op, irc.MustParseMessage(fmt.Sprintf("INVITE u%d #c", n-1)))
	w.Call(func(*state.World) {})
	if got := outs[0].last(); !strings.HasPrefix(got, ":chatd.test FAIL INVITE TOO_MANY_INVITES #c :") {
		t.Fatalf("invite %d: got %q, want FAIL INVITE TOO_MANY_INVITES", state.MaxChannelInvites+1, got)
	}
	// The first one invited still gets in.
	w.Line(2, irc.MustParseMessage("JOIN #c"))
	w.Call(func(*state.World) {})
	if got := outs[1].last(); got != ":chatd.test 366 u1 #c :End of /NAMES list\r\n" {
		t.Fatalf("the first invitee could not join: last line %q", got)
	}
}
