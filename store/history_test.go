package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// histEntry is a message recorded at ms (Unix milliseconds), n-th of it.
func histEntry(ms int64, n uint64, kind state.HistoryKind, text string) *state.HistoryEntry {
	return &state.HistoryEntry{
		Ord:  state.TimeOrd(time.UnixMilli(ms)) + n,
		Kind: kind,
		Msg:  &irc.Message{Prefix: &irc.Prefix{Name: "a", User: "u", Host: "h"}, Command: "PRIVMSG", Params: []string{"#c", text}},
		Tags: irc.Tags{"+x": "1"},
	}
}

// query runs ranges and waits for the answer.
func query(t *testing.T, s *Store, ranges ...state.HistoryRange) [][]*state.HistoryEntry {
	t.Helper()
	type answer struct {
		res [][]*state.HistoryEntry
		err error
	}
	got := make(chan answer, 1)
	if !s.QueryHistory(ranges, func(res [][]*state.HistoryEntry, err error) { got <- answer{res, err} }) {
		t.Fatal("QueryHistory refused")
	}
	select {
	case a := <-got:
		if a.err != nil {
			t.Fatal(a.err)
		}
		return a.res
	case <-time.After(10 * time.Second):
		t.Fatal("no answer")
	}
	return nil
}

func texts(list []*state.HistoryEntry) []string {
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.Msg.Trailing()
	}
	return out
}

func equal(a []string, b ...string) bool {
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

// Rows are readable while they wait for their commit and after it, in
// order, filtered by kind, from either end, with their tags; a reopened
// store starts its msgids above everything it handed out.
func TestHistoryRowsQueryAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chatd.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rows []state.HistoryRow
	for i, text := range []string{"one", "two", "three", "four"} {
		kind := state.KindMessage
		if text == "three" {
			kind = state.KindEvent
		}
		rows = append(rows, state.HistoryRow{Target: "#c", Entry: histEntry(1_700_000_000_000+int64(i), 0, kind, text)})
	}
	s.AppendHistory(rows[:2])
	go s.Run()
	s.AppendHistory(rows[2:])
	all := state.HistoryRange{Target: "#c", Hi: ^uint64(0), Limit: 10, MaxKind: state.KindEvent}
	msgs := all
	msgs.MaxKind, msgs.Limit, msgs.FromEnd = state.KindMessage, 2, true
	// Asked at once, before the commit interval: from the queue.
	res := query(t, s, all, msgs)
	if !equal(texts(res[0]), "one", "two", "three", "four") || !equal(texts(res[1]), "two", "four") {
		t.Fatalf("before the commit: %q, %q", texts(res[0]), texts(res[1]))
	}
	if res[0][0].Tags["+x"] != "1" || res[0][0].Msg.Prefix.Name != "a" {
		t.Fatalf("row came back as %+v", res[0][0])
	}
	s.Close(true) // commits what is queued
	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	go s.Run()
	defer s.Close(true)
	res = query(t, s, all, msgs)
	if !equal(texts(res[0]), "one", "two", "three", "four") || !equal(texts(res[1]), "two", "four") {
		t.Fatalf("after reopening: %q, %q", texts(res[0]), texts(res[1]))
	}
	floor, stored, err := s.HistoryStart()
	if err != nil {
		t.Fatal(err)
	}
	if last := rows[3].Entry.Ord; floor <= last || stored["#c"] != last {
		t.Fatalf("floor %d, stored %v; the newest ord is %d", floor, stored, last)
	}
	mid := all
	mid.Lo, mid.Hi = rows[0].Entry.Ord, rows[3].Entry.Ord
	if res := query(t, s, mid); !equal(texts(res[0]), "two", "three") {
		t.Fatalf("between one and four: %q", texts(res[0]))
	}
}

// TARGETS: channels by key, conversations by their owner's prefix, with
// the newest message's ord, whether committed or still queued.
func TestHistoryTargets(t *testing.T) {
	s := openRunning(t, "")
	s.AppendHistory([]state.HistoryRow{
		{Target: "#a", Entry: histEntry(1000, 0, state.KindMessage, "x")},
		{Target: "#b", Entry: histEntry(2000, 0, state.KindMessage, "x")},
		{Target: "@alice bob", Entry: histEntry(3000, 0, state.KindMessage, "x")},
		{Target: "@alicia bob", Entry: histEntry(3500, 0, state.KindMessage, "x")},
		{Target: "#a", Entry: histEntry(4000, 0, state.KindEvent, "a join")},
	})
	got := make(chan []state.HistoryTarget, 1)
	s.QueryTargets([]string{"#a", "#b"}, "@alice ", 0, ^uint64(0), func(list []state.HistoryTarget, err error) {
		if err != nil {
			t.Error(err)
		}
		got <- list
	})
	list := <-got
	if len(list) != 3 || list[0].Target != "#a" || list[1].Target != "#b" || list[2].Target != "@alice bob" ||
		list[0].Last != state.TimeOrd(time.UnixMilli(1000)) {
		t.Fatalf("targets: %+v", list)
	}
}

// BenchmarkHistoryCommit is the store goroutine's cost of one history row
// (a channel message of ordinary length) committed in batches of 2,000 to
// a real file: what history adds to a message beside its fan-out.
func BenchmarkHistoryCommit(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "chatd.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(false)
	rows := make([]state.HistoryRow, 0, historyBatchRows)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		rows = append(rows, state.HistoryRow{
			Target: fmt.Sprintf("#c%d", i%20),
			Entry:  histEntry(1_700_000_000_000+int64(i/100), uint64(i%100), state.KindMessage, "an ordinary line of chat, about sixty bytes long, give or take"),
		})
		if len(rows) == historyBatchRows || i == b.N-1 {
			s.AppendHistory(rows)
			s.commitHistory()
			rows = make([]state.HistoryRow, 0, historyBatchRows)
		}
	}
}

// A RedactHistory deletes one entry from the chunks of each target that
// hold it, rows still waiting for their commit included (Run commits them
// first), keeps the rest of each chunk, and takes it out of an offline
// account's waiting list; after a reopen it is still gone.
func TestRedactHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chatd.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	go s.Run()
	base := time.Now().UnixMilli()
	var list []*state.HistoryEntry
	var rows []state.HistoryRow
	for i, text := range []string{"one", "two", "three"} {
		e := histEntry(base+int64(i), 0, state.KindMessage, text)
		list = append(list, e)
		rows = append(rows, state.HistoryRow{Target: "#c", Entry: e}, state.HistoryRow{Target: "@a b", Entry: e})
	}
	s.AppendHistory(rows)
	// Queued, not committed: the deletion must still find it.
	if err := submit(t, s, state.RedactHistory{Targets: []string{"#c", "@a b"}, Ord: list[1].Ord}); err != nil {
		t.Fatal(err)
	}
	all := func(target string) state.HistoryRange {
		return state.HistoryRange{Target: target, Hi: ^uint64(0), Limit: 10, MaxKind: state.KindEvent}
	}
	res := query(t, s, all("#c"), all("@a b"))
	if !equal(texts(res[0]), "one", "three") || !equal(texts(res[1]), "one", "three") {
		t.Fatalf("after redacting two: #c %q, @a b %q", texts(res[0]), texts(res[1]))
	}
	// The first and the last of a chunk, until none is left.
	for _, e := range []*state.HistoryEntry{list[2], list[0]} {
		if err := submit(t, s, state.RedactHistory{Targets: []string{"#c"}, Ord: e.Ord}); err != nil {
			t.Fatal(err)
		}
	}
	if res := query(t, s, all("#c"), all("@a b")); len(res[0]) != 0 || !equal(texts(res[1]), "one", "three") {
		t.Fatalf("#c emptied: %q; @a b untouched: %q", texts(res[0]), texts(res[1]))
	}
	// An offline message: its chunk and its place in the waiting list.
	if err := submit(t, s, state.CreateAccount{Account: testAccount("bob")}); err != nil {
		t.Fatal(err)
	}
	kept := histEntry(base+10, 0, state.KindMessage, "while you were out")
	if err := submit(t, s, state.StoreOffline{Messages: []state.OfflineMessage{{Account: "bob", Target: "@bob a", Sender: "a", Entry: kept}}}); err != nil {
		t.Fatal(err)
	}
	if err := submit(t, s, state.RedactHistory{Targets: []string{"@bob a"}, Ord: kept.Ord, Account: "bob"}); err != nil {
		t.Fatal(err)
	}
	if res := query(t, s, all("@bob a")); len(res[0]) != 0 {
		t.Fatalf("@bob a still holds %q", texts(res[0]))
	}
	waiting := make(chan []*state.HistoryEntry, 1)
	s.QueryOffline("bob", func(list []*state.HistoryEntry, err error) {
		if err != nil {
			t.Error(err)
		}
		waiting <- list
	})
	if list := <-waiting; len(list) != 0 {
		t.Fatalf("still waiting for bob: %q", texts(list))
	}
	s.Close(true)
	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(false)
	if res := query(t, s, all("#c"), all("@a b")); len(res[0]) != 0 || !equal(texts(res[1]), "one", "three") {
		t.Fatalf("after a reopen: #c %q, @a b %q", texts(res[0]), texts(res[1]))
	}
}
