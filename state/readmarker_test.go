package state

import (
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"chatd/conf"
)

// A channel rename moves the read markers of that channel only: the
// accounts' and the sessions' that have one, the later one kept where
// the new name had one too; nobody else's change.
func TestRenameMovesMarkers(t *testing.T) {
	w := New(conf.Default(), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t1, t2, t3 := time.Unix(100, 0), time.Unix(200, 0), time.Unix(300, 0)
	w.LoadReadMarkers(map[string]map[string]time.Time{
		"alice": {"#old": t2, "bob": t1},
		"bob":   {"#old": t2, "#new": t3},
		"carol": {"#new": t1, "#old": t3},
		"dave":  {"#other": t1},
	})
	sess := &Client{ID: 7}
	w.MoveReadMarker(sess, "#Old", t1)
	if !w.renameMarkers("#old", "#new") {
		t.Fatal("accounts had markers of #old: the store must be told")
	}
	want := map[string]map[string]time.Time{
		"alice": {"#new": t2, "bob": t1},
		"bob":   {"#new": t3},
		"carol": {"#new": t3},
		"dave":  {"#other": t1},
	}
	for acct, m := range want {
		got := w.history.markers[acct]
		if len(got) != len(m) {
			t.Fatalf("%s's markers are %v, want %v", acct, got, m)
		}
		for k, v := range m {
			if !got[k].Equal(v) {
				t.Fatalf("%s's markers are %v, want %v", acct, got, m)
			}
		}
	}
	if at, ok := w.ReadMarker(sess, "#new"); !ok || !at.Equal(t1) {
		t.Fatalf("the session's marker did not move: %v %v", at, ok)
	}
	if _, ok := w.ReadMarker(sess, "#old"); ok {
		t.Fatal("the session still has a marker of #old")
	}
	// Back again, and the session leaves: nothing of it is left.
	w.renameMarkers("#new", "#old")
	w.forgetSessionMarkers(sess)
	if w.renameMarkers("#old", "#new") != true || len(w.history.sessionMarkers) != 0 {
		t.Fatalf("after the session left: %v", w.history.sessionMarkers)
	}
	if w.renameMarkers("#gone", "#new2") {
		t.Fatal("nobody has a marker of #gone")
	}
}

// The work of a rename's marker move does not grow with the number of
// accounts that have markers of other targets (a RENAME is one line of
// one client: doc/architecture.md, Bounded work per line). Compared as
// a ratio of the fastest of several runs, which a loop over every
// account (thousands of times slower here) cannot meet on any machine.
func TestRenameMarkersCostIndependentOfAccounts(t *testing.T) {
	fastest := func(accounts int) time.Duration {
		w := New(conf.Default(), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
		m := make(map[string]map[string]time.Time, accounts+1)
		for i := range accounts {
			m["a"+strconv.Itoa(i)] = map[string]time.Time{"#other": time.Unix(1, 0)}
		}
		m["op"] = map[string]time.Time{"#x": time.Unix(1, 0)}
		w.LoadReadMarkers(m)
		best := time.Hour
		names := [2]string{"#x", "#y"}
		for i := range 21 {
			start := time.Now()
			w.renameMarkers(names[i%2], names[(i+1)%2])
			best = min(best, time.Since(start))
		}
		return max(best, time.Microsecond)
	}
	small, big := fastest(1), fastest(200000)
	if big > 50*small {
		t.Fatalf("moving one channel's markers took %v with 200,000 accounts holding markers and %v with one: it visits every account", big, small)
	}
}
