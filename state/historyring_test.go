package state

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"chatd/conf"
)

func entries(ords ...uint64) []*HistoryEntry {
	out := make([]*HistoryEntry, len(ords))
	for i, o := range ords {
		out[i] = &HistoryEntry{Ord: o}
	}
	return out
}

func ordsOf(list []*HistoryEntry) []uint64 {
	out := make([]uint64, len(list))
	for i, e := range list {
		out[i] = e.Ord
	}
	return out
}

func sameOrds(a []uint64, b ...uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A ring keeps its newest entries and knows, from its floor, which
// answers it can give alone: those that lie wholly above the oldest entry
// it forgot.
func TestHistoryRingExactness(t *testing.T) {
	r := newHistoryRing(3, 0, false)
	for _, e := range entries(10, 20, 30) {
		r.push(e)
	}
	all := HistoryRange{Hi: ^uint64(0), Limit: 10, FromEnd: true, MaxKind: KindEvent}
	if got, exact := r.query(all); !exact || !sameOrds(ordsOf(got), 10, 20, 30) {
		t.Fatalf("whole ring: %v exact=%v", ordsOf(got), exact)
	}
	r.push(&HistoryEntry{Ord: 40}) // forgets 10: the store has it
	if got, exact := r.query(all); exact {
		t.Fatalf("after forgetting 10, LATEST 10 claims to be exact: %v", ordsOf(got))
	}
	two := all
	two.Limit = 2
	if got, exact := r.query(two); !exact || !sameOrds(ordsOf(got), 30, 40) {
		t.Fatalf("LATEST 2: %v exact=%v", ordsOf(got), exact)
	}
	after := HistoryRange{Lo: 20, Hi: ^uint64(0), Limit: 10, MaxKind: KindEvent}
	if got, exact := r.query(after); !exact || !sameOrds(ordsOf(got), 30, 40) {
		t.Fatalf("AFTER 20: %v exact=%v", ordsOf(got), exact)
	}
	after.Lo = 5
	if _, exact := r.query(after); exact {
		t.Fatal("AFTER 5 reaches below the floor but claims to be exact")
	}
	before := HistoryRange{Hi: 30, Limit: 1, FromEnd: true, MaxKind: KindEvent}
	if got, exact := r.query(before); !exact || !sameOrds(ordsOf(got), 20) {
		t.Fatalf("BEFORE 30 limit 1: %v exact=%v", ordsOf(got), exact)
	}
	before.Limit = 2
	if _, exact := r.query(before); exact {
		t.Fatal("BEFORE 30 limit 2 needs 10 from the store")
	}
	r.forget(35) // 35 went to the store alone (an offline message)
	if _, exact := r.query(two); exact {
		t.Fatal("LATEST 2 holds 30, below a forgotten 35, and claims to be exact")
	}
	mem := newHistoryRing(1, 0, true)
	mem.push(&HistoryEntry{Ord: 1})
	mem.push(&HistoryEntry{Ord: 2})
	if got, exact := mem.query(all); !exact || !sameOrds(ordsOf(got), 2) {
		t.Fatalf("memory-only ring: %v exact=%v (what it forgot is gone)", ordsOf(got), exact)
	}
}

// Kinds filter messages from events; resizing keeps the newest.
func TestHistoryRingKindsAndResize(t *testing.T) {
	r := newHistoryRing(10, 0, false)
	for i, k := range []HistoryKind{KindMessage, KindEvent, KindTagmsg, KindMessage} {
		r.push(&HistoryEntry{Ord: uint64(i + 1), Kind: k})
	}
	msgs := HistoryRange{Hi: ^uint64(0), Limit: 10, MaxKind: KindMessage}
	if got, _ := r.query(msgs); !sameOrds(ordsOf(got), 1, 4) {
		t.Fatalf("messages only: %v", ordsOf(got))
	}
	if e := r.last(KindMessage); e == nil || e.Ord != 4 {
		t.Fatalf("last message: %v", e)
	}
	r.resize(2)
	all := HistoryRange{Hi: ^uint64(0), Limit: 10, MaxKind: KindEvent}
	if got, exact := r.query(all); exact || !sameOrds(ordsOf(got), 3, 4) {
		t.Fatalf("resized to 2: %v exact=%v", ordsOf(got), exact)
	}
}

// Ords grow within a millisecond and carry into the next; msgids read back.
func TestOrdsAndMsgids(t *testing.T) {
	for _, ord := range []uint64{1, 65535, 1 << 50, 1<<57 - 1} {
		e := &HistoryEntry{Ord: ord}
		if got, ok := MsgidOrd(e.Msgid()); !ok || got != ord {
			t.Fatalf("msgid %q reads back as %d, %v", e.Msgid(), got, ok)
		}
	}
	for _, bad := range []string{"", "ABC", "x y", "zzzzzzzzzzzzzz", "-1"} {
		if _, ok := MsgidOrd(bad); ok {
			t.Fatalf("MsgidOrd(%q) accepted", bad)
		}
	}
}

// Every ord a world hands out is larger than the last, within one
// millisecond, across a clock that goes back, and above the floor its
// store gave it; the server-time of an entry is its ord's millisecond.
func TestNextOrd(t *testing.T) {
	w := New(conf.Default(), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	now := time.UnixMilli(1_700_000_000_000)
	w.SetClock(func() time.Time { return now })
	w.now = now
	a, b := w.nextOrd(), w.nextOrd()
	if b != a+1 || OrdTime(a) != now {
		t.Fatalf("two ords in one millisecond: %d, %d (time %v)", a, b, OrdTime(a))
	}
	w.now = now.Add(-time.Hour) // the clock went back
	if c := w.nextOrd(); c <= b {
		t.Fatalf("after the clock went back: %d, not above %d", c, b)
	}
	w.SetHistoryFloor(TimeOrd(now.Add(time.Hour)), nil)
	w.now = now
	if d := w.nextOrd(); d <= TimeOrd(now.Add(time.Hour)) {
		t.Fatalf("ord %d is not above the store's floor", d)
	}
}

// A redacted entry leaves the ring wherever it sits, wrapped or not; the
// ring then fills the gap with the next entries pushed, in order, and
// still knows what it knew above its floor.
func TestHistoryRingRemove(t *testing.T) {
	r := newHistoryRing(4, 0, false)
	for _, e := range entries(10, 20, 30, 40, 50, 60) { // wraps: 30..60, floor 20
		r.push(e)
	}
	all := HistoryRange{Hi: ^uint64(0), Limit: 10, MaxKind: KindEvent}
	if !r.remove(40) || r.remove(40) || r.remove(20) {
		t.Fatal("remove: 40 once, and neither 40 again nor 20 (forgotten) after")
	}
	if got, _ := r.query(all); !sameOrds(ordsOf(got), 30, 50, 60) {
		t.Fatalf("after removing 40: %v", ordsOf(got))
	}
	r.push(&HistoryEntry{Ord: 70})
	if got, _ := r.query(all); !sameOrds(ordsOf(got), 30, 50, 60, 70) {
		t.Fatalf("the gap filled: %v", ordsOf(got))
	}
	r.push(&HistoryEntry{Ord: 80}) // full again: forgets 30
	after := HistoryRange{Lo: 30, Hi: ^uint64(0), Limit: 10, MaxKind: KindEvent}
	if got, exact := r.query(after); !exact || !sameOrds(ordsOf(got), 50, 60, 70, 80) {
		t.Fatalf("AFTER 30: %v exact=%v", ordsOf(got), exact)
	}
	for _, o := range []uint64{80, 50, 60, 70} {
		r.remove(o)
	}
	if got, _ := r.query(all); len(got) != 0 || r.last(KindEvent) != nil {
		t.Fatalf("emptied ring still holds %v", ordsOf(got))
	}
}

// A ring's message floor rises only with the messages it forgets: a
// channel of joins and parts answers a messages-only range (replay on
// join) from memory, while a range with events still goes to the store.
func TestHistoryRingMessageFloor(t *testing.T) {
	r := newHistoryRing(2, 0, false)
	r.push(&HistoryEntry{Ord: 5, Kind: KindMessage})
	for _, o := range []uint64{10, 20, 30} {
		r.push(&HistoryEntry{Ord: o, Kind: KindEvent})
	}
	// Forgotten: 5 (a message) and 10 (a join).
	msgs := HistoryRange{Lo: 6, Hi: ^uint64(0), Limit: 10, FromEnd: true, MaxKind: KindMessage}
	if got, exact := r.query(msgs); !exact || len(got) != 0 {
		t.Fatalf("messages above 6: %v exact=%v, want none from memory", ordsOf(got), exact)
	}
	low := msgs
	low.Lo = 4
	if got, exact := r.query(low); exact {
		t.Fatalf("messages above 4 (5 was forgotten) claim to be exact: %v", ordsOf(got))
	}
	events := msgs
	events.MaxKind = KindEvent
	if got, exact := r.query(events); exact {
		t.Fatalf("events above 6 (10 was forgotten) claim to be exact: %v", ordsOf(got))
	}
	// A snapshot keeps both floors; forget raises both.
	back := r.snapshot().ring()
	if got, exact := back.query(msgs); !exact || len(got) != 0 || back.floor != 10 || back.msgFloor != 5 {
		t.Fatalf("restored ring: %v exact=%v floors %d/%d", ordsOf(got), exact, back.floor, back.msgFloor)
	}
	back.forget(25)
	if got, exact := back.query(msgs); exact {
		t.Fatalf("after forget(25), messages above 6 claim to be exact: %v", ordsOf(got))
	}
}
