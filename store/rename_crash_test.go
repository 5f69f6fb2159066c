package store

import (
	"path/filepath"
	"testing"
	"time"

	"chatd/state"
)

// crash drops s as kill -9 would: nothing queued is committed.
func crash(s *Store) {
	s.closeReads()
	s.db.Close()
}

// runBatch does what Run does with the writes waiting: one batch.
func runBatch(t *testing.T, s *Store) {
	t.Helper()
	var batch []request
	for len(s.queue) > 0 {
		batch = append(batch, <-s.queue)
	}
	if len(batch) == 0 {
		t.Fatal("no write waiting")
	}
	s.commit(batch)
}

// A registered group's rename commits its record and its history under
// the new name in one transaction: a crash right after either of the
// commits Run may make (the rename's write; a history commit, whose timer
// fired first) finds the record and the history under the same name,
// and the other name with no history of the group. Reads between the
// rename and the commits see the history under the new name. The test
// plays Run's part (runBatch, commitHistory) so that it decides what
// commits before the crash.
func TestRenameCrashKeepsGroupAndHistoryTogether(t *testing.T) {
	ord := func(ms int64) uint64 { return state.TimeOrd(time.UnixMilli(ms)) }
	rename := state.RenameChannelWrite{Old: "#class", New: "#room", Name: "#room"}
	for _, tc := range []struct {
		name    string
		write   state.Write // the rename's write as submitted
		commits func(t *testing.T, s *Store)
		group   string   // registered after the crash
		kept    []string // its history after the crash
	}{
		// The lines queued commit with it.
		{"the write commits", rename, func(t *testing.T, s *Store) { runBatch(t, s) }, "#room", []string{"one", "two", "three", "four"}},
		{"a cluster node's write commits", state.Projected{Seq: 7, Write: rename}, func(t *testing.T, s *Store) { runBatch(t, s) }, "#room", []string{"one", "two", "three", "four"}},
		// "three" (recorded before the rename) commits under #class, to
		// move with the record; "four" (after it) waits for the record.
		{"a history commit only", rename, func(t *testing.T, s *Store) { s.commitHistory() }, "#class", []string{"one", "two", "three"}},
		{"a history commit, then the write", rename, func(t *testing.T, s *Store) { s.commitHistory(); runBatch(t, s) }, "#room", []string{"one", "two", "three", "four"}},
		{"nothing", rename, func(t *testing.T, s *Store) {}, "#class", []string{"one", "two"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "chatd.db")
			s, err := Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, wr := range []state.Write{
				state.CreateAccount{Account: testAccount("alice")},
				state.SaveChannel{Channel: state.ChannelRecord{Name: "#class", Owner: "alice", Registered: time.Unix(1700000100, 0)}},
			} {
				s.Submit(wr, nil)
			}
			runBatch(t, s)
			s.AppendHistory([]state.HistoryRow{
				{Target: "#class", Entry: chanEntry(1000, "#class", "one")},
				{Target: "#class", Entry: chanEntry(2000, "#class", "two")},
			})
			s.commitHistory()
			// What the world does on RENAME: hand over the rows so far,
			// rename them, submit the write; then the channel speaks on.
			s.AppendHistory([]state.HistoryRow{{Target: "#class", Entry: chanEntry(3000, "#class", "three")}})
			s.RenameTarget("#class", "#room", ord(3000), true)
			if !s.Submit(tc.write, nil) {
				t.Fatal("Submit refused")
			}
			s.AppendHistory([]state.HistoryRow{{Target: "#room", Entry: chanEntry(4000, "#room", "four")}})

			rg := func(target string) state.HistoryRange {
				return state.HistoryRange{Target: target, Hi: ^uint64(0), Limit: 10, MaxKind: state.KindEvent}
			}
			read := func(when string) {
				t.Helper()
				res := query(t, s, rg("#room"), rg("#class"))
				if !equal(texts(res[0]), "one", "two", "three", "four") || len(res[1]) != 0 {
					t.Errorf("%s: #room reads %q, #class %q", when, texts(res[0]), texts(res[1]))
				}
			}
			read("before any commit")
			tc.commits(t, s)
			read("after " + tc.name)
			crash(s)

			s, err = Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close(false)
			snap, err := s.Load()
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Channels) != 1 || snap.Channels[0].Name != tc.group {
				t.Fatalf("groups after the crash: %+v, want %s", snap.Channels, tc.group)
			}
			other := "#room"
			if tc.group == "#room" {
				other = "#class"
			}
			res := query(t, s, rg(tc.group), rg(other))
			if !equal(texts(res[0]), tc.kept...) || len(res[1]) != 0 {
				t.Errorf("after the crash the group %s has history %q (want %q), %s has %q", tc.group, texts(res[0]), tc.kept, other, texts(res[1]))
			}
		})
	}
}

// A held rename whose write cannot be queued is not left waiting: the
// next history commit applies it, and rows recorded after it commit.
func TestRenameHeldReleasedWhenQueueFull(t *testing.T) {
	s, err := Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(false)
	for s.Submit(state.DeliveredOffline{Account: "nobody"}, nil) {
	}
	s.AppendHistory([]state.HistoryRow{{Target: "#a", Entry: chanEntry(1000, "#a", "one")}})
	s.RenameTarget("#a", "#b", state.TimeOrd(time.UnixMilli(1000)), true)
	if s.Submit(state.RenameChannelWrite{Old: "#a", New: "#b", Name: "#b"}, nil) {
		t.Fatal("a full queue took the write")
	}
	s.AppendHistory([]state.HistoryRow{{Target: "#b", Entry: chanEntry(2000, "#b", "two")}})
	s.commitHistory()
	var n int
	if err := s.db.QueryRow(`SELECT coalesce(sum(n), 0) FROM history_chunks WHERE target = '#b'`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("#b has %d lines committed (%v), want both", n, err)
	}
	s.hist.mu.Lock()
	waiting := len(s.hist.renames) + len(s.hist.pending)
	s.hist.mu.Unlock()
	if waiting != 0 {
		t.Fatalf("%d renames and rows still waiting", waiting)
	}
}

// Two renames of a group in one batch (#a to #b to #c) and a rename whose
// write comes in the next batch (#c to #d): each batch commits the record
// and the history under the same name.
func TestRenameHeldChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chatd.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(false)
	s.Submit(state.CreateAccount{Account: testAccount("alice")}, nil)
	s.Submit(state.SaveChannel{Channel: state.ChannelRecord{Name: "#a", Owner: "alice", Registered: time.Unix(1700000100, 0)}}, nil)
	runBatch(t, s)
	s.AppendHistory([]state.HistoryRow{{Target: "#a", Entry: chanEntry(1000, "#a", "one")}})
	s.commitHistory()
	step := func(ms int64, from, to string) {
		s.AppendHistory([]state.HistoryRow{{Target: from, Entry: chanEntry(ms, from, "in "+from)}})
		s.RenameTarget(from, to, state.TimeOrd(time.UnixMilli(ms)), true)
		s.Submit(state.RenameChannelWrite{Old: from, New: to, Name: to}, nil)
	}
	step(2000, "#a", "#b")
	step(3000, "#b", "#c")
	runBatch(t, s)
	// check: the group's record and its committed rows are under group;
	// reads of reads (its name now) give lines.
	check := func(group, reads string, lines ...string) {
		t.Helper()
		snap, err := s.Load()
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		if err := func() error {
			rows, err := s.db.Query(`SELECT DISTINCT target FROM history_chunks ORDER BY target`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var k string
				if err := rows.Scan(&k); err != nil {
					return err
				}
				keys = append(keys, k)
			}
			return rows.Err()
		}(); err != nil {
			t.Fatal(err)
		}
		if len(snap.Channels) != 1 || snap.Channels[0].Name != group || !equal(keys, group) {
			t.Fatalf("group %+v, history committed under %q; want both %s", snap.Channels, keys, group)
		}
		res := query(t, s, state.HistoryRange{Target: reads, Hi: ^uint64(0), Limit: 10, MaxKind: state.KindEvent})
		if !equal(texts(res[0]), lines...) {
			t.Fatalf("%s reads %q", reads, texts(res[0]))
		}
	}
	check("#c", "#c", "one", "in #a", "in #b")
	step(4000, "#c", "#d")
	s.AppendHistory([]state.HistoryRow{{Target: "#d", Entry: chanEntry(5000, "#d", "in #d")}})
	// The line said in #c before the rename commits under #c; the one
	// said in #d waits for the record.
	s.commitHistory()
	check("#c", "#d", "one", "in #a", "in #b", "in #c", "in #d")
	runBatch(t, s)
	check("#d", "#d", "one", "in #a", "in #b", "in #c", "in #d")
}
