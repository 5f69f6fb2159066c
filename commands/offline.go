package commands

import (
	"strconv"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// Messages to someone who is away (state/historyoffline.go). A PRIVMSG to
// the name of a registered account with nobody logged in to it is kept
// and delivered when the account next logs in. The sender is told, once
// it is saved, with RPL_AWAY (301: clients show "bob is away: ..."); a
// full mailbox ([history] offline_messages, a quarter of it per sender)
// refuses it with FAIL PRIVMSG MAILBOX_FULL. NOTICE and TAGMSG are not
// kept (NOTICE must not draw the automatic 301 either).
//
// Delivery: a client with draft/chathistory finds the messages in its
// history (CHATHISTORY TARGETS lists the conversation); any other is sent
// them once registered and logged in, as the replay on JOIN sends a
// channel's: as first sent to server-time clients (in a chathistory batch
// with batch), else from their sender with the date in front.

// offlineAccount returns the account a message to target may be kept
// for: history and offline messages on, an account of that name, and
// nobody logged in to it.
func offlineAccount(w *state.World, target string) *state.Account {
	h := w.Config.History
	if !h.Enabled || h.OfflineMessages <= 0 || !accountsOn(w) {
		return nil
	}
	acct := w.Account(target)
	if acct == nil || w.AccountOnline(acct.Name) {
		return nil
	}
	return acct
}

// keepOffline records c's message text for acct and adds it to kept, to
// be saved when the line is done (saveOffline); c gets its echo now.
func keepOffline(w *state.World, c *state.Client, acct *state.Account, text string, tags irc.Tags, selfEcho bool, kept *[]state.OfflineMessage) error {
	if room, full := w.OfflineRoom(c, acct.Name); !room {
		size := w.Config.History.OfflineMessages
		if full {
			return fail("PRIVMSG", "MAILBOX_FULL", acct.Name, acct.Name+" already has "+strconv.Itoa(size)+" messages waiting; try again when they are online")
		}
		return fail("PRIVMSG", "MAILBOX_FULL", acct.Name, "You already have "+strconv.Itoa(state.OfflineShare(size))+" messages waiting for "+acct.Name+"; try again when they are online")
	}
	msg := &irc.Message{Prefix: prefixOf(c), Command: "PRIVMSG", Params: []string{acct.Name, text}}
	if err := checkLineLength(msg); err != nil {
		return err
	}
	out, m := w.RelayOffline(c, acct, msg, tags)
	*kept = append(*kept, m)
	echo(w, c, out, selfEcho, acct.Name, false)
	return nil
}

// saveOffline writes kept and tells c, once it is committed, that each
// message will be delivered (or that it could not be kept). c is held
// meanwhile, so that these replies stay part of its line.
func saveOffline(w *state.World, c *state.Client, kept []state.OfflineMessage) {
	w.Hold(c)
	w.Persist(state.StoreOffline{Messages: kept}, func(w *state.World, err error) {
		if err != nil {
			w.OfflineFailed(kept)
		}
		w.Resume(c, func() {
			for _, m := range kept {
				name := m.Entry.Msg.Params[0]
				if err != nil {
					sendError(w, c, fail("PRIVMSG", "MESSAGE_NOT_KEPT", name, name+" is offline and the message could not be kept; try again later"))
					continue
				}
				w.Numeric(c, irc.RPL_AWAY, name, name+" is offline; your message will be delivered when they next log in")
			}
		})
	})
}

// deliverOffline sends c, registered and just logged in, the messages
// kept for its account; a draft/chathistory client reads them in its
// history instead. Either way they no longer wait.
func deliverOffline(w *state.World, c *state.Client) {
	account := c.Account
	if account == "" || !c.Registered || w.OfflineWaiting(account) == 0 {
		return
	}
	if c.Caps.Has(state.CapChatHistory) {
		markDelivered(w, account, w.LastOrd())
		return
	}
	w.ReadOffline(c, account, func(w *state.World, entries []*state.HistoryEntry, err error) {
		if err != nil {
			w.Log.Error("offline messages", "account", account, "err", err)
			return
		}
		if c.Gone() || c.Account != account {
			return
		}
		if len(entries) == 0 {
			// What waited was deleted (REDACT) meanwhile: nothing is
			// left to deliver, and the mailbox is empty again.
			w.OfflineDelivered(account)
			return
		}
		var upto uint64
		start := 0
		for i, e := range entries { // one batch per sender
			upto = max(upto, e.Ord)
			if i+1 == len(entries) || entries[i+1].Msg.Prefix.Name != e.Msg.Prefix.Name {
				sendReplay(w, c, e.Msg.Prefix.Name, toMe(c, entries[start:i+1]), false)
				start = i + 1
			}
		}
		markDelivered(w, account, upto)
	})
}

// toMe readdresses messages kept for c's account to c's nick, so that its
// client shows them in the conversation with their sender.
func toMe(c *state.Client, entries []*state.HistoryEntry) []*state.HistoryEntry {
	out := make([]*state.HistoryEntry, len(entries))
	for i, e := range entries {
		m := *e.Msg
		m.Params = append([]string{c.Nick}, m.Params[1:]...)
		copied := *e
		copied.Msg = &m
		out[i] = &copied
	}
	return out
}

// markDelivered ends the wait of the account's messages up to upto.
func markDelivered(w *state.World, account string, upto uint64) {
	w.OfflineDelivered(account)
	w.Persist(state.DeliveredOffline{Account: state.Fold(account), Upto: upto}, func(w *state.World, err error) {
		if err != nil {
			w.Log.Error("offline messages delivered but still marked as waiting", "account", account, "err", err)
		}
	})
}
