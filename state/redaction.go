package state

import (
	"strconv"
	"strings"

	"gopkg.in/irc.v4"
)

// Redaction (IRCv3 draft/message-redaction): a message taken back by its
// sender or removed by a channel operator is deleted from history, in
// the store first and then in memory, so that no CHATHISTORY, replay on
// JOIN or offline delivery hands it out again, even after a restart. The
// REDACT line itself is not kept: deleted messages are left out of
// history entirely, one of the answers the spec allows.

// RedactHistory deletes the message Ord from the history of each target
// (HistoryKey form; conversation copies kept in memory only are not
// named) and from the messages waiting for Account (folded; "" for none).
type RedactHistory struct {
	Targets []string
	Ord     uint64
	Account string
}

func (RedactHistory) isWrite() {}

// Redact deletes the message ord from the history of the targets keys
// (a channel's, or both copies of a conversation) and from what waits
// for the offline account (folded; "" for none). The store is told first
// and memory changes once it has committed; then runs after that (err
// nil), or after the store failed (err set, memory unchanged). A reply
// that says the message is gone belongs in then.
func (w *World) Redact(keys []string, ord uint64, offline string, then func(w *World, err error)) {
	// The store must have the row before it is asked to delete it: rows
	// recorded in this run of events are handed over now, and the store
	// commits what it holds before the deletion (store.Store.Run).
	w.flushHistory()
	var stored []string
	for _, k := range keys {
		if !strings.HasPrefix(k, "$") {
			stored = append(stored, k)
		}
	}
	forget := func(w *World) {
		for _, k := range keys {
			if r, _ := w.historyRingFor(k); r != nil {
				r.remove(ord)
			}
		}
	}
	if !w.historyOn() || (len(stored) == 0 && offline == "") {
		// Nothing of it is in the store: memory is all there is.
		forget(w)
		then(w, nil)
		return
	}
	w.Persist(RedactHistory{Targets: stored, Ord: ord, Account: offline}, func(w *World, err error) {
		if err == nil {
			forget(w)
		}
		then(w, err)
	})
}

// SentBy reports whether c sent e: the same account, or, for a sender
// without one, the same session (an entry recorded since c signed on, by
// c's ID; IDs are not reused while the process lives, and the check of
// the time keeps an entry of an earlier life of the server out).
func SentBy(e *HistoryEntry, c *Client) bool {
	if e.Account != "" {
		return c.Account != "" && Fold(e.Account) == Fold(c.Account)
	}
	return e.From != 0 && e.From == c.ID && e.Ord >= TimeOrd(c.SignedOn)
}

// SenderPartyKey is the party key the sender of e had when it sent it
// (PartyKey then): its account, else its nick.
func SenderPartyKey(e *HistoryEntry) string {
	if e.Account != "" {
		return Fold(e.Account)
	}
	if e.Msg != nil && e.Msg.Prefix != nil {
		return Fold(e.Msg.Prefix.Name)
	}
	return ""
}

// Without history ([history] enabled = false) nothing is kept of what
// was said, but REDACT still has to know who sent a message: the newest
// RecentWithoutHistory messages of each channel, and of each session's
// conversations with each party (its own messages only), are kept in the
// same rings, without their text (HistoryEntry.sender), in memory only;
// a session's go when it leaves. A sender can then take back its
// messages from the same connection, a channel operator delete recent
// ones.

// RecentWithoutHistory is how many messages per channel, and per
// conversation of a session, REDACT can find without history.
const RecentWithoutHistory = 64

// sender is e without its text and client tags: who sent it, when, to
// what, with which command.
func (e *HistoryEntry) sender() *HistoryEntry {
	m := &irc.Message{Prefix: e.Msg.Prefix, Command: e.Msg.Command, Params: e.Msg.Params[:1:1]}
	return &HistoryEntry{Ord: e.Ord, Kind: e.Kind, Bot: e.Bot, Account: e.Account, From: e.From, Msg: m}
}

// sentKey is the key under which, without history, c's messages to the
// party other are kept: its session's, whether or not it has an account.
func sentKey(c *Client, other string) string {
	return "$" + strconv.FormatUint(uint64(c.ID), 10) + " " + other
}

// recordSent keeps, without history, who sent e, c's message to other.
func (w *World) recordSent(c *Client, other string, e *HistoryEntry) {
	h := &w.history
	key := sentKey(c, other)
	r := h.private[key]
	if r == nil {
		if h.private == nil {
			h.private = map[string]*historyRing{}
		}
		r = newHistoryRing(min(w.Config.History.PrivateLength, RecentWithoutHistory), 0, true)
		h.private[key] = r
		if h.sessions == nil {
			h.sessions = map[ClientID][]string{}
		}
		h.sessions[c.ID] = append(h.sessions[c.ID], key)
	}
	r.push(e.sender())
}

// RedactKey is the history key of c's copy of its conversation with the
// party other (PartyKey form), where REDACT looks for c's messages.
func (w *World) RedactKey(c *Client, other string) string {
	if !w.historyOn() {
		return sentKey(c, other)
	}
	return ConversationKey(c, other)
}

// RecentMessage finds, without history, the message ord among the recent
// ones kept for the target key; nil when it is not there.
func (w *World) RecentMessage(key string, ord uint64) *HistoryEntry {
	r, _ := w.historyRingFor(key)
	if r == nil {
		return nil
	}
	res, _ := r.query(HistoryRange{Target: key, Lo: ord - 1, Hi: ord + 1, Limit: 1, MaxKind: KindTagmsg})
	if len(res) == 1 && res[0].Ord == ord {
		return res[0]
	}
	return nil
}

// HistoryOn reports whether history is recorded ([history] enabled).
func (w *World) HistoryOn() bool { return w.historyOn() }

// dropHistoryRings forgets every ring, when history is turned on or off
// (REHASH): rings made without history hold no text, and rings of
// history must not be taken for those. What the store holds of each
// stored target is noted first, as when a channel goes.
func (w *World) dropHistoryRings() {
	h := &w.history
	for _, ch := range w.channels {
		w.dropChannelHistory(ch)
		ch.history = nil
	}
	for key, r := range h.private {
		if h.kept && strings.HasPrefix(key, "@") {
			h.noteStored(key, r)
		}
	}
	h.private, h.sessions = nil, nil
}
