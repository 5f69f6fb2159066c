package commands

import (
	"strconv"
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// changeChannelModes applies a mode string such as "+ov-k alice bob key".
// Listing bans needs no privilege; every change needs channel operator
// status. At most maxModesPerLine parameter modes are taken per line; what
// actually changed is broadcast to the channel as one MODE line.
func changeChannelModes(w *state.World, c *state.Client, ch *state.Channel, mem *state.Membership, modes string, args []string) error {
	var applied []byte
	var appliedArgs []string
	adding := true
	sign := byte(0)
	paramModes := 0
	next := func() (string, bool) {
		if len(args) == 0 {
			return "", false
		}
		a := args[0]
		args = args[1:]
		return a, true
	}
	record := func(letter byte, arg string, hasArg bool) {
		want := byte('-')
		if adding {
			want = '+'
		}
		if sign != want {
			applied = append(applied, want)
			sign = want
		}
		applied = append(applied, letter)
		if hasArg {
			appliedArgs = append(appliedArgs, arg)
		}
	}
	isOp := mem != nil && mem.Op
	denied := false
	needOp := func() bool {
		if !isOp && !denied {
			denied = true
			sendError(w, c, numeric(irc.ERR_CHANOPRIVSNEEDED, ch.Name, "You're not channel operator"))
		}
		return isOp
	}
	for i := 0; i < len(modes); i++ {
		letter := modes[i]
		switch letter {
		case '+':
			adding = true
			continue
		case '-':
			adding = false
			continue
		}
		switch letter {
		case 'b':
			mask, ok := next()
			if !ok {
				for _, b := range ch.Bans {
					w.Numeric(c, irc.RPL_BANLIST, ch.Name, b.Mask, b.SetBy, strconv.FormatInt(b.SetAt.Unix(), 10))
				}
				w.Numeric(c, irc.RPL_ENDOFBANLIST, ch.Name, "End of channel ban list")
				continue
			}
			if paramModes++; paramModes > maxModesPerLine || !needOp() {
				continue
			}
			mask = normalizeMask(mask)
			if strings.ContainsAny(mask, " ,") || strings.HasPrefix(mask, ":") {
				continue
			}
			if changeBan(w, c, ch, mask, adding) {
				record('b', mask, true)
			}
		case 'o', 'v':
			nick, ok := next()
			if !ok {
				sendError(w, c, numeric(irc.ERR_NEEDMOREPARAMS, "MODE", "Not enough parameters"))
				continue
			}
			if paramModes++; paramModes > maxModesPerLine || !needOp() {
				continue
			}
			target := w.ClientByNick(nick)
			if target == nil {
				sendError(w, c, numeric(irc.ERR_NOSUCHNICK, nick, "No such nick/channel"))
				continue
			}
			tm := ch.Membership(target)
			if tm == nil {
				sendError(w, c, numeric(irc.ERR_USERNOTINCHANNEL, target.Nick, ch.Name, "They aren't on that channel"))
				continue
			}
			flag := &tm.Op
			if letter == 'v' {
				flag = &tm.Voice
			}
			if *flag != adding {
				*flag = adding
				record(letter, target.Nick, true)
			}
		case 'k':
			if adding {
				key, ok := next()
				if !ok {
					sendError(w, c, numeric(irc.ERR_NEEDMOREPARAMS, "MODE", "Not enough parameters"))
					continue
				}
				if paramModes++; paramModes > maxModesPerLine || !needOp() {
					continue
				}
				if !validKey(key) {
					sendError(w, c, numeric(state.ErrInvalidKey, ch.Name, "Key is not well-formed"))
					continue
				}
				ch.Modes |= state.ChanKeyed
				ch.Key = key
				record('k', key, true)
				continue
			}
			next() // "-k" may carry the key; it is not needed
			if !needOp() || ch.Modes&state.ChanKeyed == 0 {
				continue
			}
			ch.Modes &^= state.ChanKeyed
			ch.Key = ""
			record('k', "*", true)
		case 'l':
			if adding {
				arg, ok := next()
				if !ok {
					sendError(w, c, numeric(irc.ERR_NEEDMOREPARAMS, "MODE", "Not enough parameters"))
					continue
				}
				if paramModes++; paramModes > maxModesPerLine || !needOp() {
					continue
				}
				n, err := strconv.Atoi(arg)
				if err != nil || n <= 0 {
					continue
				}
				ch.Modes |= state.ChanLimited
				ch.Limit = n
				record('l', strconv.Itoa(n), true)
				continue
			}
			if !needOp() || ch.Modes&state.ChanLimited == 0 {
				continue
			}
			ch.Modes &^= state.ChanLimited
			ch.Limit = 0
			record('l', "", false)
		default:
			flag := state.ChanModeFor(letter)
			if flag == 0 || flag == state.ChanKeyed || flag == state.ChanLimited {
				sendError(w, c, numeric(irc.ERR_UNKNOWNMODE, string(letter), "is unknown mode char to me"))
				continue
			}
			if !needOp() {
				continue
			}
			if (ch.Modes&flag != 0) != adding {
				if adding {
					ch.Modes |= flag
				} else {
					ch.Modes &^= flag
				}
				record(letter, "", false)
			}
		}
	}
	if len(applied) > 0 {
		params := append([]string{ch.Name, string(applied)}, appliedArgs...)
		w.NewFanout(&irc.Message{Prefix: prefixOf(c), Command: "MODE", Params: params}, nil).ToChannel(ch, nil, 0)
	}
	return nil
}

// changeBan adds or removes a ban mask; it reports whether anything changed.
func changeBan(w *state.World, c *state.Client, ch *state.Channel, mask string, adding bool) bool {
	folded := state.Fold(mask)
	for i, b := range ch.Bans {
		if state.Fold(b.Mask) == folded {
			if adding {
				return false
			}
			ch.Bans = append(ch.Bans[:i], ch.Bans[i+1:]...)
			return true
		}
	}
	if !adding {
		return false
	}
	if len(ch.Bans) >= maxListEntries {
		sendError(w, c, numeric(irc.ERR_BANLISTFULL, ch.Name, mask, "Channel ban list is full"))
		return false
	}
	ch.Bans = append(ch.Bans, state.ListEntry{Mask: mask, SetBy: c.Prefix(), SetAt: timeNow()})
	return true
}

// validKey accepts a channel key without spaces, commas or controls.
func validKey(key string) bool {
	if key == "" || len(key) > 23 || key[0] == ':' {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] <= ' ' || key[i] == ',' || key[i] == 0x7f {
			return false
		}
	}
	return true
}
