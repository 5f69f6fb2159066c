package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"chatd/state"
)

// Retention deletes what is older than it, a batch of chunks at a time,
// and a target past its cap loses its oldest chunks (so it keeps at most
// the cap, and less by under a chunk).
func TestPurgeRetentionAndCap(t *testing.T) {
	s, err := Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(false)
	now := time.UnixMilli(1_700_000_000_000)
	s.SetClock(func() time.Time { return now })
	s.SetHistoryRetention(time.Hour)
	s.SetHistoryLimits(700, time.Hour)
	var rows []state.HistoryRow
	for i := range 1000 { // #old: 1000 rows two hours old
		rows = append(rows, state.HistoryRow{Target: "#old", Entry: histEntry(now.Add(-2*time.Hour).UnixMilli(), uint64(i), state.KindMessage, "old")})
	}
	for i := range 1000 { // #new: 1000 fresh rows, over the cap of 700
		rows = append(rows, state.HistoryRow{Target: "#new", Entry: histEntry(now.Add(-time.Minute).UnixMilli(), uint64(i), state.KindMessage, "new")})
	}
	s.AppendHistory(rows)
	s.commitHistory()
	steps, total := 0, 0
	for {
		n, more, err := s.PurgeOnce()
		if err != nil {
			t.Fatal(err)
		}
		if n > purgeBatch*maxChunkEntries {
			t.Fatalf("one step deleted %d entries, more than a batch of chunks (%d)", n, purgeBatch*maxChunkEntries)
		}
		total += n
		steps++
		if !more {
			break
		}
		if steps > 100 {
			t.Fatal("purging does not end")
		}
	}
	count := func(target string) (n int) {
		s.db.QueryRow(`SELECT coalesce(sum(n), 0) FROM history_chunks WHERE target = ?`, target).Scan(&n)
		return n
	}
	if old, fresh := count("#old"), count("#new"); old != 0 || fresh > 700 || fresh <= 700-maxChunkEntries || total != 2000-fresh {
		t.Fatalf("after purging: #old %d entries, #new %d (want 0, and at most 700 but not a chunk less); %d deleted in %d steps", old, fresh, total, steps)
	}
	var targets int
	s.db.QueryRow(`SELECT count(*) FROM history_targets`).Scan(&targets)
	if targets != 1 {
		t.Fatalf("%d targets left, want 1 (#old had nothing left)", targets)
	}
}

// TestHistoryDoesNotGrow is a long synthetic run: 30 simulated days of
// traffic in 20 channels (100 messages an hour, 72,000 in all) into a real
// file, with a retention of one day and Run's purge steps in between. The
// file reaches its size within the first days and stays there: freed
// pages are reused, and the rows alive never exceed a day's worth.
func TestHistoryDoesNotGrow(t *testing.T) {
	if testing.Short() {
		t.Skip("a simulated month of traffic")
	}
	path := filepath.Join(t.TempDir(), "chatd.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(false)
	now := time.UnixMilli(1_700_000_000_000)
	s.SetClock(func() time.Time { return now })
	s.SetHistoryRetention(24 * time.Hour)
	var pages []int
	n := uint64(0)
	for day := range 30 {
		for range 24 {
			var rows []state.HistoryRow
			for i := range 100 {
				n++
				rows = append(rows, state.HistoryRow{
					Target: fmt.Sprintf("#c%d", i%20),
					Entry:  histEntry(now.UnixMilli(), n%1000, state.KindMessage, fmt.Sprintf("message %d of a simulated month, long enough to be like chat", n)),
				})
			}
			s.AppendHistory(rows)
			s.commitHistory()
			for {
				_, more, err := s.PurgeOnce()
				if err != nil {
					t.Fatal(err)
				}
				if !more {
					break
				}
			}
			now = now.Add(time.Hour)
		}
		p, err := s.PageCount()
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
		_ = day
	}
	var alive int
	s.db.QueryRow(`SELECT coalesce(sum(n), 0) FROM history_chunks`).Scan(&alive)
	t.Logf("pages per day: %v; rows alive at the end: %d", pages, alive)
	if alive > 25*100 {
		t.Fatalf("%d rows alive, more than a day and an hour's worth", alive)
	}
	if last, settled := pages[len(pages)-1], pages[3]; last > settled*11/10+8 {
		t.Fatalf("the file grew from %d pages on day 4 to %d on day 30", settled, last)
	}
}
