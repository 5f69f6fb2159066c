package commands

import (
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// handleJoin joins each channel of JOIN <channels> [<keys>], the i-th key
// going with the i-th channel. An empty entry in either list ("#a,,#b")
// still takes its place, so keys stay with the channels they were written
// for. A repeated channel counts once, and past joinTargetLimit the rest
// get 407. Each channel's JOIN and NAMES come in order, the NAMES of a big
// channel in slices, the next channel after them.
func handleJoin(w *state.World, c *state.Client, m *irc.Message) error {
	max := joinTargetLimit(w)
	list, over := joinTargets(m.Params[0], m.Param(1), max)
	eachTarget(w, c, list, func(t joinTarget) {
		if t.name == "0" {
			// "JOIN 0" leaves every channel, as though the client had sent
			// PART for each (modern.ircdocs.horse, JOIN message).
			partAll(w, c)
			return
		}
		sendError(w, c, joinOne(w, c, t.name, t.key))
	}, func() {
		if over != "" {
			sendError(w, c, tooManyTargets(over, max))
		}
	})
	return nil
}

// joinTarget is one channel of a JOIN with its key.
type joinTarget struct{ name, key string }

// joinTargets pairs JOIN's channels with its keys by position, drops empty
// and repeated channels, and keeps at most max; over is the first one left
// out.
func joinTargets(names, keys string, max int) (list []joinTarget, over string) {
	keyList := strings.Split(keys, ",")
	seen := map[string]bool{}
	for i, name := range strings.Split(names, ",") {
		if name == "" || seen[state.Fold(name)] {
			continue
		}
		if len(list) == max {
			return list, name
		}
		seen[state.Fold(name)] = true
		key := ""
		if i < len(keyList) {
			key = keyList[i]
		}
		list = append(list, joinTarget{name: name, key: key})
	}
	return list, ""
}

// partAll takes c out of every channel it is in, each with a plain PART.
func partAll(w *state.World, c *state.Client) {
	for _, ch := range sortedChannelsOf(c) {
		part(w, c, ch, "")
	}
}

// joinOne joins c to one channel, creating it (with c as operator) if new.
// The lobby is everyone's and has no operator (commands/privilege.go), and
// starts without the default modes that would lock it (lobbyLockModes).
func joinOne(w *state.World, c *state.Client, name, key string) error {
	if !validChannel(name, w.Config.Limits.ChannelLength) {
		// 403 is what modern.ircdocs.horse gives JOIN for a name that
		// cannot be a channel (479 ERR_BADCHANNAME is not in it); the text
		// says why when the reason is an invisible character.
		reason := invisibleReason("Illegal channel name", name)
		if reason == "" {
			reason = "No such channel"
		}
		return numeric(irc.ERR_NOSUCHCHANNEL, name, reason)
	}
	ch := w.Channel(name)
	if ch != nil && ch.Membership(c) != nil {
		return nil
	}
	// CHANLIMIT counts every channel, the lobby too, so that what 005
	// says is exactly what is enforced.
	if len(c.Channels()) >= w.Config.Limits.MaxChannelsPerClient {
		if ch != nil {
			name = ch.Name
		}
		return numeric(irc.ERR_TOOMANYCHANNELS, name, "You have joined too many channels")
	}
	status, fromReg := state.Membership{}, false
	if ch == nil {
		ch = w.CreateChannel(name)
		status.Op = !isLobby(w, ch)
		modes := w.Config.Channels.DefaultModes
		if !status.Op {
			modes = strings.Map(func(r rune) rune {
				if strings.ContainsRune(lobbyLockModes, r) {
					return -1
				}
				return r
			}, modes)
		}
		applyDefaultModes(w, ch, modes)
	} else if err := checkJoin(w, c, ch, key); err != nil {
		return err
	} else if ch.Reg != nil {
		// A registered group gives its owner and access list their status.
		status, fromReg = ch.Reg.StatusFor(c.Account), true
	}
	w.UseInvite(ch, c)
	w.JoinChannel(ch, c, status)
	joinMarker(w, c, ch)
	if ch.Topic != "" {
		sendTopic(w, c, ch)
	}
	joinNames(w, c, ch)
	if w.Pending(c) { // NAMES of a big channel: the replay comes after it
		w.Continue(c, func(w *state.World) { replayJoin(w, c, ch) })
	} else {
		replayJoin(w, c, ch)
	}
	if fromReg && (status.Op || status.Voice) {
		// Others see the status a registered group gave, as a MODE from
		// ChanServ. (The creator of a new channel, its only member, is
		// simply its operator.)
		mode, arg := "+o", c.Nick
		if !status.Op {
			mode = "+v"
		}
		w.AnnounceServiceMode(ch, &irc.Message{Prefix: servicePrefix(w, chanServ), Command: "MODE", Params: []string{ch.Name, mode, arg}}, c)
	}
	return nil
}

// joinNames sends what follows a JOIN after the topic: the channel's
// NAMES, unless the client negotiated no-implicit-names ("servers MUST
// NOT send an implicit NAMES reply after sending a JOIN message").
func joinNames(w *state.World, c *state.Client, ch *state.Channel) {
	if c.Caps.Has(state.CapNoImplicitNames) {
		return
	}
	sendNames(w, c, ch)
}

// checkJoin applies a channel's entry modes in the order most servers use
// (charybdis and its descendants): bans, +i, the key, +l. An INVITE lets
// its target past +i and +l, once ("An INVITE message can be used by
// channel members to allow a user to join despite the limit",
// modern.ircdocs.horse, client limit mode), but not past a ban or a key.
func checkJoin(w *state.World, c *state.Client, ch *state.Channel, key string) error {
	invited := w.Invited(ch, c)
	switch {
	case isBanned(ch, c):
		return numeric(irc.ERR_BANNEDFROMCHAN, ch.Name, "Cannot join channel (+b)")
	case ch.Modes&state.ChanInviteOnly != 0 && !invited && !inviteExcepted(ch, c):
		return numeric(irc.ERR_INVITEONLYCHAN, ch.Name, "Cannot join channel (+i)")
	case ch.Modes&state.ChanKeyed != 0 && key != ch.Key:
		return numeric(irc.ERR_BADCHANNELKEY, ch.Name, "Cannot join channel (+k)")
	case ch.Modes&state.ChanLimited != 0 && len(ch.Members()) >= ch.Limit && !invited:
		return numeric(irc.ERR_CHANNELISFULL, ch.Name, "Cannot join channel (+l)")
	}
	return nil
}

func handlePart(w *state.World, c *state.Client, m *irc.Message) error {
	reason := m.Param(1)
	max := joinTargetLimit(w)
	list, over := targets(m.Params[0], max)
	for _, name := range list {
		ch := w.Channel(name)
		switch {
		case ch == nil:
			sendError(w, c, numeric(irc.ERR_NOSUCHCHANNEL, name, "No such channel"))
		case ch.Membership(c) == nil:
			sendError(w, c, numeric(irc.ERR_NOTONCHANNEL, ch.Name, "You're not on that channel"))
		default:
			part(w, c, ch, reason)
		}
	}
	if over != "" {
		return tooManyTargets(over, max)
	}
	return nil
}

// part tells the channel (c included) that c leaves, then removes c.
func part(w *state.World, c *state.Client, ch *state.Channel, reason string) {
	w.PartChannel(ch, c, truncateUTF8(reason, w.Config.Limits.KickLength))
}

// memberChannels copies c's channels, for loops that leave them.
func memberChannels(c *state.Client) []*state.Channel {
	list := make([]*state.Channel, 0, len(c.Channels()))
	for ch := range c.Channels() {
		list = append(list, ch)
	}
	return list
}
