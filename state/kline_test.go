package state

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"chatd/conf"
)

// snapshotStore keeps the snapshots it is handed.
type snapshotStore struct{ got []KlineSnapshot }

func (s *snapshotStore) Save(snapshot KlineSnapshot) { s.got = append(s.got, snapshot) }

func klineWorld(t testing.TB, n int) *World {
	t.Helper()
	w := New(conf.Default(), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var list []Kline
	for i := range n {
		list = append(list, Kline{Mask: fmt.Sprintf("*!*@10.%d.%d.%d", i>>16&255, i>>8&255, i&255), Reason: "spam", SetBy: "op", SetAt: time.Unix(0, 0)})
	}
	w.LoadKlines(list)
	return w
}

// TestAddKlineCostIndependentOfCount: adding and lifting a K-line with
// 10,000 in force allocates a few dozen objects, not a re-encoding of the
// list (which took 40,000), and saving hands over a snapshot.
func TestAddKlineCostIndependentOfCount(t *testing.T) {
	w := klineWorld(t, 10000)
	store := &snapshotStore{}
	w.SetKlineStore(store)
	k := Kline{Mask: "*!*@192.0.2.1", Reason: "x", SetBy: "op"}
	allocs := testing.AllocsPerRun(100, func() {
		w.AddKline(k)
		w.RemoveKline(k.Mask)
		store.got = store.got[:0]
	})
	if allocs > 100 {
		t.Fatalf("AddKline+RemoveKline with 10,000 K-lines: %.0f allocations, want O(log n) (at most 100)", allocs)
	}
}

// TestKlineSnapshotIsFrozen: a snapshot does not see later changes, and
// encodes oldest first without expired entries.
func TestKlineSnapshotIsFrozen(t *testing.T) {
	w := klineWorld(t, 0)
	store := &snapshotStore{}
	w.SetKlineStore(store)
	at := func(s int) time.Time { return time.Unix(1000+int64(s), 0) }
	w.AddKline(Kline{Mask: "b!*@*", Reason: "b", SetAt: at(1)})
	w.AddKline(Kline{Mask: "a!*@*", Reason: "a", SetAt: at(2)})
	w.AddKline(Kline{Mask: "old!*@*", Reason: "old", SetAt: at(3), Expires: time.Unix(1, 0)})
	w.RemoveKline("B!*@*") // casemapping-aware
	w.AddKline(Kline{Mask: "c!*@*", Reason: "c", SetAt: at(0)})
	if len(store.got) != 5 {
		t.Fatalf("%d saves, want one per change (5)", len(store.got))
	}
	masks := func(s KlineSnapshot) string {
		data, err := s.Encode(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		list, err := DecodeKlines(data)
		if err != nil {
			t.Fatal(err)
		}
		var m []string
		for _, k := range list {
			m = append(m, k.Mask)
		}
		return strings.Join(m, " ")
	}
	for i, want := range []string{"b!*@*", "b!*@* a!*@*", "b!*@* a!*@*", "a!*@*", "c!*@* a!*@*"} {
		if got := masks(store.got[i]); got != want {
			t.Errorf("snapshot %d: %q, want %q", i, got, want)
		}
	}
}

// TestEachKlineFromCursor: a listing, oldest first, goes on after the
// last one shown, even if K-lines were added and lifted in between;
// expired K-lines are skipped and dropped.
func TestEachKlineFromCursor(t *testing.T) {
	w := klineWorld(t, 0)
	same := time.Unix(2000, 0)
	for i, m := range []string{"d!*@*", "a!*@*", "c!*@*"} {
		w.AddKline(Kline{Mask: m, SetAt: time.Unix(1000+int64(i), 0)})
	}
	w.AddKline(Kline{Mask: "f!*@*", SetAt: same})
	w.AddKline(Kline{Mask: "e!*@*", SetAt: same}) // a tie: by mask
	w.AddKline(Kline{Mask: "bb!*@*", SetAt: time.Unix(1500, 0), Expires: time.Unix(1, 0)})
	var got []string
	var next KlineCursor
	w.EachKline(KlineCursor{}, func(k *Kline, at KlineCursor) bool {
		got, next = append(got, k.Mask), at
		return len(got) < 2
	})
	w.RemoveKline("d!*@*")
	w.AddKline(Kline{Mask: "g!*@*", SetAt: time.Unix(3000, 0)})
	w.EachKline(next, func(k *Kline, _ KlineCursor) bool { got = append(got, k.Mask); return true })
	if s := strings.Join(got, " "); s != "d!*@* a!*@* c!*@* e!*@* f!*@* g!*@*" {
		t.Fatalf("listing in two slices: %q", s)
	}
	if w.KlineCount() != 5 {
		t.Fatalf("%d K-lines kept; the expired one should have been dropped", w.KlineCount())
	}
}

// TestKlineCandidates: a client is tried against the K-lines filed under
// its host, a prefix of it, or its nick, and those with wildcards in both;
// not against the thousands of others.
func TestKlineCandidates(t *testing.T) {
	w := klineWorld(t, 5000)
	for _, m := range []string{"*!*@192.0.2.7", "x!y@192.0.2.7", "*!*@192.0.2.*", "*!*@192.0.*", "*!*@192.1.*", "Spammer!*@*", "*!*@*.example", "sp?mmer!*@*", "*!*@192.0.2.8"} {
		w.AddKline(Kline{Mask: m})
	}
	var got []string
	w.KlineCandidates("SPAMMER", "192.0.2.7", func(k *Kline) bool { got = append(got, k.Mask); return true })
	want := "*!*@*.example *!*@192.0.* *!*@192.0.2.* *!*@192.0.2.7 sp?mmer!*@* Spammer!*@* x!y@192.0.2.7" // folded mask order
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("candidates:\n  got  %q\n  want %q", s, want)
	}
	w.RemoveKline("*!*@192.0.2.*")
	w.RemoveKline("spammer!*@*")
	got = nil
	w.KlineCandidates("spammer", "192.0.2.7", func(k *Kline) bool { got = append(got, k.Mask); return true })
	if s := strings.Join(got, " "); s != "*!*@*.example *!*@192.0.* *!*@192.0.2.7 sp?mmer!*@* x!y@192.0.2.7" {
		t.Fatalf("after removals: %q", s)
	}
}

// BenchmarkAddKline: adding (and lifting) one K-line with 10,000 in force
// and a K-line file to hand the list to (before the B-tree: 33 ms and
// 40,000 allocations per pair, two JSON encodings of the list).
func BenchmarkAddKline(b *testing.B) {
	w := klineWorld(b, 10000)
	w.SetKlineStore(&snapshotStore{})
	k := Kline{Mask: "*!*@192.0.2.1", Reason: "x", SetBy: "op"}
	b.ReportAllocs()
	for b.Loop() {
		w.AddKline(k)
		w.RemoveKline(k.Mask)
	}
}
