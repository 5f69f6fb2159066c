package state

import (
	"testing"
	"time"
)

// TestCancelTimerStopsIt: a cancelled timer is stopped on its node, so
// that it sends no empty Result through the log when its time comes; a
// timer that fires is forgotten too.
func TestCancelTimerStopsIt(t *testing.T) {
	bw := newBatchWorld(t)
	w, c := bw.w, bw.c
	key := w.Timer(c, time.Hour, func(*World) { t.Error("a cancelled timer ran") })
	timer := w.localTimers[key]
	if timer == nil {
		t.Fatal("the node keeps no handle on the timer it started")
	}
	w.CancelTimer(key)
	if timer.Stop() {
		t.Fatal("CancelTimer left the timer running")
	}
	if len(w.localTimers) != 0 || len(w.conts) != 0 {
		t.Fatalf("after CancelTimer: %d timers, %d continuations kept", len(w.localTimers), len(w.conts))
	}

	ran := false
	key = w.Timer(c, time.Hour, func(*World) { ran = true })
	w.apply(Result{Key: key, Data: []byte{}}) // as when it fires
	if !ran || len(w.localTimers) != 0 {
		t.Fatalf("a timer that fired: ran %v, %d timers kept", ran, len(w.localTimers))
	}
}
