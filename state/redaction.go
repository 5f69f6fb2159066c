package state

import "strings"

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
	w.Persist(RedactHistory{Targets: stored, Ord: ord, Account: offline}, func(w *World, err error) {
		if err == nil {
			for _, k := range keys {
				if r, _ := w.historyRingFor(k); r != nil {
					r.remove(ord)
				}
			}
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
