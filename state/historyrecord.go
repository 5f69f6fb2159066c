package state

import "gopkg.in/irc.v4"

// Recording: the relay of a client's message (RelayToChannel,
// RelayPrivate) and every channel event (events.go, Quit) go through
// here, which gives the line its msgid and time and, with history on,
// keeps it.

// newEntry makes the entry of msg, recorded now, sent by from (nil for
// the server or a service).
func (w *World) newEntry(kind HistoryKind, msg *irc.Message, tags irc.Tags, from *Client) *HistoryEntry {
	e := &HistoryEntry{Ord: w.nextOrd(), Kind: kind, Msg: msg, Tags: tags}
	if from != nil {
		e.Account = from.Account
		e.Bot = from.Modes&UserBot != 0
		e.From = from.ID
	}
	return e
}

// entryFanout prepares e (or, when msg is not nil, msg in e's place: the
// plain form of an extended JOIN) for delivery with e's msgid and time.
func (w *World) entryFanout(e *HistoryEntry, msg *irc.Message) *Fanout {
	if msg == nil {
		msg = e.Msg
	}
	return &Fanout{
		w:          w,
		msg:        msg,
		clientTags: e.Tags,
		msgid:      e.Msgid(),
		at:         e.Time(),
		account:    e.Account,
		bot:        e.Bot,
		accountSet: true,
	}
}

// channelRing returns ch's ring, made on first use.
func (w *World) channelRing(ch *Channel) *historyRing {
	if ch.history == nil {
		if !w.historyOn() {
			ch.history = newHistoryRing(min(w.Config.History.ChannelLength, RecentWithoutHistory), 0, true)
		} else {
			ch.history = w.history.newStoredRing(w.Config.History.ChannelLength, ch.folded, !w.history.kept)
		}
	}
	return ch.history
}

// storeRow queues e for the store under key. (While a target has a
// ring, the ring knows what was stored; history.stored is brought up to
// date when a ring goes, dropChannelHistory.)
func (w *World) storeRow(key string, e *HistoryEntry) {
	if h := &w.history; h.kept && h.store != nil {
		h.pending = append(h.pending, HistoryRow{Target: key, Entry: e})
	}
}

// dropChannelHistory forgets the ring of a channel that ceases to exist,
// noting the newest entry it handed to the store: a channel of that name
// made later starts with a ring that knows the store has older entries.
func (w *World) dropChannelHistory(ch *Channel) {
	h := &w.history
	if ch.history == nil || !h.kept {
		return
	}
	h.noteStored(ch.folded, ch.history)
	ch.history = nil
}

// noteStored records, as a ring of the stored target key goes, the
// newest ord the store may hold for it: its newest entry, or the newest
// it forgot (its floor), when redactions emptied its end.
func (h *historyState) noteStored(key string, r *historyRing) {
	top := r.floor
	if e := r.last(KindEvent); e != nil {
		top = max(top, e.Ord)
	}
	if top > h.stored[key] {
		if h.stored == nil {
			h.stored = map[string]uint64{}
		}
		h.stored[key] = top
	}
	if h.stored[key] == 0 {
		return // nothing stored: no bound to keep
	}
	// The ring began at msgBound(key) and saw everything since (what
	// went to the store past it raised its floors: forget).
	msgTop := r.msgFloor
	if e := r.last(KindMessage); e != nil {
		msgTop = max(msgTop, e.Ord)
	}
	if h.storedMsg == nil {
		h.storedMsg = map[string]uint64{}
	}
	if old, ok := h.storedMsg[key]; ok {
		msgTop = max(msgTop, old)
	}
	h.storedMsg[key] = msgTop
}

// recordChannel keeps e in ch's history.
func (w *World) recordChannel(ch *Channel, e *HistoryEntry) {
	if !w.historyOn() {
		return
	}
	w.channelRing(ch).push(e)
	w.storeRow(ch.folded, e)
}

// channelEvent makes the entry of an event in ch (a JOIN, PART, KICK,
// TOPIC or MODE line), keeps it, and returns its fan-out. With history
// off the event is not kept and carries no msgid, as before history.
func (w *World) channelEvent(ch *Channel, msg *irc.Message, from *Client) (*HistoryEntry, *Fanout) {
	if !w.historyOn() {
		return nil, w.NewFanout(msg, nil)
	}
	e := w.newEntry(KindEvent, msg, nil, from)
	w.recordChannel(ch, e)
	return e, w.entryFanout(e, nil)
}

// clientEvent makes the entry of an event of c seen in each of its
// channels (QUIT, NICK), keeps it in every one, and returns its fan-out.
func (w *World) clientEvent(c *Client, msg *irc.Message) *Fanout {
	if !w.historyOn() || len(c.channels) == 0 {
		return w.NewFanout(msg, nil)
	}
	e := w.newEntry(KindEvent, msg, nil, c)
	for ch := range c.channels {
		w.recordChannel(ch, e)
	}
	return w.entryFanout(e, nil)
}

// relayKind is the kind of a relayed message.
func relayKind(m *irc.Message) HistoryKind {
	if m.Command == "TAGMSG" {
		return KindTagmsg
	}
	return KindMessage
}

// RelayToChannel records from's PRIVMSG, NOTICE or TAGMSG m (untagged;
// tags are its client-only tags) to ch and prepares it for delivery with
// its msgid, the same for every copy.
func (w *World) RelayToChannel(from *Client, ch *Channel, m *irc.Message, tags irc.Tags) *Fanout {
	e := w.newEntry(relayKind(m), m, tags, from)
	if w.historyOn() {
		w.recordChannel(ch, e)
	} else {
		w.channelRing(ch).push(e.sender())
	}
	return w.entryFanout(e, nil)
}

// RelayPrivate records from's PRIVMSG, NOTICE or TAGMSG m to to in both
// parties' copies of their conversation and prepares it for delivery.
func (w *World) RelayPrivate(from, to *Client, m *irc.Message, tags irc.Tags) *Fanout {
	e := w.newEntry(relayKind(m), m, tags, from)
	w.recordPrivate(from, to, e)
	return w.entryFanout(e, nil)
}

// recordPrivate keeps e, from's message to to, in both parties' copies
// of their conversation.
func (w *World) recordPrivate(from, to *Client, e *HistoryEntry) {
	if !w.historyOn() {
		w.recordSent(from, PartyKey(to), e)
		return
	}
	fromKey := ConversationKey(from, PartyKey(to))
	w.recordConversation(from, fromKey, e)
	if toKey := ConversationKey(to, PartyKey(from)); toKey != fromKey {
		w.recordConversation(to, toKey, e)
	}
}

// recordConversation keeps e in owner's copy of a conversation, key.
func (w *World) recordConversation(owner *Client, key string, e *HistoryEntry) {
	_, persisted := ownerKey(owner)
	h := &w.history
	r := h.private[key]
	if r == nil {
		if h.private == nil {
			h.private = map[string]*historyRing{}
		}
		r = h.newStoredRing(w.Config.History.PrivateLength, key, !persisted || !h.kept)
		h.private[key] = r
		if !persisted {
			if h.sessions == nil {
				h.sessions = map[ClientID][]string{}
			}
			h.sessions[owner.ID] = append(h.sessions[owner.ID], key)
		}
	}
	r.push(e)
	if persisted {
		w.storeRow(key, e)
	}
}

// forgetSession drops the conversations c kept without an account: they
// die with the session.
func (w *World) forgetSession(c *Client) {
	w.forgetSessionMarkers(c)
	h := &w.history
	for _, key := range h.sessions[c.ID] {
		delete(h.private, key)
	}
	delete(h.sessions, c.ID)
}
