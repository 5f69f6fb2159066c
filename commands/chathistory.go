package commands

import (
	"strconv"
	"strings"
	"time"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// CHATHISTORY (IRCv3 draft/chathistory):
//
//	CHATHISTORY LATEST <target> <* | timestamp=... | msgid=...> <limit>
//	CHATHISTORY BEFORE|AFTER|AROUND <target> <timestamp=... | msgid=...> <limit>
//	CHATHISTORY BETWEEN <target> <reference> <reference> <limit>
//	CHATHISTORY TARGETS <timestamp=...> <timestamp=...> <limit>
//
// The answer is a chathistory batch (draft/chathistory-targets for
// TARGETS) holding the lines as they were first sent, each with its
// msgid and server-time; an empty batch when there is nothing. Without
// draft/event-playback only PRIVMSG and NOTICE are sent. Refusals are
// FAIL CHATHISTORY <code> <subcommand> ...: NEED_MORE_PARAMS,
// INVALID_PARAMS (an unknown subcommand, a bad limit or timestamp),
// INVALID_MSGREFTYPE (a reference other than timestamp= or msgid=),
// INVALID_TARGET (a channel the client is not in, or banned from, or one
// that does not exist) and MESSAGE_ERROR (the store could not answer).
//
// Who may read what: a channel's history, its current members that no
// ban keeps out (a ban stops new reads; what a client already received
// stays with it); a conversation, its two parties (each its own copy,
// under its account when it is logged in).

// addHistoryCommands adds CHATHISTORY to the table.
func addHistoryCommands(t table) {
	t["CHATHISTORY"] = command{handle: handleChathistory, minParams: 0,
		usage: "CHATHISTORY LATEST|BEFORE|AFTER|AROUND <target> <*|timestamp=...|msgid=...> <limit> | BETWEEN <target> <ref> <ref> <limit> | TARGETS <timestamp=...> <timestamp=...> <limit>",
		help:  "Read what was said in a channel you are in, or with someone (IRCv3 chathistory; clients do this for you)."}
}

// chathistoryTimeLayout is how timestamps are written (server-time).
const chathistoryTimeLayout = "2006-01-02T15:04:05.000Z"

func handleChathistory(w *state.World, c *state.Client, m *irc.Message) error {
	if !w.Config.History.Enabled {
		return numeric(irc.ERR_UNKNOWNCOMMAND, "CHATHISTORY", "Unknown command")
	}
	if len(m.Params) == 0 {
		return fail("CHATHISTORY", "NEED_MORE_PARAMS", "*", "Missing parameters")
	}
	sub := strings.ToUpper(m.Params[0])
	need := map[string]int{"LATEST": 4, "BEFORE": 4, "AFTER": 4, "AROUND": 4, "BETWEEN": 5, "TARGETS": 4}[sub]
	switch {
	case need == 0:
		return fail("CHATHISTORY", "INVALID_PARAMS", m.Params[0], "Unknown subcommand")
	case len(m.Params) < need:
		return fail("CHATHISTORY", "NEED_MORE_PARAMS", sub, "Missing parameters")
	}
	limit, err := chathistoryLimit(w, sub, m.Params[need-1])
	if err != nil {
		return err
	}
	if sub == "TARGETS" {
		return chathistoryTargets(w, c, m.Params[1], m.Params[2], limit)
	}
	name := m.Params[1]
	refs := make([]historyRef, 0, 2)
	for _, p := range m.Params[2 : need-1] {
		ref, err := parseHistoryRef(sub, p, sub == "LATEST")
		if err != nil {
			return err
		}
		refs = append(refs, ref)
	}
	key, ok := historyTarget(w, c, name)
	if !ok {
		return fail("CHATHISTORY", "INVALID_TARGET", sub, name, "Messages could not be retrieved")
	}
	maxKind := state.KindMessage
	if c.Caps.Has(state.CapEventPlayback) {
		maxKind = state.KindEvent
	}
	ranges := historyRanges(sub, key, refs, limit, maxKind)
	w.ReadHistory(c, ranges, func(w *state.World, results [][]*state.HistoryEntry, err error) {
		if err != nil {
			w.Log.Error("CHATHISTORY", "nick", c.Nick, "target", name, "err", err)
			sendError(w, c, fail("CHATHISTORY", "MESSAGE_ERROR", sub, name, "Messages could not be retrieved"))
			return
		}
		var entries []*state.HistoryEntry
		for _, r := range results {
			entries = append(entries, r...)
		}
		if ch := w.Channel(name); ch != nil && isChannel(name) {
			// Lines from before a rename read as lines to the channel's
			// name now.
			entries = state.InChannel(entries, ch.Name)
		}
		sendHistoryBatch(w, c, name, entries)
	})
	return nil
}

// chathistoryLimit reads a limit: a positive number, cut to
// chathistory_max (CHATHISTORY= in 005).
func chathistoryLimit(w *state.World, sub, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fail("CHATHISTORY", "INVALID_PARAMS", sub, s, "The limit must be a positive number")
	}
	return min(n, w.Config.History.ChathistoryMax), nil
}

// historyRef is a message reference: the position it names (an ord: a
// msgid's own, or the first of a timestamp's millisecond), and whether it
// names one message (msgid) rather than a moment.
type historyRef struct {
	ord   uint64
	msgid bool
	star  bool // LATEST's "*"
}

// parseHistoryRef reads "*", "timestamp=..." or "msgid=...".
func parseHistoryRef(sub, p string, starOK bool) (historyRef, error) {
	kind, value, found := strings.Cut(p, "=")
	switch {
	case p == "*" && starOK:
		return historyRef{star: true}, nil
	case !found || (kind != "timestamp" && kind != "msgid"):
		return historyRef{}, fail("CHATHISTORY", "INVALID_MSGREFTYPE", sub, p, "Message references are timestamp= or msgid=")
	case kind == "msgid":
		ord, ok := state.MsgidOrd(value)
		if !ok {
			return historyRef{}, fail("CHATHISTORY", "INVALID_PARAMS", sub, p, "Unknown msgid")
		}
		return historyRef{ord: ord, msgid: true}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		return historyRef{}, fail("CHATHISTORY", "INVALID_PARAMS", sub, p, "Timestamps are YYYY-MM-DDThh:mm:ss.sssZ")
	}
	return historyRef{ord: state.TimeOrd(t)}, nil
}

// before is the exclusive upper bound of the messages before r.
func (r historyRef) before() uint64 { return r.ord }

// after is the exclusive lower bound of the messages after r: a msgid's
// own ord, or the last ord of a timestamp's millisecond.
func (r historyRef) after() uint64 {
	if r.msgid {
		return r.ord
	}
	return r.ord + 1<<16 - 1
}

// noLimit is the bound of a range open at the top.
const noLimit = ^uint64(0)

// historyRanges turns a subcommand into the ranges to read.
func historyRanges(sub, key string, refs []historyRef, limit int, maxKind state.HistoryKind) []state.HistoryRange {
	rg := state.HistoryRange{Target: key, Lo: 0, Hi: noLimit, Limit: limit, MaxKind: maxKind}
	switch sub {
	case "LATEST":
		rg.FromEnd = true
		if !refs[0].star {
			rg.Lo = refs[0].after()
		}
	case "BEFORE":
		rg.Hi, rg.FromEnd = refs[0].before(), true
	case "AFTER":
		rg.Lo = refs[0].after()
	case "BETWEEN":
		a, b := refs[0], refs[1]
		if a.ord <= b.ord { // forwards from a
			rg.Lo, rg.Hi = a.after(), b.before()
		} else { // backwards from a
			rg.Lo, rg.Hi, rg.FromEnd = b.after(), a.before(), true
		}
		if rg.Lo >= rg.Hi {
			rg.Limit = 0
		}
	case "AROUND":
		// The message referred to (or the first at or after the moment)
		// and what follows get the larger half, what precedes the rest.
		before := limit / 2
		at := rg
		at.Lo = refs[0].ord - 1
		at.Limit = limit - before
		if before == 0 {
			return []state.HistoryRange{at}
		}
		pre := rg
		pre.Hi, pre.Limit, pre.FromEnd = refs[0].ord, before, true
		return []state.HistoryRange{pre, at}
	}
	return []state.HistoryRange{rg}
}

// historyTarget finds the history c asks for by name, and whether c may
// read it: a channel's if c is in it and no ban keeps it out; for a nick,
// c's copy of its conversation with whoever is (or was) called that.
func historyTarget(w *state.World, c *state.Client, name string) (string, bool) {
	if isChannel(name) {
		ch := w.Channel(name)
		if ch == nil || !mayReadHistory(w, c, ch) {
			return "", false
		}
		return state.ChannelKey(ch), true
	}
	if name == "" || name == "*" || strings.ContainsAny(name, " ,*?!@") {
		return "", false
	}
	return state.ConversationKey(c, partyNamed(w, c, name)), true
}

// mayReadHistory reports whether c may read ch's history now: it is a
// member and no ban keeps it out.
func mayReadHistory(w *state.World, c *state.Client, ch *state.Channel) bool {
	return ch.Membership(c) != nil && (!isBanned(ch, c) || chanPrivileged(w, c, ch))
}

// partyNamed is the party key of whoever name stands for: c itself, the
// client using that nick, else the account of that name, else the nick.
func partyNamed(w *state.World, c *state.Client, name string) string {
	if state.Fold(name) == state.Fold(c.Nick) {
		return state.PartyKey(c)
	}
	if u := w.ClientByNick(name); u != nil {
		return state.PartyKey(u)
	}
	return state.Fold(name)
}

// sendHistoryBatch sends entries to c in a chathistory batch for target
// (the batch is the whole reply), in slices when there are many.
func sendHistoryBatch(w *state.World, c *state.Client, target string, entries []*state.HistoryEntry) {
	if c.Caps.Has(state.CapBatch) {
		ref := w.NewBatchRef()
		start, err := state.Encode(&irc.Message{Prefix: w.ServerPrefix(), Command: "BATCH", Params: state.SafeParams([]string{"+" + ref, "chathistory", target})})
		if err != nil {
			w.Log.Error("CHATHISTORY batch", "err", err)
			return
		}
		w.OpenBatch(c, ref, start, true)
	}
	sendHistoryLines(w, c, entries)
}

// sendHistoryLines sends entries, a slice at a time, then ends the batch
// they are in (if any).
func sendHistoryLines(w *state.World, c *state.Client, entries []*state.HistoryEntry) {
	for i, e := range entries {
		if w.SliceFull(c) {
			rest := entries[i:]
			w.Continue(c, func(w *state.World) { sendHistoryLines(w, c, rest) })
			return
		}
		if len(e.Lines) > 0 {
			// A multiline message: a draft/multiline batch nested in the
			// chathistory one, or its lines (MultilineFanout.To).
			w.MultilineHistory(e).To(c, false)
			continue
		}
		w.Send(c, w.HistoryLine(e, c.Caps))
	}
	w.EndBatch(c)
}

// chathistoryTargets answers CHATHISTORY TARGETS: the channels c may read
// and the people it talked with whose newest message lies between the two
// timestamps, oldest first, at most limit of them (those nearest the
// first timestamp).
func chathistoryTargets(w *state.World, c *state.Client, from, to string, limit int) error {
	a, err := parseHistoryRef("TARGETS", from, false)
	if err != nil {
		return err
	}
	b, err := parseHistoryRef("TARGETS", to, false)
	if err != nil {
		return err
	}
	if a.msgid || b.msgid {
		return fail("CHATHISTORY", "INVALID_PARAMS", "TARGETS", "TARGETS takes two timestamps")
	}
	lo, hi := a, b
	if a.ord > b.ord {
		lo, hi = b, a
	}
	var channels []string
	for _, ch := range sortedChannelsOf(c) {
		if mayReadHistory(w, c, ch) {
			channels = append(channels, state.ChannelKey(ch))
		}
	}
	backwards := a.ord > b.ord
	w.ReadTargets(c, channels, lo.after(), hi.before(), func(w *state.World, list []state.HistoryTarget, err error) {
		if err != nil {
			w.Log.Error("CHATHISTORY TARGETS", "nick", c.Nick, "err", err)
			sendError(w, c, fail("CHATHISTORY", "MESSAGE_ERROR", "TARGETS", "*", "Messages could not be retrieved"))
			return
		}
		if len(list) > limit {
			if backwards {
				list = list[len(list)-limit:]
			} else {
				list = list[:limit]
			}
		}
		if c.Caps.Has(state.CapBatch) {
			ref := w.NewBatchRef()
			start, _ := state.Encode(&irc.Message{Prefix: w.ServerPrefix(), Command: "BATCH", Params: []string{"+" + ref, "draft/chathistory-targets"}})
			w.OpenBatch(c, ref, start, true)
		}
		for _, t := range list {
			w.ServerMessage(c, "CHATHISTORY", "TARGETS", historyTargetName(w, t.Target), state.OrdTime(t.Last).UTC().Format(chathistoryTimeLayout))
		}
		w.EndBatch(c)
	})
	return nil
}

// historyTargetName is how TARGETS names a history key: a channel by its
// name, a conversation by the other party (an account as registered, a
// nick as it is folded).
func historyTargetName(w *state.World, key string) string {
	_, other, private := strings.Cut(key, " ")
	if !private {
		if ch := w.Channel(key); ch != nil {
			return ch.Name
		}
		return key
	}
	if a := w.Account(other); a != nil {
		return a.Name
	}
	return other
}
