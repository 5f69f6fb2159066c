package ircd

import (
	"time"

	"chatd/state"
)

// Push-back: a client that sends faster than the recipients of its lines
// read is not read from until they have caught up, so TCP pushes back on
// it instead of their send queues overflowing.
//
//   - The state goroutine, queueing a line for a congested recipient while
//     it handles a client's line, calls that client's WaitFor (never
//     blocks): the reader is added to the recipient queue's waiters.
//   - A reader reads nothing while it waits for any queue (conn.pausedOn),
//     or while two of its markers are still in the inbox (conn.marks): one
//     client cannot fill the shared inbox, and one whose recipients became
//     congested is stopped within a few KiB of lines.
//   - A queue lets its waiters go when the writer brings it under the soft
//     mark, or when it closes; a congested queue whose writer makes no
//     progress for the stall timeout is closed (sendq.go), so a client that
//     stopped reading holds nobody for long.

// WaitFor pauses the reader until other's queue has drained below its
// soft mark or other is closed. Called by the state goroutine; never
// blocks.
func (c *conn) WaitFor(other state.Outbox) {
	if o, ok := other.(*conn); ok && o != c {
		o.addWaiter(c)
	}
}

// wake tells a paused reader to look again.
func (c *conn) wake() {
	select {
	case c.wakeCh <- struct{}{}:
	default:
	}
}

// paused reports whether the reader must not read: recipients of the
// client's lines are congested, or too many of its lines are in flight.
func (c *conn) paused() bool {
	return c.pausedOn.Load() > 0 || c.marks.Load() >= maxMarks
}

const (
	// A reader submits a marker after linesPerMark lines, or after
	// markBytesFor(sendq_bytes) bytes of lines, whichever comes first.
	linesPerMark = 64
	// maxMarks markers in flight, that is at most maxMarks*linesPerMark
	// lines or about maxMarks*markBytesFor(sendq_bytes) bytes waiting for
	// the state goroutine, stop a reader: one client cannot fill the
	// shared inbox, and one whose recipients have become congested is
	// stopped within that much (an eighth of sendq_bytes at most, and the
	// lines' prefixes), well inside the half of sendq_bytes between the
	// soft mark and the limit. A smaller window costs a fast sender
	// throughput: its reader would wait for the state goroutine too often.
	// The window must stay well inside what a held client may have waiting
	// (state.maxHeldEvents, 256), as markers wait with its lines.
	maxMarks = 2
)

// markBytesFor is how many bytes of lines a reader submits between
// markers: a sixteenth of sendq_bytes, within 2-32 KiB.
func markBytesFor(sendq int) int { return min(max(sendq/16, 2<<10), 32<<10) }

// addWaiter pauses c's reader until q drains, if q is congested and open.
func (q *sendQueue) addWaiter(c *conn) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.congested.Load() || q.closing {
		return
	}
	if _, ok := q.waiters[c]; ok {
		return
	}
	if q.waiters == nil {
		q.waiters = make(map[*conn]struct{})
	}
	q.waiters[c] = struct{}{}
	c.pausedOn.Add(1)
}

// releaseWaiters lets every paused reader go; called with mu held.
func (q *sendQueue) releaseWaiters() {
	for c := range q.waiters {
		if c.pausedOn.Add(-1) == 0 {
			c.wake()
		}
	}
	clear(q.waiters)
}

// submit hands a line to the state goroutine, and after every
// linesPerMark lines (or markBytesFor bytes) a marker that tells the
// reader, once the state goroutine reaches it, that those lines have left
// the inbox.
func (r *reader) submit(in inbound) {
	c := r.c
	c.submit(in)
	r.sinceMark++
	r.markBytes += in.size
	if r.sinceMark < linesPerMark && r.markBytes < markBytesFor(r.cfg.Limits.SendQBytes) {
		return
	}
	r.sinceMark, r.markBytes = 0, 0
	c.marks.Add(1)
	// The marker is the client's own event: while the client is held (a
	// slow check, a long reply in slices) it waits with the client's
	// lines, so the reader stops instead of the lines piling up.
	if !c.srv.world.Marker(c.id, func() {
		if c.marks.Add(-1) < maxMarks {
			c.wake()
		}
	}) {
		c.marks.Add(-1) // the world has stopped; nothing to wait for
	}
}

// waitWhilePaused reads nothing while the connection is paused (see
// conn.paused), so that TCP pushes back on the client. Lines already
// read stay buffered; nothing is lost. The time spent here does not count
// against the client's keepalive.
func (r *reader) waitWhilePaused() {
	c := r.c
	if !c.paused() {
		return
	}
	start := time.Now()
	for c.paused() && !c.isClosing() {
		<-c.wakeCh
	}
	r.keepalive = r.keepalive.Add(time.Since(start))
}
