package commands

import (
	"chatd/state"

	"gopkg.in/irc.v4"
)

func handlePing(w *state.World, c *state.Client, m *irc.Message) error {
	if m.Params[0] == "" {
		return numeric(irc.ERR_NOORIGIN, "No origin specified")
	}
	w.ServerMessage(c, "PONG", w.Config.Server.Name, m.Params[0])
	return nil
}

// handlePong accepts the client's answer to a keepalive PING; the reader
// already counted the line as activity, so there is nothing else to do.
func handlePong(w *state.World, c *state.Client, m *irc.Message) error { return nil }

// handleQuit ends the session. Others see the reason prefixed with "Quit: ",
// even when it is empty (modern.ircdocs.horse, QUIT: "This applies even if
// <reason> is empty, in which case the reason sent to other clients SHOULD
// be just this "Quit: " string"), so a client cannot pass its reason off as
// a server-generated one such as "Ping timeout". A QUIT with no reason at
// all (a bare QUIT typed in nc) gets the default RFC 1459 and RFC 2812 give
// it, the nickname, so others read "Quit: alice" rather than an empty one.
func handleQuit(w *state.World, c *state.Client, m *irc.Message) error {
	reason := m.Param(0)
	if len(m.Params) == 0 {
		reason = c.Nick
	}
	w.Quit(c, "Quit: "+truncateUTF8(reason, w.Config.Limits.KickLength))
	return nil
}

// handleAway sets or clears the away message. away-notify peers (and
// extended-monitor watchers) are told by World.SetAway when the state
// "sets, changes or removes" (IRCv3 away-notify), so a repeated AWAY that
// changes nothing is acknowledged but not broadcast.
//
// Before registration AWAY is for clients that negotiated draft/pre-away
// (to connect already marked away, or as "*": not present, for no stated
// reason); nobody is told until the client registers and shows up.
func handleAway(w *state.World, c *state.Client, m *irc.Message) error {
	if !c.Registered && !c.Caps.Has(state.CapPreAway) {
		return numeric(irc.ERR_NOTREGISTERED, "You have not registered")
	}
	msg := truncateUTF8(m.Param(0), w.Config.Limits.AwayLength)
	if msg == "" {
		w.Numeric(c, irc.RPL_UNAWAY, "You are no longer marked as being away")
	} else {
		w.Numeric(c, irc.RPL_NOWAWAY, "You have been marked as being away")
	}
	w.SetAway(c, msg)
	return nil
}

// handleSetname changes the realname (IRCv3 setname); World.SetRealname
// tells the client and those who share a channel with it (or watch it
// with extended-monitor) that negotiated setname.
func handleSetname(w *state.World, c *state.Client, m *irc.Message) error {
	name := m.Params[0]
	if name == "" || len(name) > realnameLen {
		return fail("SETNAME", "INVALID_REALNAME", "Realname is not valid")
	}
	w.SetRealname(c, name)
	return nil
}
