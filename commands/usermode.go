package commands

import (
	"chatd/state"

	"gopkg.in/irc.v4"
)

// userMode queries or changes the client's own modes (+i, +w; +o only
// through OPER, though a client may drop it).
func userMode(w *state.World, c *state.Client, m *irc.Message) error {
	target := w.ClientByNick(m.Params[0])
	if target == nil {
		return numeric(irc.ERR_NOSUCHNICK, m.Params[0], "No such nick/channel")
	}
	if target != c {
		return numeric(irc.ERR_USERSDONTMATCH, "Cant change mode for other users")
	}
	if len(m.Params) < 2 {
		w.Numeric(c, irc.RPL_UMODEIS, c.Modes.String())
		return nil
	}
	var added, removed []byte
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
		if mode == 0 {
			unknown = true
			continue
		}
		has := c.Modes&mode != 0
		switch {
		case adding && !has && mode != state.UserOper:
			c.Modes |= mode
			added = append(added, letter)
		case !adding && has:
			if mode == state.UserOper {
				w.SetOper(c, false)
			} else {
				c.Modes &^= mode
			}
			removed = append(removed, letter)
		}
	}
	if unknown {
		sendError(w, c, numeric(irc.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag"))
	}
	if change := modeChange(added, removed); change != "" {
		w.SendMessage(c, &irc.Message{Prefix: prefixOf(c), Command: "MODE", Params: []string{c.Nick, change}})
	}
	return nil
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
