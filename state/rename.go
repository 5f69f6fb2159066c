package state

import (
	"errors"
	"strings"
	"time"

	"gopkg.in/irc.v4"
)

// Renaming a channel (IRCv3 draft/channel-rename). The channel keeps
// everything but its name: it is the same *Channel, so its members and
// their status, modes, lists, topic, creation time, pending invites (kept
// per channel, not per name) and history ring go with it. What is keyed
// by the name is moved here, in one place: the channel map and index,
// what history knows of the store's rows (and the store's rows
// themselves, HistoryStore.RenameTarget), the read markers, and a
// registered group's record (RenameChannel, through Persist). The old
// name is free as soon as this returns.

// RenameChannelWrite moves what the store keeps under a channel's name to
// its new name: a registered group's record (whose display name also
// changes when only the case does) and the accounts' read markers. The
// history rows move with HistoryStore.RenameTarget (withWrite): a store
// that gets this write moves them in its transaction.
type RenameChannelWrite struct {
	Old  string // folded
	New  string // folded (the same as Old for a change of case)
	Name string // the new name as written
}

func (RenameChannelWrite) isWrite() {}

// RenameChannel gives ch the name newName and tells its members: those
// that negotiated draft/channel-rename get RENAME from by with reason
// (always present, "" for none); the others are returned, in nick order,
// for the caller to send the fallback (PART of the old name, then JOIN
// of the new one as on a normal join). A change of case only is no news
// to them (the spec: the fallback SHOULD NOT be used then), and nobody is
// returned. The caller checked that newName is a valid channel name and
// free, or differs from ch's name only in case.
//
// The work is one pass over the members plus the read markers of the
// channel (markedBy), and nothing is sorted.
func (w *World) RenameChannel(ch *Channel, by *Client, newName, reason string) (fallback []*Client) {
	oldName, oldKey, newKey := ch.Name, ch.folded, Fold(newName)
	caseOnly := oldKey == newKey
	accountMarkers := false
	if caseOnly {
		ch.Name = newName // the indexes are keyed by the folded name
	} else {
		ch.RenamedAt = w.Now() // a change of case sends no fallback: no cooldown
		w.chanIndex.Delete(ch)
		delete(w.channels, oldKey)
		ch.Name, ch.folded = newName, newKey
		w.channels[newKey] = ch
		w.chanIndex.ReplaceOrInsert(ch)
		accountMarkers = w.renameMarkers(oldKey, newKey)
		w.renameHistory(ch, oldKey, newKey, ch.Reg != nil || accountMarkers)
	}
	// Whether to write depends on the world alone (never on whether this
	// node has a store), so that a replay of the log waits for the same
	// answers.
	if ch.Reg != nil || accountMarkers {
		w.Persist(RenameChannelWrite{Old: oldKey, New: newKey, Name: newName}, func(w *World, err error) {
			if err != nil {
				w.Log.Error("renaming a channel in the store", "old", oldName, "new", newName, "err", err)
			}
		})
	}
	w.Log.Info("rename", "old", oldName, "new", newName, "by", by.Nick)

	rename := w.NewFanout(&irc.Message{Prefix: by.prefix(), Command: "RENAME", Params: []string{oldName, newName, reason}}, nil)
	ch.byNick.Ascend(func(m *Client) bool {
		if m.Caps.Has(CapChannelRename) {
			rename.To(m)
		} else if !caseOnly {
			fallback = append(fallback, m)
		}
		return true
	})
	return fallback
}

// FallbackRename sends each of members (of ch, renamed from oldName;
// they lack draft/channel-rename) the first part of the fallback: its own
// PART of the old name with the reason, then its own JOIN of the new one
// (in the extended-join form if it asked for that), with the tags its
// capabilities call for (server-time, account-tag) as on any PART and
// JOIN. What a normal join sends next (read marker, topic, NAMES) is the
// caller's.
//
// Every member needs lines with its own prefix, and a rename of a big
// channel sends thousands: the PART and the plain JOIN are encoded once
// (gopkg.in/irc.v4, without a prefix) and each copy is the member's
// validated nick!user@host put in front, as WithTag puts a tag in front of
// an encoded line; only extended-join copies, whose parameters are the
// member's own, are encoded one by one.
func (w *World) FallbackRename(ch *Channel, members []*Client, oldName, reason string) {
	part := []string{oldName}
	if reason != "" {
		part = append(part, reason)
	}
	partBody, err1 := Encode(&irc.Message{Command: "PART", Params: part})
	joinBody, err2 := Encode(&irc.Message{Command: "JOIN", Params: []string{ch.Name}})
	if err1 != nil || err2 != nil {
		w.Log.Error("rename fallback", "channel", ch.Name, "err", errors.Join(err1, err2))
		return
	}
	stamp := w.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	for _, c := range members {
		prefix := c.Prefix()
		w.sendOwnLine(c, prefixed(prefix, partBody), stamp)
		join := prefixed(prefix, joinBody)
		if c.Caps.Has(CapExtendedJoin) {
			account := c.Account
			if account == "" {
				account = "*"
			}
			join = w.encodeOrLog(&irc.Message{Prefix: c.prefix(), Command: "JOIN", Params: []string{ch.Name, account, c.Realname}})
		}
		w.sendOwnLine(c, join, stamp)
	}
}

// prefixed is body (an encoded line without prefix) from prefix.
func prefixed(prefix string, body []byte) []byte {
	line := make([]byte, 0, len(prefix)+2+len(body))
	line = append(line, ':')
	line = append(line, prefix...)
	line = append(line, ' ')
	return fitLine(append(line, body...))
}

// sendOwnLine sends c a line about itself with the tags a Fanout would
// give it: server-time (stamp) and account-tag.
func (w *World) sendOwnLine(c *Client, line []byte, stamp string) {
	if line == nil {
		return
	}
	if c.Caps.Has(CapAccountTag) && c.Account != "" {
		line = WithTag(line, "account", c.Account)
	}
	if c.Caps.Has(CapServerTime) {
		line = WithTag(line, "time", stamp)
	}
	w.Send(c, line)
}

// renameHistory moves what history knows under oldKey to newKey. The
// ring is ch's and moves with it. The rows recorded so far are handed to
// the store first, so that the store moves every row of the old name it
// was given and none of a channel that takes the old name afterwards
// (those have larger ords). written says that a RenameChannelWrite
// follows (Persist): when it goes to the history store, the store moves
// the rows in its transaction.
func (w *World) renameHistory(ch *Channel, oldKey, newKey string, written bool) {
	h := &w.history
	if !h.kept {
		return
	}
	w.flushHistory()
	if h.store != nil {
		h.store.RenameTarget(oldKey, newKey, h.lastOrd, written && w.persistsTo(h.store))
	}
	oldTop, newTop := h.stored[oldKey], h.stored[newKey]
	if newTop > 0 && ch.history != nil {
		// A channel of the new name existed before and left rows in the
		// store, which are now among this channel's: memory no longer
		// holds everything above its floor if they are newer.
		ch.history.forget(newTop)
	}
	if oldTop > 0 {
		msgTop := max(h.msgBound(oldKey), h.msgBound(newKey))
		delete(h.stored, oldKey)
		delete(h.storedMsg, oldKey)
		h.stored[newKey] = max(oldTop, newTop)
		if h.storedMsg == nil {
			h.storedMsg = map[string]uint64{}
		}
		h.storedMsg[newKey] = msgTop
	}
}

// renameMarkers moves every account's and session's read marker of oldKey
// to newKey; where both exist the later one is kept (a marker only moves
// forward). Only the holders of a marker of oldKey are visited (markedBy),
// and each is changed on its own, so the order of the walk does not
// matter. It reports whether an account had one (the store keeps those).
func (w *World) renameMarkers(oldKey, newKey string) (accounts bool) {
	h := &w.history
	from := h.markedBy[oldKey]
	if from == nil {
		return false
	}
	delete(h.markedBy, oldKey)
	move := func(m map[string]time.Time) {
		t := m[oldKey]
		delete(m, oldKey)
		if cur, ok := m[newKey]; !ok || t.After(cur) {
			m[newKey] = t
		}
	}
	to := h.holders(newKey)
	for acct := range from.accounts {
		move(h.markers[acct])
		to.accounts[acct] = struct{}{}
	}
	for id := range from.sessions {
		move(h.sessionMarkers[id])
		to.sessions[id] = struct{}{}
	}
	return len(from.accounts) > 0
}

// channelParamCommands are the recorded commands whose first parameter is
// the channel they were sent in (a NICK's or QUIT's is not).
var channelParamCommands = map[string]bool{
	"PRIVMSG": true, "NOTICE": true, "TAGMSG": true, "JOIN": true,
	"PART": true, "KICK": true, "TOPIC": true, "MODE": true,
}

// InChannel returns a channel's history entries as they read under its
// name now: an entry recorded before a rename names the channel as it was
// then called, and is given (as a copy: entries are shared and never
// change) the current name in its place, after any STATUSMSG prefix. So a
// client reading #new's history sees lines to #new, which it shows in
// that channel's window. entries is returned as it is when nothing
// differs.
func InChannel(entries []*HistoryEntry, name string) []*HistoryEntry {
	var out []*HistoryEntry
	for i, e := range entries {
		m := e.Msg
		if len(m.Params) > 0 && channelParamCommands[m.Command] {
			target := m.Params[0]
			at := strings.IndexByte(target, '#')
			if at >= 0 && target[at:] != name {
				status := target[:at]
				if out == nil {
					out = append(make([]*HistoryEntry, 0, len(entries)), entries[:i]...)
				}
				msg := *m
				msg.Params = append([]string{status + name}, m.Params[1:]...)
				copied := *e
				copied.Msg = &msg
				out = append(out, &copied)
				continue
			}
		}
		if out != nil {
			out = append(out, e)
		}
	}
	if out == nil {
		return entries
	}
	return out
}

// persistsTo reports whether Persist submits writes to hs: hs is also the
// world's Store (the one store chatd uses for both) and this world
// submits (a Replica does not: the recorded server's store answered).
// Both hold a *store.Store in chatd, so the comparison cannot panic.
func (w *World) persistsTo(hs HistoryStore) bool {
	s, ok := hs.(Store)
	return ok && w.store != nil && w.mode != Replica && s == w.store
}
