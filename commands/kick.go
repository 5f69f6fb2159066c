package commands

import (
	"chatd/state"

	"gopkg.in/irc.v4"
)

// handleKick removes users from a channel: KICK <#chan> <nick>[,<nick>...]
// [:reason], or KICK <#a>,<#b> <nick1>,<nick2> to pair channels and nicks.
// The reason (the kicker's nick by default) is cut to kick_length. Each
// KICK sent to clients names one channel and one nick (RFC 2812 3.2.8).
// At most maxKickTargets nicks (TARGMAX=KICK) are taken, a repeated one
// once; 407 names the first left out (Modern lets servers drop the rest).
func handleKick(w *state.World, c *state.Client, m *irc.Message) error {
	chans, nicks := splitList(m.Params[0]), splitList(m.Params[1])
	reason := m.Param(2)
	if reason == "" {
		reason = c.Nick
	}
	reason = truncateUTF8(reason, w.Config.Limits.KickLength)
	over := ""
	switch {
	case len(chans) == 1 && len(nicks) > 0:
		nicks, over = targets(m.Params[1], maxKickTargets)
		kickFrom(w, c, chans[0], nicks, reason)
	case len(chans) > 1 && len(chans) == len(nicks):
		if len(nicks) > maxKickTargets {
			// Both lists are cut at the same place, so pairs stay pairs.
			over = nicks[maxKickTargets]
			chans, nicks = chans[:maxKickTargets], nicks[:maxKickTargets]
		}
		for i, name := range chans {
			kickFrom(w, c, name, nicks[i:i+1], reason)
		}
	default:
		return numeric(irc.ERR_NEEDMOREPARAMS, "KICK", "Not enough parameters")
	}
	if over != "" {
		return tooManyTargets(over, maxKickTargets)
	}
	return nil
}

// kickFrom kicks nicks out of the channel called name, if c may.
func kickFrom(w *state.World, c *state.Client, name string, nicks []string, reason string) {
	ch := w.Channel(name)
	if ch == nil || (ch.Modes&state.ChanSecret != 0 && ch.Membership(c) == nil) {
		sendError(w, c, numeric(irc.ERR_NOSUCHCHANNEL, name, "No such channel"))
		return
	}
	privileged := chanPrivileged(w, c, ch)
	if ch.Membership(c) == nil && !privileged {
		sendError(w, c, numeric(irc.ERR_NOTONCHANNEL, ch.Name, "You're not on that channel"))
		return
	}
	if !privileged {
		sendError(w, c, numeric(irc.ERR_CHANOPRIVSNEEDED, ch.Name, "You're not channel operator"))
		return
	}
	for _, nick := range nicks {
		target := w.ClientByNick(nick)
		switch {
		case target == nil:
			sendError(w, c, numeric(irc.ERR_NOSUCHNICK, nick, "No such nick/channel"))
		case ch.Membership(target) == nil:
			sendError(w, c, numeric(irc.ERR_USERNOTINCHANNEL, target.Nick, ch.Name, "They aren't on that channel"))
		default:
			w.KickMember(ch, c, target, reason)
			w.Log.Info("kick", "channel", ch.Name, "by", c.Nick, "nick", target.Nick, "reason", reason)
			if target == c {
				return // the kicker kicked itself: no longer an operator here
			}
		}
	}
}
