package commands

import (
	"strconv"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// errInvalidModeParam is ERR_INVALIDMODEPARAM, which modern.ircdocs.horse
// says servers SHOULD send for an invalid mode parameter such as a bad key.
const errInvalidModeParam = "696"

// changeChannelModes applies a mode string such as "+ov-k alice bob key".
// Listing bans needs no privilege; every change needs channel operator
// status, checked at each change (parseModeRequests reads the line first).
// At most maxModesPerLine parameter modes are taken per line; what actually
// changed is broadcast to the channel as one MODE line.
//
// As modern.ircdocs.horse (MODE message) requires, a type B or C mode (k, l,
// and the prefix modes o, v) sent without its parameter when being set is
// ignored, and a type A mode (b) without one lists its contents.
func changeChannelModes(w *state.World, c *state.Client, ch *state.Channel, mem *state.Membership, modes string, args []string) error {
	var changes []chanModeChange
	paramModes := 0
	// Privilege is looked at for each change, not once per line: a sender
	// who deops itself ("-o+m me") has no right to what follows.
	privileged := func() bool { return chanPrivileged(w, c, ch) }
	denied := false
	needOp := func() bool {
		if privileged() {
			return true
		}
		if !denied {
			denied = true
			sendError(w, c, numeric(irc.ERR_CHANOPRIVSNEEDED, ch.Name, "You're not channel operator"))
		}
		return false
	}
	// takeParam counts a parameter mode against MODES= and checks the
	// sender may change modes at all.
	takeParam := func() bool {
		paramModes++
		return paramModes <= maxModesPerLine && needOp()
	}
	invalid := func(letter byte, param, why string) {
		sendError(w, c, numeric(errInvalidModeParam, ch.Name, string(letter), param, why))
	}
	// A list query or an unknown letter is answered once per line, however
	// often it is repeated: "MODE #c bbbb..." must not list the bans 490
	// times. Every non-ASCII letter shares slot 0.
	var answered [128]bool
	firstTime := func(letter rune) bool {
		slot := 0
		if letter < 0x80 {
			slot = int(letter)
		}
		if answered[slot] {
			return false
		}
		answered[slot] = true
		return true
	}
	var req modeRequest // the request being applied, for record
	record := func(letter byte, arg string, hasArg bool) {
		changes = append(changes, chanModeChange{adding: req.adding, letter: letter, arg: arg, hasArg: hasArg})
	}
	for _, req = range parseModeRequests(modes, args) {
		if req.letter >= 0x80 || req.letter <= ' ' {
			if firstTime(req.letter) {
				sendError(w, c, numeric(irc.ERR_UNKNOWNMODE, string(req.letter), "is unknown mode char to me"))
			}
			continue
		}
		letter := byte(req.letter)
		switch letter {
		case 'b', 'e', 'I':
			lm := listModeFor(letter)
			if !req.hasArg {
				if firstTime(req.letter) {
					lm.send(w, c, ch)
				}
				continue
			}
			if !takeParam() {
				continue
			}
			mask, why := lm.parseEntry(req.arg)
			if why != "" {
				invalid(letter, req.arg, why)
				continue
			}
			if changed, ok := lm.change(w, c, ch, mask, req.adding); ok {
				record(letter, changed, true)
			}
		case 'o', 'v':
			if !req.hasArg || !takeParam() {
				continue
			}
			target := w.ClientByNick(req.arg)
			if target == nil {
				sendError(w, c, numeric(irc.ERR_NOSUCHNICK, req.arg, "No such nick/channel"))
				continue
			}
			tm := ch.Membership(target)
			if tm == nil {
				sendError(w, c, numeric(irc.ERR_USERNOTINCHANNEL, target.Nick, ch.Name, "They aren't on that channel"))
				continue
			}
			set := w.SetChannelOp
			if letter == 'v' {
				set = w.SetChannelVoice
			}
			if set(ch, target, req.adding) {
				record(letter, target.Nick, true)
			}
		case 'k':
			if req.adding {
				if !req.hasArg || !takeParam() {
					continue
				}
				if !validKey(req.arg) {
					// The key itself is not echoed: it may hold spaces.
					invalid('k', "*", "Invalid key: 1 to 23 characters, no spaces, commas or controls")
					continue
				}
				w.SetChannelKey(ch, req.arg)
				record('k', req.arg, true)
				continue
			}
			// "-k" may carry the key; it is not needed.
			if !needOp() || ch.Modes&state.ChanKeyed == 0 {
				continue
			}
			w.SetChannelKey(ch, "")
			record('k', "*", true)
		case 'l':
			if req.adding {
				if !req.hasArg || !takeParam() {
					continue
				}
				n, err := strconv.Atoi(req.arg)
				if err != nil || n <= 0 {
					invalid('l', req.arg, "Invalid limit: a positive number of members")
					continue
				}
				w.SetChannelLimit(ch, n)
				record('l', strconv.Itoa(n), true)
				continue
			}
			if !needOp() || ch.Modes&state.ChanLimited == 0 {
				continue
			}
			w.SetChannelLimit(ch, 0)
			record('l', "", false)
		default:
			flag := state.ChanModeFor(letter)
			if flag == 0 || flag == state.ChanKeyed || flag == state.ChanLimited {
				if firstTime(req.letter) {
					sendError(w, c, numeric(irc.ERR_UNKNOWNMODE, string(letter), "is unknown mode char to me"))
				}
				continue
			}
			if !needOp() {
				continue
			}
			if (ch.Modes&flag != 0) != req.adding {
				w.SetChannelFlag(ch, flag, req.adding)
				record(letter, "", false)
			}
		}
	}
	w.AnnounceModes(ch, c, chanModeMessages(c, ch, changes))
	return nil
}

// chanModeChange is one change that took effect, to be announced.
type chanModeChange struct {
	adding bool
	letter byte
	arg    string
	hasArg bool
}

// chanModeMessages renders changes as MODE lines from c, one sign per run
// ("+ov-k alice bob *"). Normally that is one line; changes that would not
// fit in 512 bytes (long ban masks) go on to further lines, as servers do,
// rather than have the last parameter cut short.
func chanModeMessages(c *state.Client, ch *state.Channel, changes []chanModeChange) []*irc.Message {
	var out []*irc.Message
	for len(changes) > 0 {
		var msg *irc.Message
		n := 0
		for n < len(changes) {
			m := chanModeMessage(c, ch, changes[:n+1])
			if line, err := state.Encode(m); n > 0 && (err != nil || len(line) > state.MaxLineBytes) {
				break
			}
			msg, n = m, n+1
		}
		out = append(out, msg)
		changes = changes[n:]
	}
	return out
}

func chanModeMessage(c *state.Client, ch *state.Channel, changes []chanModeChange) *irc.Message {
	var letters []byte
	params := []string{ch.Name, ""}
	sign := byte(0)
	for _, mc := range changes {
		want := byte('-')
		if mc.adding {
			want = '+'
		}
		if sign != want {
			letters = append(letters, want)
			sign = want
		}
		letters = append(letters, mc.letter)
		if mc.hasArg {
			params = append(params, mc.arg)
		}
	}
	params[1] = string(letters)
	return &irc.Message{Prefix: prefixOf(c), Command: "MODE", Params: params}
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
