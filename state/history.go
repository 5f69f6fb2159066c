package state

import (
	"strconv"
	"strings"
	"time"

	"gopkg.in/irc.v4"
)

// History: what was said is recorded where the world changes (the relay
// of a PRIVMSG, NOTICE or TAGMSG, and the channel events of events.go),
// so no handler can forget it. The newest entries of each target are kept
// in memory (a ring per channel and per conversation, historyring.go);
// every entry of a target that outlives a session is also handed to a
// HistoryStore, in batches, after each run of events (World.flush), and
// the store writes it off the state goroutine. A read that memory cannot
// answer exactly is sent to the store and answered when the rows come
// back (historyread.go).
//
// Order and msgids. Every entry has an ord: the time of the event in
// milliseconds shifted left by ordTimeShift, plus a counter for entries of
// the same millisecond. Ords only grow (World.Now never goes back, and
// the counter carries into the next millisecond), so they order history;
// the msgid is the ord in base 36, so a msgid reference is its position,
// and the server-time of an entry is its ord's millisecond. Ords are
// unique across restarts because time moves on and a new world starts
// above the highest ord its store has seen (SetHistoryFloor). Nothing in
// them depends on the process: a cluster whose nodes apply the same log of
// events with the same stamps computes the same ords and msgids on every
// node, from the log's timestamps and the world's own counter.

// ordTimeShift leaves room for 65,536 entries in one millisecond.
const ordTimeShift = 16

// HistoryKind sorts entries for CHATHISTORY: clients without
// draft/event-playback are sent messages only.
type HistoryKind uint8

const (
	KindMessage HistoryKind = iota // PRIVMSG, NOTICE
	KindTagmsg                     // TAGMSG
	KindEvent                      // JOIN, PART, QUIT, KICK, MODE, TOPIC, NICK
)

// HistoryEntry is one recorded line. It is never changed once made: the
// same entry sits in several rings (both sides of a conversation, every
// channel of a QUIT) and in the store's queue, read by its goroutine.
type HistoryEntry struct {
	Ord     uint64
	Kind    HistoryKind
	Bot     bool         // the sender was in bot mode (+B): the bot tag
	Account string       // the sender's account, "" for none (account-tag)
	Msg     *irc.Message // as relayed, without tags; a JOIN in its extended-join form
	Tags    irc.Tags     // the sender's client-only tags
	// From is the session that sent it (0 for the server), so that a
	// sender without an account may redact its own messages while it is
	// connected. Memory only: the store does not keep it, and an entry
	// read from the store has 0.
	From ClientID `json:"from,omitempty"`
	// Lines are a multiline message's lines, the first included (Msg
	// holds the first); nil for a message of one line.
	Lines []BatchLine `json:",omitempty"`
}

// Time is when the entry was recorded (its server-time).
func (e *HistoryEntry) Time() time.Time { return OrdTime(e.Ord) }

// Msgid is the entry's IRCv3 msgid.
func (e *HistoryEntry) Msgid() string { return strconv.FormatUint(e.Ord, 36) }

// OrdTime is the time an ord stands for.
func OrdTime(ord uint64) time.Time { return time.UnixMilli(int64(ord >> ordTimeShift)) }

// TimeOrd is the first ord of the millisecond of t: entries recorded
// before t have smaller ords, those at or after t equal or larger ones.
func TimeOrd(t time.Time) uint64 {
	ms := t.UnixMilli()
	if ms < 0 {
		return 0
	}
	return uint64(ms) << ordTimeShift
}

// MsgidOrd reads a msgid chatd made; false for anything else.
func MsgidOrd(msgid string) (uint64, bool) {
	if msgid == "" || len(msgid) > 13 || strings.ToLower(msgid) != msgid {
		return 0, false
	}
	ord, err := strconv.ParseUint(msgid, 36, 64)
	return ord, err == nil && ord > 0
}

// HistoryRow is an entry for one target, on its way to the store.
type HistoryRow struct {
	Target string // HistoryKey form
	Entry  *HistoryEntry
}

// HistoryRange selects entries of one target: those with Lo < Ord < Hi
// and Kind <= MaxKind, at most Limit of them, taken from the old end or,
// with FromEnd, from the new end. Results are always oldest first.
type HistoryRange struct {
	Target  string
	Lo, Hi  uint64
	Limit   int
	FromEnd bool
	MaxKind HistoryKind
}

// HistoryTarget is one target of a CHATHISTORY TARGETS answer: its key
// and the ord of its latest message.
type HistoryTarget struct {
	Target string
	Last   uint64
}

// HistoryStore keeps history that outlives the process. Every method may
// be called from the state goroutine and must return at once: work is
// done on the store's goroutines, and answers come through done, called
// from one of them (never from the caller's).
type HistoryStore interface {
	// AppendHistory takes rows (in ord order per target) for writing;
	// the store owns the slice from then on.
	AppendHistory(rows []HistoryRow)
	// QueryHistory answers each range, the rows not yet written
	// included; false when too many reads are waiting (done not called).
	QueryHistory(ranges []HistoryRange, done func([][]*HistoryEntry, error)) bool
	// QueryTargets lists the targets among channels (exact keys) and
	// under prefix (a private "@account " key prefix; "" for none) whose
	// latest message has lo < ord < hi.
	QueryTargets(channels []string, prefix string, lo, hi uint64, done func([]HistoryTarget, error)) bool
	// QueryOffline lists the messages waiting for an account (folded),
	// oldest first.
	QueryOffline(account string, done func([]*HistoryEntry, error)) bool
	// RenameTarget moves the rows of the channel key old with ords up to
	// upto (every row handed over so far: the caller appended them
	// first) to the key new (a channel rename). Reads made after it
	// returns see them under new. withWrite says that the caller submits
	// a RenameChannelWrite of old to new to this same store (as a Store)
	// right after: the committed rows then move in that write's
	// transaction, so that no crash leaves a group's record and its
	// history under different names.
	RenameTarget(old, new string, upto uint64, withWrite bool)
}

// Keys of history targets. A channel's history is under its folded name.
// A conversation is kept once for each of its parties that is logged in
// (its "owner"): under "@" + folded account + " " + the other party's key,
// which is its folded account if it is logged in and its folded nick
// otherwise. A party that is not logged in keeps its copy under its
// session ("$" + client ID + " " + other), in memory only, and that copy
// dies with the session. So private history is read only by its two
// parties, identified by account when they have one.

// ChannelKey is the history key of a channel.
func ChannelKey(ch *Channel) string { return ch.folded }

// ownerKey is the prefix of c's conversation keys; persisted says
// whether they outlive the session.
func ownerKey(c *Client) (key string, persisted bool) {
	if c.Account != "" {
		return "@" + Fold(c.Account) + " ", true
	}
	return "$" + strconv.FormatUint(uint64(c.ID), 10) + " ", false
}

// PartyKey is how c is named as the other party of a conversation.
func PartyKey(c *Client) string {
	if c.Account != "" {
		return Fold(c.Account)
	}
	return c.folded
}

// ConversationKey is the key of c's copy of its conversation with the
// party named other (PartyKey form).
func ConversationKey(c *Client, other string) string {
	owner, _ := ownerKey(c)
	return owner + other
}

// PrivatePrefix is the key prefix of c's persisted conversations ("" when
// c is not logged in: its conversations are not stored).
func PrivatePrefix(c *Client) string {
	if key, persisted := ownerKey(c); persisted {
		return key
	}
	return ""
}

// historyState is the world's part of history.
type historyState struct {
	lastOrd uint64
	kept    bool                    // history outlives the process: a store keeps it (on every node of a cluster)
	store   HistoryStore            // this node's store; nil in a replica of a log, whose world may still be kept
	private map[string]*historyRing // conversation rings by key
	stored  map[string]uint64       // target key → highest ord handed to the store
	// storedMsg is stored for messages (KindMessage) alone, where it is
	// known: no message above it was handed to the store. A target not
	// in it has stored as its bound (msgBound).
	storedMsg map[string]uint64
	pending   []HistoryRow          // for the store at the next flush
	dropped   uint64                // entries not stored because history is off
	sessions  map[ClientID][]string // a session's conversation keys, dropped when it leaves
	mail      map[string]*mailbox   // messages waiting for offline accounts (historyoffline.go)

	markers        map[string]map[string]time.Time   // read markers by account (readmarker.go)
	sessionMarkers map[ClientID]map[string]time.Time // and by session, without an account
	// markedBy indexes the markers by target (target key → who has one),
	// so that a channel rename moves its markers without visiting every
	// account's (readmarker.go).
	markedBy map[string]*markerHolders
}

// historyOn reports whether history is recorded.
func (w *World) historyOn() bool { return w.Config.History.Enabled }

// SetHistoryStore sets where history that outlives the process goes.
// Call it before Run; without one history is kept in memory only.
func (w *World) SetHistoryStore(s HistoryStore) {
	w.history.store = s
	w.history.kept = s != nil
}

// SetHistoryFloor makes every ord this world hands out larger than ord
// (the highest its store has seen), and tells it which targets have rows
// in the store and their highest ord, so that memory knows where its
// knowledge ends. Call it before Run.
func (w *World) SetHistoryFloor(ord uint64, stored map[string]uint64) {
	w.history.lastOrd = max(w.history.lastOrd, ord)
	if stored != nil {
		w.history.stored = stored
	}
}

// SetHistoryMessageTops tells the world, for targets with rows in its
// store, the ord of the newest message there (0 for none), so that
// memory can answer a messages-only read above it (msgFloor). Call it
// before Run, after SetHistoryFloor.
func (w *World) SetHistoryMessageTops(tops map[string]uint64) {
	if tops != nil {
		w.history.storedMsg = tops
	}
}

// msgBound is the ord above which the store holds no message of key.
func (h *historyState) msgBound(key string) uint64 {
	if top, ok := h.storedMsg[key]; ok {
		return min(top, h.stored[key])
	}
	return h.stored[key]
}

// newStoredRing makes the ring of a stored target key, which knows
// where the store's entries and its messages end.
func (h *historyState) newStoredRing(capacity int, key string, memoryOnly bool) *historyRing {
	r := newHistoryRing(capacity, h.stored[key], memoryOnly)
	r.msgFloor = min(r.floor, h.msgBound(key))
	return r
}

// nextOrd hands out the ord of an entry recorded now.
func (w *World) nextOrd() uint64 {
	h := &w.history
	if base := TimeOrd(w.Now()); base > h.lastOrd {
		h.lastOrd = base
	} else {
		h.lastOrd++
	}
	return h.lastOrd
}

// LastOrd is the ord of the newest entry (or msgid) handed out.
func (w *World) LastOrd() uint64 { return w.history.lastOrd }

// flushHistory hands the rows recorded since the last flush to the store.
func (w *World) flushHistory() {
	h := &w.history
	if len(h.pending) == 0 {
		return
	}
	if h.store != nil {
		h.store.AppendHistory(h.pending)
	}
	h.pending = nil
}
