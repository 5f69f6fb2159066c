package commands

import (
	"strconv"
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// The channel list modes: +b bans, +e ban exceptions (EXCEPTS), +I invite
// exceptions (INVEX). Each holds at most maxListEntries masks (MAXLIST),
// masks completed to nick!user@host or extended bans (commands/extban.go):
// $a[:account] in any list, $m:<mask> (a mute) in +b and +e. Who they
// apply to is decided in one place, listMatches, for JOIN, speaking and
// NICK alike:
//   - banned: a +b entry that is not a mute matches, and no +e entry that
//     is not one;
//   - muted (may join, may not speak): a +b $m: entry matches, and no +e
//     $m: entry;
//   - past +i without an invite: a +I entry matches.
//
// Voice and channel operator status speak through both bans and mutes.

// listMode describes one list mode: its letter, where the list is kept and
// the numerics that list it.
type listMode struct {
	letter  byte
	name    string // in 696 and 478 texts
	item    string // the numeric of one entry
	end     string // the numeric that ends the list
	endText string
	list    state.ChannelList
}

// Numerics irc.v4 does not name.
const (
	rplInvexList       = "346"
	rplEndOfInvexList  = "347"
	rplExceptList      = "348"
	rplEndOfExceptList = "349"
)

var listModes = []listMode{
	{'b', "ban", irc.RPL_BANLIST, irc.RPL_ENDOFBANLIST, "End of channel ban list", state.BanList},
	{'e', "ban exception", rplExceptList, rplEndOfExceptList, "End of channel exception list", state.ExceptList},
	{'I', "invite exception", rplInvexList, rplEndOfInvexList, "End of channel invite exception list", state.InviteExceptList},
}

// listModeFor returns the list mode of letter (one of b, e, I).
func listModeFor(letter byte) *listMode {
	for i := range listModes {
		if listModes[i].letter == letter {
			return &listModes[i]
		}
	}
	panic("commands: not a list mode: " + string(letter))
}

// maxlist is RPL_ISUPPORT's MAXLIST: every list mode, each with its own
// limit.
func maxlist() string {
	var parts []string
	for _, lm := range listModes {
		parts = append(parts, string(lm.letter)+":"+strconv.Itoa(maxListEntries))
	}
	return "MAXLIST=" + strings.Join(parts, ",")
}

// send lists ch's entries to c, then the end numeric.
func (lm *listMode) send(w *state.World, c *state.Client, ch *state.Channel) {
	for _, e := range ch.List(lm.list) {
		w.Numeric(c, lm.item, ch.Name, e.Mask, e.SetBy, strconv.FormatInt(e.SetAt.Unix(), 10))
	}
	w.Numeric(c, lm.end, ch.Name, lm.endText)
}

// parseEntry completes a mask for the list, or says why it cannot be one.
func (lm *listMode) parseEntry(arg string) (mask, why string) {
	mask, isExt, ok := parseExtban(arg)
	if isExt {
		if !ok || strings.HasPrefix(mask, extbanMute) && lm.letter == 'I' {
			return "", "Invalid extended " + lm.name + ": $a, $a:<account> or, for bans and ban exceptions, $m:<mask> (EXTBAN=" + extbanPrefix + "," + extbanTypes + ")"
		}
		return mask, ""
	}
	if mask, ok = normalizeMask(arg); !ok {
		return "", "Invalid " + lm.name + " mask: nick!user@host, at most " + strconv.Itoa(maxMaskLen) + " bytes, no spaces, commas or controls"
	}
	return mask, ""
}

// change adds or removes mask (compared casemapped); it reports whether
// anything changed and the mask to announce: the new one, or the stored
// spelling of the one removed (as other servers echo it). A full list
// refuses with 478.
func (lm *listMode) change(w *state.World, c *state.Client, ch *state.Channel, mask string, adding bool) (string, bool) {
	list := ch.List(lm.list)
	folded := state.Fold(mask)
	for i, e := range list {
		if state.Fold(e.Mask) == folded {
			if adding {
				return "", false
			}
			w.RemoveListEntry(ch, lm.list, i)
			return e.Mask, true
		}
	}
	if !adding {
		return "", false
	}
	if len(list) >= maxListEntries {
		sendError(w, c, numeric(irc.ERR_BANLISTFULL, ch.Name, string(lm.letter), "Channel "+lm.name+" list is full"))
		return "", false
	}
	w.AddListEntry(ch, lm.list, state.ListEntry{Mask: mask, SetBy: c.Prefix(), SetAt: w.Now()})
	return mask, true
}

// isBanned reports whether a ban keeps c out of ch: a +b entry (not a
// mute) matches it and no +e entry (not a mute) does.
func isBanned(ch *state.Channel, c *state.Client) bool {
	if len(ch.Bans) == 0 {
		return false
	}
	who := state.Fold(c.Prefix())
	return listMatches(ch.Bans, c, who, false) && !listMatches(ch.Excepts, c, who, false)
}

// isMuted reports whether a mute ($m: in +b) keeps c from speaking in
// ch: one matches it and no +e $m: entry does.
func isMuted(ch *state.Channel, c *state.Client) bool {
	if len(ch.Bans) == 0 {
		return false
	}
	who := state.Fold(c.Prefix())
	return listMatches(ch.Bans, c, who, true) && !listMatches(ch.Excepts, c, who, true)
}

// inviteExcepted reports whether a +I entry lets c into ch past +i.
func inviteExcepted(ch *state.Channel, c *state.Client) bool {
	return len(ch.InviteExcepts) > 0 && listMatches(ch.InviteExcepts, c, state.Fold(c.Prefix()), false)
}

// listMatches reports whether an entry of list applies to c (whose folded
// nick!user@host is who): among the mutes ($m:<mask>) when mutes is set,
// among the other entries otherwise.
func listMatches(list []state.ListEntry, c *state.Client, who string, mutes bool) bool {
	for _, e := range list {
		mask, isMute := strings.CutPrefix(e.Mask, extbanMute)
		if isMute != mutes {
			continue
		}
		if isMute && wildcardMatch(state.Fold(mask), who) || !isMute && banMatches(e.Mask, c, who) {
			return true
		}
	}
	return false
}
