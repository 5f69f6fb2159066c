package state

import "gopkg.in/irc.v4"

// Messages to someone who is away. A private message to a registered
// account with nobody logged in to it is kept for the account (in its copy
// of the conversation, written to the store at once, and marked as
// waiting) and delivered when it next logs in. The world counts what
// waits for each account, by sender, so that a mailbox is capped
// ([history] offline_messages) and no sender may take more than a share
// of it.

// OfflineMessage is one message kept for an offline account.
type OfflineMessage struct {
	Account string // folded name of the recipient account
	Target  string // the recipient's conversation key
	Sender  string // the sender's party key
	Entry   *HistoryEntry
}

// StoreOffline keeps messages for offline accounts: each in the history
// of the recipient's conversation and in its waiting list.
type StoreOffline struct{ Messages []OfflineMessage }

// DeliveredOffline ends the wait of an account's messages up to Upto
// (an ord): they were delivered.
type DeliveredOffline struct {
	Account string // folded
	Upto    uint64
}

func (StoreOffline) isWrite()     {}
func (DeliveredOffline) isWrite() {}

// mailbox counts the messages waiting for one account.
type mailbox struct {
	total    int
	bySender map[string]int
}

// snapMailbox is a mailbox as a snapshot keeps it.
type snapMailbox struct {
	Total    int            `json:"total"`
	BySender map[string]int `json:"by_sender,omitempty"`
}

// LoadOffline sets what waits for each account (folded account → sender
// party key → count), as the store has it. Call it before Run.
func (w *World) LoadOffline(counts map[string]map[string]int) {
	w.history.mail = map[string]*mailbox{}
	for acct, senders := range counts {
		box := &mailbox{bySender: map[string]int{}}
		for s, n := range senders {
			box.bySender[s] = n
			box.total += n
		}
		w.history.mail[acct] = box
	}
}

// OfflineWaiting is how many messages wait for the account.
func (w *World) OfflineWaiting(account string) int {
	if box := w.history.mail[Fold(account)]; box != nil {
		return box.total
	}
	return 0
}

// OfflineShare is the most messages one sender may have waiting for one
// account: a quarter of the mailbox (at least one).
func OfflineShare(size int) int { return max(1, size/4) }

// OfflineRoom reports whether from may leave one more message for the
// account: none when the mailbox holds offline_messages, or from's share
// of it.
func (w *World) OfflineRoom(from *Client, account string) (room bool, full bool) {
	size := w.Config.History.OfflineMessages
	box := w.history.mail[Fold(account)]
	if box == nil {
		return size > 0, false
	}
	if box.total >= size {
		return false, true
	}
	return box.bySender[PartyKey(from)] < OfflineShare(size), false
}

// AccountOnline reports whether anyone is logged in to the account.
func (w *World) AccountOnline(account string) bool {
	key := Fold(account)
	for _, c := range w.clients {
		if c.Account != "" && Fold(c.Account) == key {
			return true
		}
	}
	return false
}

// RelayOffline records from's PRIVMSG m (to the account's name) as sent:
// from's copy of the conversation like any other, the account's copy to
// be written with the StoreOffline the caller submits (Persist). It counts
// the message as waiting until then; the caller gives it back with
// OfflineFailed if the write fails. The fan-out is from's echo.
func (w *World) RelayOffline(from *Client, acct *Account, m *irc.Message, tags irc.Tags) (*Fanout, OfflineMessage) {
	e := w.newEntry(KindMessage, m, tags, from)
	return w.entryFanout(e, nil), w.keepOffline(from, acct, e)
}

// keepOffline records e, from's message for acct, in from's copy of the
// conversation and in acct's mailbox.
func (w *World) keepOffline(from *Client, acct *Account, e *HistoryEntry) OfflineMessage {
	account := Fold(acct.Name)
	w.recordConversation(from, ConversationKey(from, account), e)
	msg := OfflineMessage{Account: account, Target: "@" + account + " " + PartyKey(from), Sender: PartyKey(from), Entry: e}
	box := w.history.mail[account]
	if box == nil {
		if w.history.mail == nil {
			w.history.mail = map[string]*mailbox{}
		}
		box = &mailbox{bySender: map[string]int{}}
		w.history.mail[account] = box
	}
	box.total++
	box.bySender[msg.Sender]++
	// The account's copy goes to the store alone: memory no longer knows
	// all of that conversation.
	if r := w.history.private[msg.Target]; r != nil {
		r.forget(e.Ord)
	}
	if w.history.stored == nil {
		w.history.stored = map[string]uint64{}
	}
	w.history.stored[msg.Target] = max(w.history.stored[msg.Target], e.Ord)
	if top, ok := w.history.storedMsg[msg.Target]; ok {
		w.history.storedMsg[msg.Target] = max(top, e.Ord)
	}
	return msg
}

// OfflineFailed gives back the room of messages that could not be kept.
func (w *World) OfflineFailed(msgs []OfflineMessage) {
	for _, m := range msgs {
		if box := w.history.mail[m.Account]; box != nil {
			box.total--
			box.bySender[m.Sender]--
		}
	}
}

// OfflineDelivered empties the account's mailbox in memory (the caller
// submits DeliveredOffline).
func (w *World) OfflineDelivered(account string) { delete(w.history.mail, Fold(account)) }

// ReadOffline fetches what waits for the account, for c (logged in to it),
// oldest first, and calls then with it as an event of its own: c's
// node's store answers (World.Offload). Nothing when nothing waits.
func (w *World) ReadOffline(c *Client, account string, then func(w *World, entries []*HistoryEntry, err error)) {
	if w.OfflineWaiting(account) == 0 || !w.history.kept {
		return
	}
	store, key := w.history.store, Fold(account)
	w.offload(c, func(done func([]byte)) {
		if store == nil || !store.QueryOffline(key, func(list []*HistoryEntry, err error) { done(historyResult([][]*HistoryEntry{list}, err)) }) {
			done(historyResult(nil, ErrHistoryBusy))
		}
	}, func(w *World, data []byte) {
		res, err := parseHistoryResult(data)
		var list []*HistoryEntry
		if len(res) > 0 {
			list = res[0]
		}
		then(w, list, err)
	})
}
