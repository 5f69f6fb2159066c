package commands

import (
	"chatd/state"

	"gopkg.in/irc.v4"
)

// userMode queries or changes the client's own modes (+i, +w; +o only
// through OPER, though a client may drop it). Another user's modes can be
// neither seen nor changed (502). Known modes are applied even when the
// string also holds unknown letters, which draw one 501; the client is
// then sent a MODE with the net change, if there is one.
func userMode(w *state.World, c *state.Client, m *irc.Message) error {
	target := w.ClientByNick(m.Params[0])
	if target == nil {
		return numeric(irc.ERR_NOSUCHNICK, m.Params[0], "No such nick/channel")
	}
	if target != c {
		return numeric(irc.ERR_USERSDONTMATCH, "Cant change mode for other users")
	}
	if m.Param(1) == "" {
		w.Numeric(c, irc.RPL_UMODEIS, c.Modes.String())
		return nil
	}
	before, modes := c.Modes, c.Modes
	unknown := false
	adding := true
	for i := 0; i < len(m.Params[1]); i++ {
		letter := m.Params[1][i]
		switch letter {
		case '+':
			adding = true
			continue
		case '-':
			adding = false
			continue
		}
		mode := state.UserModeFor(letter)
		switch {
		case mode == 0:
			unknown = true
		case adding && mode != state.UserOper:
			modes |= mode
		case !adding:
			modes &^= mode
		}
	}
	if before&state.UserOper != 0 && modes&state.UserOper == 0 {
		w.SetOper(c, false) // also restores flood control
	}
	w.SetUserModes(c, modes)
	if unknown {
		sendError(w, c, numeric(irc.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag"))
	}
	if change := userModeChange(before, c.Modes); change != "" {
		w.SendMessage(c, &irc.Message{Prefix: prefixOf(c), Command: "MODE", Params: []string{c.Nick, change}})
	}
	return nil
}

// userModeChange renders the difference between two sets of user modes as
// "+ab-c", letters in the order 004 lists them; "" when they are the same.
func userModeChange(before, after state.UserModes) string {
	var added, removed []byte
	for _, letter := range []byte(userModes) {
		mode := state.UserModeFor(letter)
		switch {
		case after&mode != 0 && before&mode == 0:
			added = append(added, letter)
		case after&mode == 0 && before&mode != 0:
			removed = append(removed, letter)
		}
	}
	return modeChange(added, removed)
}

// modeChange renders "+ab-c" from the letters added and removed.
func modeChange(added, removed []byte) string {
	s := ""
	if len(added) > 0 {
		s += "+" + string(added)
	}
	if len(removed) > 0 {
		s += "-" + string(removed)
	}
	return s
}
