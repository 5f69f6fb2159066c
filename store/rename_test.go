package store

import (
	"path/filepath"
	"testing"
	"time"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// chanEntry is a line recorded in channel ch at ms.
func chanEntry(ms int64, ch, text string) *state.HistoryEntry {
	e := histEntry(ms, 0, state.KindMessage, text)
	e.Msg.Params[0] = ch
	return e
}

// A rename moves a channel's rows, committed and queued, to the new key:
// reads of the new name see them all at once (before the commit that
// moves them, and after it and a reopen), reads of the old name see only
// what a channel that took the old name afterwards recorded. A chunk of
// the new key that ends at the same entry as one of the old (a QUIT seen
// in both channels) is merged with it; the totals follow.
func TestRenameTargetMovesHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chatd.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	quit := &state.HistoryEntry{Ord: state.TimeOrd(time.UnixMilli(2500)), Kind: state.KindEvent,
		Msg: &irc.Message{Prefix: &irc.Prefix{Name: "q", User: "u", Host: "h"}, Command: "QUIT", Params: []string{"bye"}}}
	// Committed: two lines of #old; one of an earlier #new; the QUIT in both.
	s.AppendHistory([]state.HistoryRow{
		{Target: "#old", Entry: chanEntry(1000, "#old", "old one")},
		{Target: "#new", Entry: chanEntry(1500, "#new", "earlier new")},
		{Target: "#old", Entry: chanEntry(2000, "#old", "old two")},
		{Target: "#old", Entry: quit},
		{Target: "#new", Entry: quit},
	})
	s.commitHistory()
	// Queued: one more line of #old; then the rename; then a channel that
	// took the name #old speaks.
	s.AppendHistory([]state.HistoryRow{{Target: "#old", Entry: chanEntry(3000, "#old", "old three")}})
	s.RenameTarget("#old", "#new", state.TimeOrd(time.UnixMilli(3000)), false)
	s.AppendHistory([]state.HistoryRow{{Target: "#old", Entry: chanEntry(4000, "#old", "another old")}})

	all := func(target string, kind state.HistoryKind) state.HistoryRange {
		return state.HistoryRange{Target: target, Hi: ^uint64(0), Limit: 10, MaxKind: kind}
	}
	newest := all("#new", state.KindMessage)
	newest.Limit, newest.FromEnd = 2, true
	check := func(when string) {
		t.Helper()
		res := query(t, s, all("#new", state.KindEvent), all("#old", state.KindEvent), newest, all("#old", state.KindMessage))
		if !equal(texts(res[0]), "old one", "earlier new", "old two", "bye", "old three") {
			t.Errorf("%s: #new has %q", when, texts(res[0]))
		}
		if !equal(texts(res[1]), "another old") || !equal(texts(res[3]), "another old") {
			t.Errorf("%s: #old has %q and %q", when, texts(res[1]), texts(res[3]))
		}
		if !equal(texts(res[2]), "old two", "old three") {
			t.Errorf("%s: #new's newest two: %q", when, texts(res[2]))
		}
		got := make(chan []state.HistoryTarget, 1)
		s.QueryTargets([]string{"#new", "#old"}, "", 0, ^uint64(0), func(list []state.HistoryTarget, err error) {
			if err != nil {
				t.Error(err)
			}
			got <- list
		})
		list := <-got
		if len(list) != 2 || list[0].Target != "#new" || list[0].Last != state.TimeOrd(time.UnixMilli(3000)) ||
			list[1].Target != "#old" || list[1].Last != state.TimeOrd(time.UnixMilli(4000)) {
			t.Errorf("%s: targets %+v", when, list)
		}
	}
	check("before the commit")
	s.commitHistory()
	check("after the commit")
	s.Close(false)

	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(false)
	check("after reopening")
	_, stored, err := s.HistoryStart()
	if err != nil {
		t.Fatal(err)
	}
	if stored["#new"] != state.TimeOrd(time.UnixMilli(3000)) || stored["#old"] != state.TimeOrd(time.UnixMilli(4000)) {
		t.Errorf("stored after the rename: %v", stored)
	}
	var rows int
	if err := s.db.QueryRow(`SELECT rows FROM history_targets WHERE target = '#new'`).Scan(&rows); err != nil || rows != 5 {
		t.Errorf("#new counts %d rows (%v), want 5 (the QUIT that was in both once)", rows, err)
	}
	if err := s.db.QueryRow(`SELECT sum(n) FROM history_chunks WHERE target = '#new'`).Scan(&rows); err != nil || rows != 5 {
		t.Errorf("#new's chunks hold %d entries (%v), want 5", rows, err)
	}
	var chunks int
	if err := s.db.QueryRow(`SELECT count(*) FROM history_chunks WHERE target = '#old'`).Scan(&chunks); err != nil || chunks != 1 {
		t.Errorf("#old keeps %d chunks (%v), want the newer channel's one", chunks, err)
	}
}

// A channel renamed twice before a commit ends with all its rows under
// its last name, the middle name keeping none of them.
func TestRenameTargetTwiceBeforeCommit(t *testing.T) {
	s, err := Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(false)
	s.AppendHistory([]state.HistoryRow{{Target: "#a", Entry: chanEntry(1000, "#a", "one")}})
	s.commitHistory()
	s.AppendHistory([]state.HistoryRow{{Target: "#a", Entry: chanEntry(2000, "#a", "two")}})
	s.RenameTarget("#a", "#b", state.TimeOrd(time.UnixMilli(2000)), false)
	s.AppendHistory([]state.HistoryRow{{Target: "#b", Entry: chanEntry(3000, "#b", "three")}})
	s.RenameTarget("#b", "#c", state.TimeOrd(time.UnixMilli(3000)), false)
	rg := func(target string) state.HistoryRange {
		return state.HistoryRange{Target: target, Hi: ^uint64(0), Limit: 10, MaxKind: state.KindEvent}
	}
	for _, when := range []string{"before the commit", "after it"} {
		res := query(t, s, rg("#a"), rg("#b"), rg("#c"))
		if len(res[0])+len(res[1]) != 0 || !equal(texts(res[2]), "one", "two", "three") {
			t.Errorf("%s: #a %q, #b %q, #c %q", when, texts(res[0]), texts(res[1]), texts(res[2]))
		}
		s.commitHistory()
	}
}

// A registered group's record and the accounts' read markers follow a
// rename into the store, across a reopen; a change of case renames the
// record only.
func TestRenameChannelWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chatd.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	go s.Run()
	at := time.UnixMilli(1_700_000_000_000)
	for _, wr := range []state.Write{
		state.CreateAccount{Account: testAccount("alice")},
		state.CreateAccount{Account: testAccount("bob")},
		state.SaveChannel{Channel: state.ChannelRecord{Name: "#Class", Owner: "alice", Access: map[string]string{"bob": "op"}, Registered: time.Unix(1700000100, 0), Topic: "maths"}},
		state.SetReadMarker{Account: "alice", Target: "#class", Time: at},
		state.SetReadMarker{Account: "bob", Target: "#class", Time: at},
		state.SetReadMarker{Account: "bob", Target: "#room", Time: at.Add(time.Second)},
		state.RenameChannelWrite{Old: "#class", New: "#room", Name: "#Room"},
		state.RenameChannelWrite{Old: "#room", New: "#room", Name: "#ROOM"},
	} {
		if err := submit(t, s, wr); err != nil {
			t.Fatalf("%T: %v", wr, err)
		}
	}
	s.Close(true)
	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(false)
	snap, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Channels) != 1 || snap.Channels[0].Name != "#ROOM" || snap.Channels[0].Owner != "alice" ||
		snap.Channels[0].Access["bob"] != "op" || snap.Channels[0].Topic != "maths" {
		t.Fatalf("groups after the rename: %+v", snap.Channels)
	}
	markers, err := s.ReadMarkers()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := markers["alice"]["#class"]; ok || !markers["alice"]["#room"].Equal(at) || !markers["bob"]["#room"].Equal(at.Add(time.Second)) || len(markers["bob"]) != 1 {
		t.Fatalf("read markers after the rename: %v", markers)
	}
}
