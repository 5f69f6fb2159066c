package web

import (
	"sync"
	"time"
)

// deadline is a settable point in time whose passing closes a channel,
// the way a net.Conn's read and write deadlines behave, for a transport
// that waits on channels rather than on a socket. One timer is reused for
// every setting, so moving the deadline (the reader does it for every
// line) allocates nothing until a deadline actually passes.
type deadline struct {
	mu     sync.Mutex
	at     time.Time
	timer  *time.Timer
	passed chan struct{} // closed once at has passed; replaced when it moves
	onPass func()        // called under mu when the deadline passes; may be nil
}

func newDeadline(onPass func()) *deadline {
	return &deadline{passed: make(chan struct{}), onPass: onPass}
}

// set moves the deadline; the zero time means none.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.at = t
	if isClosed(d.passed) {
		d.passed = make(chan struct{})
	}
	if t.IsZero() {
		if d.timer != nil {
			d.timer.Stop()
		}
		return
	}
	wait := time.Until(t)
	if wait <= 0 {
		d.pass()
		return
	}
	if d.timer == nil {
		d.timer = time.AfterFunc(wait, d.fire)
	} else {
		d.timer.Reset(wait)
	}
}

// fire runs when the timer goes off; a deadline moved later since it was
// armed has not passed yet (a later Reset is on its way).
func (d *deadline) fire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.at.IsZero() && !time.Now().Before(d.at) {
		d.pass()
	}
}

// pass closes the channel; called with mu held.
func (d *deadline) pass() {
	if !isClosed(d.passed) {
		close(d.passed)
		if d.onPass != nil {
			d.onPass()
		}
	}
}

// wait returns a channel closed once the deadline in force has passed.
func (d *deadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.passed
}

// stop releases the timer.
func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
