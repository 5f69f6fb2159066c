package state

import "time"

// Now is the time of the event being handled. The state goroutine stamps
// each event when it takes it (World.handle), so that everything one
// event does sees one time and handlers never read the wall clock
// themselves. Before the first event it is the clock's time.
func (w *World) Now() time.Time {
	if w.now.IsZero() {
		return w.clock()
	}
	return w.now
}

// SetClock replaces the wall clock that stamps events, for tests that need
// time to pass (channel ages, topic ages). Call it before Run.
func (w *World) SetClock(now func() time.Time) { w.clock = now }
