package commands

import (
	"chatd/state"

	"gopkg.in/irc.v4"
)

// handleInvite invites a user into a channel: INVITE <nick> <#chan>. The
// invite lets the user past +i once (checkJoin consults ch.Invited, and a
// join clears it). With no parameters it lists the channels the client is
// invited to, which chatd does not track per client: only the end (337).
func handleInvite(w *state.World, c *state.Client, m *irc.Message) error {
	if len(m.Params) == 0 {
		w.Numeric(c, "337", "End of /INVITE list")
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
	mem := ch.Membership(c)
	if mem == nil {
		return numeric(irc.ERR_NOTONCHANNEL, ch.Name, "You're not on that channel")
	}
	if ch.Modes&state.ChanInviteOnly != 0 && !mem.Op {
		return numeric(irc.ERR_CHANOPRIVSNEEDED, ch.Name, "You're not channel operator")
	}
	if ch.Membership(target) != nil {
		return numeric(irc.ERR_USERONCHANNEL, target.Nick, ch.Name, "is already on channel")
	}
	ch.Invited[state.Fold(target.Nick)] = true
	w.Numeric(c, irc.RPL_INVITING, target.Nick, ch.Name)
	if target.Away != "" {
		w.Numeric(c, irc.RPL_AWAY, target.Nick, target.Away)
	}
	invite := w.NewFanout(&irc.Message{Prefix: prefixOf(c), Command: "INVITE", Params: []string{target.Nick, ch.Name}}, nil)
	invite.To(target)
	notifyInvite(ch, c, invite)
	return nil
}

// notifyInvite shows an INVITE to the channel's operators that have
// invite-notify (IRCv3), except the inviter, who had 341.
func notifyInvite(ch *state.Channel, inviter *state.Client, invite *state.Fanout) {
	for member, mem := range ch.Members() {
		if mem.Op && member != inviter && member.Caps.Has(state.CapInviteNotify) {
			invite.To(member)
		}
	}
}
