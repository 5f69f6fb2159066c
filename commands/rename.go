package commands

import (
	"time"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// RENAME <#old> <#new> [:<reason>] renames a channel (IRCv3
// draft/channel-rename). Its operators may, and IRC operators that are
// members. The channel keeps everything but its name (state/rename.go).
// Members that negotiated draft/channel-rename are sent RENAME; the
// others the spec's fallback: their own PART of the old name with the
// reason (or "Renamed to <new>" when none was given), then their JOIN of the new one followed by what a JOIN sends
// (the read marker, the topic, NAMES unless no-implicit-names). A rename
// that changes only the case is sent to the first kind only, as the spec
// says.
//
// Refusals: 403 for a channel that does not exist (or is secret and c
// not in it), 442 when c is not in it, 482 when c is not its operator,
// 479 for a new name JOIN would refuse, FAIL RENAME CANNOT_RENAME for the
// channels the config names (the lobby, and the channels [[command]]
// send_to names: the config would point at a name that is gone) and for
// a new name that is the lobby's or the same name, and within
// renameCooldown of the channel's last rename, FAIL RENAME
// CHANNEL_NAME_IN_USE for the name of another channel.
// renameCooldown is how long after a rename its channel's operators must
// wait before the next one (the spec suggests a cooldown): every rename
// sends the members without the capability a JOIN's worth of lines each,
// NAMES included, which for a channel of thousands is seconds of the
// state goroutine's time in all (README, Performance). A change of case
// sends nothing of the kind and is not held back, nor are IRC operators.
const renameCooldown = time.Minute

func handleRename(w *state.World, c *state.Client, m *irc.Message) error {
	oldName, newName := m.Params[0], m.Params[1]
	ch := w.Channel(oldName)
	switch {
	case ch == nil || !canSee(c, ch):
		return numeric(irc.ERR_NOSUCHCHANNEL, oldName, "No such channel")
	case ch.Membership(c) == nil:
		return numeric(irc.ERR_NOTONCHANNEL, ch.Name, "You're not on that channel")
	case !chanPrivileged(w, c, ch) && c.Modes&state.UserOper == 0:
		return numeric(irc.ERR_CHANOPRIVSNEEDED, ch.Name, "You're not channel operator")
	case !validChannel(newName, w.Config.Limits.ChannelLength):
		// The test JOIN makes, answered with the numeric for a name that
		// cannot be a channel (JOIN itself answers 403, which would say
		// the new name is a channel that does not exist).
		reason := invisibleReason("Illegal channel name", newName)
		if reason == "" {
			reason = "Illegal channel name"
		}
		return numeric(state.ErrBadChanName, newName, reason)
	case isLobby(w, ch) || configNamesChannel(w, ch.Name):
		return fail("RENAME", "CANNOT_RENAME", ch.Name, newName, "The server's configuration names this channel")
	case isLobbyName(w, newName):
		return fail("RENAME", "CANNOT_RENAME", ch.Name, newName, "That is the lobby's name")
	case newName == ch.Name:
		return fail("RENAME", "CANNOT_RENAME", ch.Name, newName, "The channel already has that name")
	case c.Modes&state.UserOper == 0 && state.Fold(newName) != ch.Folded() && !ch.RenamedAt.IsZero() && w.Now().Sub(ch.RenamedAt) < renameCooldown:
		return fail("RENAME", "CANNOT_RENAME", ch.Name, newName, "This channel has been renamed recently")
	}
	if other := w.Channel(newName); other != nil && other != ch {
		return fail("RENAME", "CHANNEL_NAME_IN_USE", ch.Name, newName, "The channel name is already taken")
	}
	oldName = ch.Name
	reason := renameReason(w, c, oldName, newName, m.Param(2))
	fallback := w.RenameChannel(ch, c, newName, reason)
	// The fallback PART carries the reason given, as the spec says. With
	// none, it says where the channel went: irssi, HexChat and WeeChat
	// show the PART in the old channel's window (irssi closes it), and a
	// bare PART left people wondering why they were in a new channel.
	partReason := reason
	if partReason == "" {
		partReason = "Renamed to " + ch.Name
	}
	w.FallbackRename(ch, fallback, oldName, partReason)
	fallbackBursts(w, c, ch, fallback)
	return nil
}

// renameReason cuts the reason to kick_length and, further, to what fits
// in the RENAME line after the prefix and both names, so that every
// member sees the reason that was given in full or the same cut one.
func renameReason(w *state.World, c *state.Client, oldName, newName, reason string) string {
	reason = truncateUTF8(reason, w.Config.Limits.KickLength)
	line, err := state.Encode(&irc.Message{Prefix: prefixOf(c), Command: "RENAME", Params: []string{oldName, newName, reason}})
	if over := len(line) - state.MaxLineBytes; err == nil && over > 0 {
		reason = truncateUTF8(reason, len(reason)-over)
	}
	return reason
}

// configNamesChannel reports whether a [[command]] sends to the channel
// name.
func configNamesChannel(w *state.World, name string) bool {
	for _, cmd := range w.Config.Commands {
		if cmd.SendTo != "" && state.Fold(cmd.SendTo) == state.Fold(name) {
			return true
		}
	}
	return false
}

// isLobbyName reports whether name is the configured lobby's.
func isLobbyName(w *state.World, name string) bool {
	lobby := w.Config.Server.Lobby
	return lobby != "" && state.Fold(name) == state.Fold(lobby)
}

// fallbackBursts sends each of to (members of ch given the rename
// fallback, in nick order, already sent their PART and JOIN) what follows
// a JOIN: the read marker, the topic, and NAMES unless it negotiated
// no-implicit-names. Each NAMES is a walk over the members, so together
// they are as much work as that many JOINs of the channel: they are made
// in slices of the renamer's reply (workPerSlice units at most per event,
// a line sent or a member visited being one; the renamer's later lines
// wait meanwhile), and each is made when it is sent, so that it agrees
// with the JOINs and PARTs its recipient has been sent since. A recipient
// that left the channel (or the server) in between is skipped; if the
// renamer leaves the server, those not yet served get nothing more (NAMES
// and TOPIC ask for it).
func fallbackBursts(w *state.World, renamer *state.Client, ch *state.Channel, to []*state.Client) {
	var reply *namReplies // the NAMES under way, to to[0]
	after := ""
	var step func(*state.World)
	step = func(*state.World) {
		work := 0
		full := func() bool { return work >= workPerSlice || w.SliceFull(renamer) }
		for len(to) > 0 {
			r := to[0]
			if r.Gone() || ch.Membership(r) == nil {
				to, reply, after = to[1:], nil, ""
				continue
			}
			if full() {
				w.Continue(renamer, step)
				return
			}
			if reply == nil {
				joinMarker(w, r, ch)
				if ch.Topic != "" {
					sendTopic(w, r, ch)
				}
				work += 2
				if r.Caps.Has(state.CapNoImplicitNames) {
					to = to[1:]
					continue
				}
				reply = newNamReplies(w, r, ch)
			}
			stopped := false
			ch.MembersFrom(after, func(member *state.Client, _ *state.Membership) bool {
				if full() {
					stopped = true
					return false
				}
				after = member.Folded()
				work += reply.add(member)
				return true
			})
			if stopped {
				w.Continue(renamer, step)
				return
			}
			reply.flush()
			w.Numeric(r, irc.RPL_ENDOFNAMES, ch.Name, "End of /NAMES list")
			work++
			to, reply, after = to[1:], nil, ""
		}
	}
	step(w)
}
