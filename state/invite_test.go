package state

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"chatd/conf"
)

// inviteWorld is a World with a clock the test moves, one channel and a
// way to add registered clients.
type inviteWorld struct {
	*World
	at time.Time
	ch *Channel
}

func newInviteWorld(t *testing.T) *inviteWorld {
	t.Helper()
	iw := &inviteWorld{World: New(conf.Default(), nil, slog.New(slog.NewTextHandler(io.Discard, nil))),
		at: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	iw.clock = func() time.Time { return iw.at }
	iw.ch = iw.CreateChannel("#c")
	op := iw.client("op")
	iw.AddMember(iw.ch, op, Membership{Op: true})
	return iw
}

func (iw *inviteWorld) client(nick string) *Client {
	c := newClient(ClientID(len(iw.clients)+1), &nopOutbox{}, netip.MustParseAddr("127.0.0.1"), false, time.Time{})
	iw.clients[c.ID] = c
	iw.unregistered++
	iw.SetNick(c, nick)
	iw.Register(c)
	return c
}

// advance moves the clock on; the next event (here: the next call) sees it.
func (iw *inviteWorld) advance(d time.Duration) {
	iw.at = iw.at.Add(d)
	iw.now = iw.clock()
}

func TestInviteExpires(t *testing.T) {
	iw := newInviteWorld(t)
	bob := iw.client("bob")
	if !iw.Invite(iw.ch, bob) || !iw.Invited(iw.ch, bob) {
		t.Fatal("a fresh invite does not hold")
	}
	iw.advance(InviteTTL - time.Second)
	if !iw.Invited(iw.ch, bob) || len(iw.InvitedTo(bob)) != 1 {
		t.Fatal("the invite expired early")
	}
	iw.advance(time.Second)
	if iw.Invited(iw.ch, bob) || len(iw.InvitedTo(bob)) != 0 {
		t.Fatalf("the invite outlived InviteTTL (%v)", InviteTTL)
	}
	// Inviting again renews it from now.
	iw.Invite(iw.ch, bob)
	iw.advance(InviteTTL / 2)
	iw.Invite(iw.ch, bob)
	iw.advance(InviteTTL * 3 / 4)
	if !iw.Invited(iw.ch, bob) {
		t.Fatal("a renewed invite kept its first expiry")
	}
}

func TestInviteBelongsToTheClient(t *testing.T) {
	iw := newInviteWorld(t)
	bob := iw.client("bob")
	iw.Invite(iw.ch, bob)

	// A case change keeps it: the nick the inviter saw is the same.
	iw.SetNick(bob, "Bob")
	if !iw.Invited(iw.ch, bob) {
		t.Fatal("a case-only nick change dropped the invite")
	}
	// Another nick drops it, and taking the old nick back does not
	// bring it back.
	iw.SetNick(bob, "robert")
	iw.SetNick(bob, "bob")
	if iw.Invited(iw.ch, bob) || len(bob.invitedTo) != 0 || len(iw.ch.invites) != 0 {
		t.Fatalf("a nick change kept the invite: %v %v", bob.invitedTo, iw.ch.invites)
	}

	// Quitting drops it; a new client with the same nick has none.
	iw.Invite(iw.ch, bob)
	iw.Quit(bob, "bye")
	if len(iw.ch.invites) != 0 {
		t.Fatalf("a quit left the invite behind: %v", iw.ch.invites)
	}
	stranger := iw.client("BOB")
	if iw.Invited(iw.ch, stranger) {
		t.Fatal("a stranger with the invitee's nick holds the invite")
	}

	// Using it drops it.
	iw.Invite(iw.ch, stranger)
	iw.UseInvite(iw.ch, stranger)
	if iw.Invited(iw.ch, stranger) || len(stranger.invitedTo) != 0 {
		t.Fatal("a used invite is still there")
	}

	// The channel ceasing to exist drops its invites from the invitees.
	iw.Invite(iw.ch, stranger)
	for m := range iw.ch.Members() {
		iw.RemoveMember(iw.ch, m)
	}
	if len(stranger.invitedTo) != 0 || iw.Channel("#c") != nil {
		t.Fatalf("invites to a channel that is gone: %v", stranger.invitedTo)
	}
}

func TestChannelInvitesAreBounded(t *testing.T) {
	iw := newInviteWorld(t)
	var first *Client
	for i := range MaxChannelInvites {
		c := iw.client(fmt.Sprintf("u%d", i))
		if i == 0 {
			first = c
		}
		if !iw.Invite(iw.ch, c) {
			t.Fatalf("invite %d of %d refused", i+1, MaxChannelInvites)
		}
	}
	extra := iw.client("extra")
	if iw.Invite(iw.ch, extra) || iw.Invited(iw.ch, extra) {
		t.Fatalf("invite %d accepted: the list is unbounded", MaxChannelInvites+1)
	}
	if !iw.Invited(iw.ch, first) {
		t.Fatal("a full list dropped an invite it had acknowledged")
	}
	if !iw.Invite(iw.ch, first) {
		t.Fatal("renewing an invite in a full list was refused")
	}
	// Once the others expire there is room again, and the expired ones
	// are gone from the list and from their holders.
	iw.advance(InviteTTL / 2)
	iw.Invite(iw.ch, first) // renewed: still good after the rest expire
	iw.advance(InviteTTL/2 + time.Second)
	if !iw.Invite(iw.ch, extra) {
		t.Fatal("no room after the invites expired")
	}
	if n := len(iw.ch.invites); n != 2 {
		t.Fatalf("%d invites kept, want 2 (the renewed one and the new one)", n)
	}
	if c := iw.ClientByNick("u1"); len(c.invitedTo) != 0 {
		t.Fatalf("an expired invite is still held: %v", c.invitedTo)
	}
}
