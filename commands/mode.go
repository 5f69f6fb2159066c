package commands

import (
	"strconv"

	"chatd/state"

	"gopkg.in/irc.v4"
)

func handleMode(w *state.World, c *state.Client, m *irc.Message) error {
	if isChannel(m.Params[0]) {
		return channelMode(w, c, m)
	}
	return userMode(w, c, m)
}

// channelMode queries a channel's modes or, for its operators, changes them.
func channelMode(w *state.World, c *state.Client, m *irc.Message) error {
	ch := w.Channel(m.Params[0])
	if ch == nil || !canSee(c, ch) {
		return numeric(irc.ERR_NOSUCHCHANNEL, m.Params[0], "No such channel")
	}
	mem := ch.Membership(c)
	if len(m.Params) < 2 {
		modes, params := ch.ModeString(mem != nil)
		w.Numeric(c, irc.RPL_CHANNELMODEIS, append([]string{ch.Name, modes}, params...)...)
		w.Numeric(c, state.RplCreationTime, ch.Name, strconv.FormatInt(ch.Created.Unix(), 10))
		return nil
	}
	return changeChannelModes(w, c, ch, mem, m.Params[1], m.Params[2:])
}

// applyDefaultModes sets the flag modes of [channels] default_modes on a
// new channel (validated by conf to be "+" and flag letters).
func applyDefaultModes(w *state.World, ch *state.Channel, modes string) {
	for i := 0; i < len(modes); i++ {
		if flag := state.ChanModeFor(modes[i]); flag != 0 {
			w.SetChannelFlag(ch, flag, true)
		}
	}
}
