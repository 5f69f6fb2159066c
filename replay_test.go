package main

import (
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"chatd/commands"
	"chatd/conf"
	"chatd/state"
)

// Deterministic replay (the rule every node of a cluster relies on): a
// test daemon records every event its world applies, with its stamp, and
// the world it started from (a snapshot); checkReplay then builds the
// same world twice more from that recording, as a Replica that does no
// slow work and delivers nothing (like a cluster node for clients on
// other nodes): once straight through, once from a snapshot taken half
// way. All three must hold the same state, field by field (World.Dump),
// and the two replicas must give the same snapshot. Every transcript
// runs it at its end (TestTranscripts), so every behaviour a transcript
// covers is also checked to be a pure function of the log.

// recording is what a test daemon's world applied.
type recording struct {
	initial []byte          // the world before its first event
	events  []state.Stamped // appended on the state goroutine
}

// recordings finds the recording of a test daemon.
var recordings sync.Map // *daemon → *recording

// start returns the hook that snapshots the world and records its log.
func (r *recording) start(t testing.TB) func(*state.World) {
	return func(w *state.World) {
		snap, err := w.TakeSnapshot()
		if err != nil {
			t.Fatalf("snapshot of the new world: %v", err)
		}
		r.initial = snap
		w.Record(func(s state.Stamped) { r.events = append(r.events, s) })
	}
}

// checkReplay replays what d's world has applied so far into fresh
// worlds and compares them with it.
func checkReplay(t testing.TB, d *daemon) {
	t.Helper()
	v, ok := recordings.Load(d)
	if !ok {
		t.Fatal("checkReplay: the daemon has no recording")
	}
	rec := v.(*recording)
	var events []state.Stamped
	var live string
	if !d.world.Call(func(w *state.World) {
		events = slices.Clone(rec.events)
		live = w.Dump()
	}) {
		t.Fatal("checkReplay: the world has stopped")
	}
	results := 0
	for _, ev := range events {
		if _, ok := ev.Event.(state.Result); ok {
			results++
		}
	}
	t.Logf("replay: %d events, %d of them results of slow work", len(events), results)
	replica := newReplica(t, rec.initial)
	var restored *state.World
	for i, ev := range events {
		replica.Replay(ev)
		switch {
		case restored != nil:
			restored.Replay(ev)
		case i >= len(events)/2 && replica.Quiescent():
			snap, err := replica.TakeSnapshot()
			if err != nil {
				t.Fatalf("snapshot after event %d: %v", i+1, err)
			}
			restored = newReplica(t, snap)
		}
	}
	if got := replica.Dump(); got != live {
		t.Fatalf("replaying %d events gives another world than the live one:\n%s", len(events), dumpDiff(live, got))
	}
	if restored == nil {
		t.Logf("replay: %d events, never quiescent after half way: no snapshot restored", len(events))
		return
	}
	if got := restored.Dump(); got != live {
		t.Fatalf("a world restored from a snapshot half way differs from the live one:\n%s", dumpDiff(live, got))
	}
	if replica.Quiescent() {
		a, errA := replica.TakeSnapshot()
		b, errB := restored.TakeSnapshot()
		if errA != nil || errB != nil || string(a) != string(b) {
			t.Fatalf("replicas give different snapshots (%v, %v)", errA, errB)
		}
	}
}

// newReplica builds a world from a snapshot that replays a log.
func newReplica(t testing.TB, snapshot []byte) *state.World {
	t.Helper()
	w := state.New(conf.Default(), commands.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	cheapPasswords(w)
	w.SetMode(state.Replica, nil)
	if _, err := w.RestoreSnapshot(snapshot); err != nil {
		t.Fatal(err)
	}
	return w
}

// dumpDiff shows the lines of two dumps that differ.
func dumpDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	in := map[string]int{}
	for _, l := range gl {
		in[l]++
	}
	var out []string
	for _, l := range wl {
		if in[l] > 0 {
			in[l]--
			continue
		}
		out = append(out, "live:   "+l)
	}
	for _, l := range gl {
		if in[l] > 0 {
			out = append(out, "replay: "+l)
			in[l]--
		}
	}
	if len(out) > 60 {
		out = append(out[:60], "...")
	}
	return strings.Join(out, "\n")
}
