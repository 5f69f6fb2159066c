package commands

import (
	"sort"
	"strconv"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// handleInvite invites a user into a channel: INVITE <nick> <#chan>. The
// invite belongs to that client, not to the nick, and lets it past +i and
// +l once within state.InviteTTL (state/invite.go). With no parameters it
// lists the channels the client holds invites to (336 each, then 337).
func handleInvite(w *state.World, c *state.Client, m *irc.Message) error {
	if len(m.Params) == 0 {
		chans := w.InvitedTo(c)
		sort.Slice(chans, func(i, j int) bool { return chans[i].Name < chans[j].Name })
		for _, ch := range chans {
			w.Numeric(c, rplInviteList, ch.Name)
		}
		w.Numeric(c, rplEndOfInviteList, "End of /INVITE list")
		return nil
	}
	if len(m.Params) < 2 {
		return numeric(irc.ERR_NEEDMOREPARAMS, "INVITE", "Not enough parameters")
	}
	nick, name := m.Params[0], m.Params[1]
	target := w.ClientByNick(nick)
	if target == nil {
		return numeric(irc.ERR_NOSUCHNICK, nick, "No such nick/channel")
	}
	ch := w.Channel(name)
	if ch == nil || (ch.Modes&state.ChanSecret != 0 && ch.Membership(c) == nil) {
		return numeric(irc.ERR_NOSUCHCHANNEL, name, "No such channel")
	}
	privileged := chanPrivileged(w, c, ch)
	if ch.Membership(c) == nil && !privileged {
		return numeric(irc.ERR_NOTONCHANNEL, ch.Name, "You're not on that channel")
	}
	if ch.Modes&state.ChanInviteOnly != 0 && !privileged {
		return numeric(irc.ERR_CHANOPRIVSNEEDED, ch.Name, "You're not channel operator")
	}
	if ch.Membership(target) != nil {
		return numeric(irc.ERR_USERONCHANNEL, target.Nick, ch.Name, "is already on channel")
	}
	if !w.Invite(ch, target) {
		return fail("INVITE", "TOO_MANY_INVITES", ch.Name, "Too many pending invites to "+ch.Name+
			" (at most "+strconv.Itoa(state.MaxChannelInvites)+"); each lasts until used or for "+
			strconv.Itoa(int(state.InviteTTL.Minutes()))+" minutes")
	}
	w.Numeric(c, irc.RPL_INVITING, target.Nick, ch.Name)
	if target.Away != "" {
		w.Numeric(c, irc.RPL_AWAY, target.Nick, target.Away)
	}
	invite := w.NewFanout(&irc.Message{Prefix: prefixOf(c), Command: "INVITE", Params: []string{target.Nick, ch.Name}}, nil)
	invite.To(target)
	notifyInvite(ch, c, invite)
	return nil
}

// RPL_INVITELIST and RPL_ENDOFINVITELIST (modern.ircdocs.horse), which
// gopkg.in/irc.v4 lacks.
const (
	rplInviteList      = "336"
	rplEndOfInviteList = "337"
)

// notifyInvite shows an INVITE to the channel's operators that have
// invite-notify (IRCv3), except the inviter, who had 341.
func notifyInvite(ch *state.Channel, inviter *state.Client, invite *state.Fanout) {
	for member, mem := range ch.Members() {
		if mem.Op && member != inviter && member.Caps.Has(state.CapInviteNotify) {
			invite.To(member)
		}
	}
}
