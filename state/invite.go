package state

import "time"

// An invite lets one client, not one nick, past a channel's +i (and +l)
// once. It is kept by the Client it was given to, so a stranger who later
// takes the same nick has nothing, and it is dropped when that client
// quits or changes its nick (the inviter invited the nick they saw), when
// it is used by joining, when the channel ceases to exist, and when it
// expires.

// InviteTTL is how long an unused invite lasts. It is fixed rather than a
// config key: an invite is "come in now", an hour is ample time to see it
// and act, and short enough that a forgotten one does not hang around
// letting someone into a channel whose operators have moved on.
const InviteTTL = time.Hour

// MaxChannelInvites bounds the invites pending for one channel; Invite
// refuses more rather than drop one that was already announced.
const MaxChannelInvites = 100

// Invite gives c an invite to ch, or renews the one it has, valid for
// InviteTTL from now. It reports false, changing nothing, when ch already
// has MaxChannelInvites unexpired invites for other clients.
func (w *World) Invite(ch *Channel, c *Client) bool {
	now := w.Now()
	if _, renew := ch.invites[c]; !renew && len(ch.invites) >= MaxChannelInvites {
		for invitee, expires := range ch.invites {
			if !now.Before(expires) {
				w.dropInvite(ch, invitee)
			}
		}
		if len(ch.invites) >= MaxChannelInvites {
			return false
		}
	}
	if ch.invites == nil {
		ch.invites = make(map[*Client]time.Time)
	}
	if c.invitedTo == nil {
		c.invitedTo = make(map[*Channel]struct{})
	}
	ch.invites[c] = now.Add(InviteTTL)
	c.invitedTo[ch] = struct{}{}
	return true
}

// Invited reports whether c holds an unexpired invite to ch.
func (w *World) Invited(ch *Channel, c *Client) bool {
	expires, ok := ch.invites[c]
	return ok && w.Now().Before(expires)
}

// UseInvite drops c's invite to ch, if any: it was good for one join.
func (w *World) UseInvite(ch *Channel, c *Client) { w.dropInvite(ch, c) }

// InvitedTo lists the channels c holds unexpired invites to, in no
// particular order.
func (w *World) InvitedTo(c *Client) []*Channel {
	var list []*Channel
	for ch := range c.invitedTo {
		if w.Invited(ch, c) {
			list = append(list, ch)
		}
	}
	return list
}

// dropInvites drops every invite c holds.
func (w *World) dropInvites(c *Client) {
	for ch := range c.invitedTo {
		delete(ch.invites, c)
	}
	c.invitedTo = nil
}

// dropChannelInvites drops every invite to ch (which is going away).
func (w *World) dropChannelInvites(ch *Channel) {
	for c := range ch.invites {
		delete(c.invitedTo, ch)
	}
	ch.invites = nil
}

func (w *World) dropInvite(ch *Channel, c *Client) {
	delete(ch.invites, c)
	delete(c.invitedTo, ch)
}
