package commands

import "chatd/state"

// The lobby (server.lobby) is everyone's and has no channel operator:
// otherwise whoever connected first could kick or silence everyone. It is
// managed instead by the IRC operators (user mode +o, from OPER): in the
// lobby an IRC operator has a channel operator's rights (MODE, TOPIC,
// KICK, INVITE, speaking through +m and bans) whether or not it is a
// member. Other channels belong to their operators alone.

// isLobby reports whether ch is the configured lobby.
func isLobby(w *state.World, ch *state.Channel) bool {
	lobby := w.Config.Server.Lobby
	return lobby != "" && state.Fold(ch.Name) == state.Fold(lobby)
}

// chanPrivileged reports whether c may act as an operator of ch: it is a
// channel operator there, or ch is the lobby and c an IRC operator.
func chanPrivileged(w *state.World, c *state.Client, ch *state.Channel) bool {
	if mem := ch.Membership(c); mem != nil && mem.Op {
		return true
	}
	return c.Modes&state.UserOper != 0 && isLobby(w, ch)
}

// chanVoiced reports whether c may speak in ch through +m and bans: it is
// privileged there or has +v.
func chanVoiced(w *state.World, c *state.Client, ch *state.Channel) bool {
	if mem := ch.Membership(c); mem != nil && mem.Voice {
		return true
	}
	return chanPrivileged(w, c, ch)
}

// lobbyLockModes are default_modes that are not applied to the lobby: with
// no channel operator there, +i would keep every newcomer out and +m would
// silence everyone until an IRC operator came along. (+k and +l cannot be
// default modes.)
const lobbyLockModes = "im"
