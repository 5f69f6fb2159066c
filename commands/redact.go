package commands

import (
	"chatd/state"

	"gopkg.in/irc.v4"
)

// REDACT (IRCv3 draft/message-redaction): a message is taken back by its
// sender, or removed from a channel by one of its operators.
//
//	REDACT <target> <msgid> [:<reason>]
//
// Who may: the sender of the message (the same account; without one,
// the same session, while it is connected), and, in a channel, its
// operators (+o: PREFIX=(ov) has no half-operators; IRC operators in the
// lobby, as for STATUSMSG). A private message can be redacted by its
// sender only, naming the other party as the target. The message is
// looked up in the target's history (memory, or the store), so what can
// be redacted is what history keeps: [history] retention and the
// per-target cap; for a sender without an account, its own messages
// still in the memory ring (channel_length, private_length). Then it is
// deleted from history (state.World.Redact: in the store first), and
// once that is committed the REDACT goes, with the redacter as source and
// a msgid and time of its own, to the channel's members (the other party
// of a conversation, and the sender's other sessions) that negotiated
// draft/message-redaction, and to the redacter itself if it negotiated
// echo-message, as a PRIVMSG would; a labeled REDACT without it gets ACK.
// Clients without the capability are sent nothing (the spec's fallback
// is optional and would be noise).
//
// Refusals: 461 (no target or msgid), FAIL REDACT INVALID_TARGET (no such
// channel, one the client is not in, a name that is no nick), UNKNOWN_MSGID
// (not a msgid of a PRIVMSG, NOTICE or TAGMSG in that target's history:
// never made, another target's, an event, or no longer kept),
// REDACT_FORBIDDEN (someone else's message, for a client that is not an
// operator there) and INTERNAL_ERROR (the store could not read or
// delete). Without history ([history] enabled = false), the newest
// state.RecentWithoutHistory messages of each channel and of each
// session's conversations are known by sender, without their text, in
// memory: those are what can be redacted then (by their sender from the
// same connection, or by a channel operator).

// addRedactCommand adds REDACT to the table.
func addRedactCommand(t table) {
	t["REDACT"] = command{handle: handleRedact, minParams: 0,
		usage: "REDACT <target> <msgid> [:<reason>]",
		help:  "Delete a message you sent, or, as a channel operator, one sent to your channel (IRCv3 message-redaction; clients do this for you)."}
}

func handleRedact(w *state.World, c *state.Client, m *irc.Message) error {
	if len(m.Params) < 2 || m.Params[0] == "" || m.Params[1] == "" {
		return numeric(irc.ERR_NEEDMOREPARAMS, "REDACT", "Not enough parameters")
	}
	target, msgid := m.Params[0], m.Params[1]
	params := []string{target, msgid}
	if reason := m.Param(2); reason != "" {
		params = append(params, reason)
	}
	var ch *state.Channel
	var key string
	if isChannel(target) {
		ch = w.Channel(target)
		if ch == nil || (ch.Membership(c) == nil && !chanPrivileged(w, c, ch)) {
			return fail("REDACT", "INVALID_TARGET", target, "You cannot delete messages from "+target)
		}
		key, params[0] = state.ChannelKey(ch), ch.Name
	} else {
		if !validNick(target, w.Config.Limits.NickLength) && w.Account(target) == nil {
			return fail("REDACT", "INVALID_TARGET", target, "You cannot delete messages from "+target)
		}
		key = w.RedactKey(c, partyNamed(w, c, target))
		if to := w.ClientByNick(target); to != nil {
			params[0] = to.Nick
		}
	}
	ord, ok := state.MsgidOrd(msgid)
	if !ok {
		return unknownMsgid(params[0], msgid)
	}
	line := &irc.Message{Prefix: prefixOf(c), Command: "REDACT", Params: params}
	if err := checkLineLength(line); err != nil {
		return err
	}
	found := func(w *state.World, e *state.HistoryEntry) {
		if e == nil {
			sendError(w, c, unknownMsgid(params[0], msgid))
			return
		}
		if !state.SentBy(e, c) && (ch == nil || !chanPrivileged(w, c, ch)) {
			sendError(w, c, fail("REDACT", "REDACT_FORBIDDEN", params[0], msgid, "You are not authorised to delete this message"))
			return
		}
		keys, offline := []string{key}, ""
		if ch == nil && w.HistoryOn() {
			keys, offline = otherCopy(w, c, target, e, keys)
		}
		w.Hold(c)
		w.Redact(keys, ord, offline, func(w *state.World, err error) {
			w.Resume(c, func() {
				if err != nil {
					w.Log.Error("REDACT: deleting", "nick", c.Nick, "target", target, "err", err)
					sendError(w, c, fail("REDACT", "INTERNAL_ERROR", params[0], msgid, "The message could not be deleted"))
					return
				}
				forwardRedact(w, c, line, ch, target)
			})
		})
	}
	if !w.HistoryOn() {
		found(w, w.RecentMessage(key, ord))
		return nil
	}
	rg := state.HistoryRange{Target: key, Lo: ord - 1, Hi: ord + 1, Limit: 1, MaxKind: state.KindTagmsg}
	w.ReadHistory(c, []state.HistoryRange{rg}, func(w *state.World, res [][]*state.HistoryEntry, err error) {
		if err != nil {
			w.Log.Error("REDACT: reading history", "nick", c.Nick, "target", target, "err", err)
			sendError(w, c, fail("REDACT", "INTERNAL_ERROR", params[0], msgid, "The message could not be deleted"))
			return
		}
		var e *state.HistoryEntry
		if len(res) == 1 && len(res[0]) == 1 && res[0][0].Ord == ord {
			e = res[0][0]
		}
		found(w, e)
	})
	return nil
}

func unknownMsgid(target, msgid string) error {
	return fail("REDACT", "UNKNOWN_MSGID", target, msgid, "This message does not exist or is too old")
}

// otherCopy adds to keys the other party's copy of the conversation that
// holds e (sent by c, to the party named target), and names the account
// whose offline messages may hold it ("" when the other party is online
// or has no account).
func otherCopy(w *state.World, c *state.Client, target string, e *state.HistoryEntry, keys []string) ([]string, string) {
	sender := state.SenderPartyKey(e)
	if to := w.ClientByNick(target); to != nil {
		if k := state.ConversationKey(to, sender); k != keys[0] {
			keys = append(keys, k)
		}
		return keys, ""
	}
	if acct := w.Account(target); acct != nil {
		folded := state.Fold(acct.Name)
		if k := "@" + folded + " " + sender; k != keys[0] {
			keys = append(keys, k)
		}
		return keys, folded
	}
	return keys, ""
}

// forwardRedact sends the REDACT, once deleted, to whoever may show the
// message and negotiated draft/message-redaction: a channel's members,
// or the other party of a conversation and the sender's other sessions;
// to the redacter as its echo (echo-message), as a PRIVMSG is.
func forwardRedact(w *state.World, c *state.Client, line *irc.Message, ch *state.Channel, target string) {
	out := w.NewRelay(line, nil)
	if ch != nil {
		if w.Channel(ch.Name) == ch { // still there (it may have emptied while the store worked)
			out.ToChannel(ch, c, state.CapMessageRedaction)
		}
	} else {
		sent := map[*state.Client]bool{c: true}
		if to := w.ClientByNick(target); to != nil && to.Caps.Has(state.CapMessageRedaction) && !sent[to] {
			sent[to] = true
			out.To(to)
		}
		if c.Account != "" {
			for _, other := range w.AccountClients(c.Account) {
				if !sent[other] && other.Caps.Has(state.CapMessageRedaction) {
					sent[other] = true
					out.To(other)
				}
			}
		}
	}
	if c.Caps.Has(state.CapEchoMessage) && c.Caps.Has(state.CapMessageRedaction) {
		out.To(c)
	}
}
