package ircd

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// sendQueue is a connection's outgoing lines. Enqueue never blocks: it
// appends under a short lock. Flush starts a writer goroutine if none is
// running; the writer drains everything queued, a buffer-full per write,
// and exits when the queue is empty, so an idle connection has no writer.
//
// The queue counts every byte not yet written to the socket, the batch
// the writer holds included, against the hard limit (sendq_bytes): past
// it Enqueue fails and the client is dropped. Past the soft mark (half of
// it) the queue is congested: the state goroutine then stops reading the
// clients whose lines fill it (WaitFor) until the writer has brought it
// back under the mark. A congested queue whose writer makes no progress
// for the stall timeout is closed (SendQ exceeded), which lets those
// senders go as well.
type sendQueue struct {
	t            Transport
	stats        *Stats        // bytes out, drops; nil in some tests
	limits       *queueLimits  // shared by every connection; REHASH updates it
	writeTimeout time.Duration // how long one write may take when not congested
	flushTimeout time.Duration // how long Close waits for queued lines
	onClosed     func()        // called once, after the socket is closed
	onClosing    func()        // called (with mu held) when closing starts; must not block

	congested atomic.Bool // bytes past the soft mark; read without mu

	mu      sync.Mutex
	lines   [][]byte
	spare   [][]byte
	bytes   int // queued and not yet written, the writer's batch included
	writing bool
	closing bool
	closed  bool
	failure string // why the writer gave up, for the QUIT reason
	dropped bool   // counted in Stats.sendqDrops
	// progressAt is when the running writer last made progress: took a
	// batch or finished a write.
	progressAt time.Time
	waiters    map[*conn]struct{} // readers paused until this queue drains
	drained    []drainWaiter      // WhenDrained calls waiting
}

// drainWaiter is a WhenDrained call waiting for the queue to shrink.
type drainWaiter struct {
	n  int
	fn func()
}

// queueLimits are the send queue settings in force, shared by every
// connection so that a REHASH reaches existing ones too.
type queueLimits struct {
	hard  atomic.Int64 // sendq_bytes
	stall atomic.Int64 // time.Duration a congested queue may go without progress
}

// softMark is the congestion threshold for a hard limit.
func softMark(hard int) int { return hard / 2 }

// DefaultStallTimeout is how long a congested queue may make no progress
// before its client is dropped: long enough for a reader on a poor link
// to catch up, short enough that the senders waiting on it are not held
// for long.
const DefaultStallTimeout = 5 * time.Second

// Enqueue queues line. It returns false, queueing nothing, when the bytes
// not yet written plus this line would pass the limit.
func (q *sendQueue) Enqueue(line []byte) bool {
	q.mu.Lock()
	if q.closing {
		q.mu.Unlock()
		return true
	}
	hard := int(q.limits.hard.Load())
	if q.bytes+len(line) > hard {
		if !q.dropped && q.stats != nil {
			q.stats.sendqDrops.Add(1)
		}
		q.dropped = true
		q.mu.Unlock()
		return false
	}
	q.lines = append(q.lines, line)
	q.bytes += len(line)
	if q.bytes > softMark(hard) && !q.congested.Load() {
		q.congested.Store(true)
		// From now on the writer must keep making progress, counted from
		// its last progress: a client that stopped reading a while ago is
		// not given a fresh stall timeout each time its queue crosses the
		// mark. Under mu, as the writer and Close set deadlines under mu.
		at := q.progressAt
		if !q.writing || at.IsZero() {
			at = time.Now()
		}
		_ = q.t.SetWriteDeadline(at.Add(q.stallTimeout()))
	}
	q.mu.Unlock()
	return true
}

// Queued reports the bytes not yet written, the batch being written
// included.
func (q *sendQueue) Queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes
}

// WhenDrained calls fn once the queue holds at most n bytes, or the
// connection has closed; at once if either is already so.
func (q *sendQueue) WhenDrained(n int, fn func()) {
	q.mu.Lock()
	if q.closed || q.bytes <= n {
		q.mu.Unlock()
		fn()
		return
	}
	q.drained = append(q.drained, drainWaiter{n: n, fn: fn})
	q.mu.Unlock()
}

// takeDrained removes the waiters whose mark the queue has reached; called
// with mu held. The caller runs them after unlocking.
func (q *sendQueue) takeDrained() []drainWaiter {
	if len(q.drained) == 0 {
		return nil
	}
	var ready []drainWaiter
	keep := q.drained[:0]
	for _, d := range q.drained {
		if q.bytes <= d.n {
			ready = append(ready, d)
		} else {
			keep = append(keep, d)
		}
	}
	clear(q.drained[len(keep):])
	q.drained = keep
	return ready
}

func runDrained(ready []drainWaiter) {
	for _, d := range ready {
		d.fn()
	}
}

// Congested reports whether the queue is past its soft mark.
func (q *sendQueue) Congested() bool { return q.congested.Load() }

func (q *sendQueue) stallTimeout() time.Duration { return time.Duration(q.limits.stall.Load()) }

// Flush starts a writer for what is queued, unless one is running (it
// will pick the new lines up before it exits).
func (q *sendQueue) Flush() {
	q.mu.Lock()
	if len(q.lines) > 0 && !q.writing && !q.closing {
		q.writing = true
		go q.writeLoop()
	}
	q.mu.Unlock()
}

// Close flushes what is queued, within flushTimeout, then closes the socket.
func (q *sendQueue) Close() {
	q.mu.Lock()
	if q.closing {
		q.mu.Unlock()
		return
	}
	q.closing = true
	q.releaseWaiters() // nobody waits for a client that is leaving
	q.onClosing()
	_ = q.t.SetWriteDeadline(time.Now().Add(q.flushTimeout))
	if !q.writing {
		q.writing = true
		go q.writeLoop()
	}
	q.mu.Unlock()
}

// closeWith ends the connection from the network side: line (an ERROR)
// is sent first, whatever the limit, and the reader reports reason as the
// client's QUIT reason once it sees the socket close.
func (q *sendQueue) closeWith(reason string, line []byte) {
	q.mu.Lock()
	if q.closing {
		q.mu.Unlock()
		return
	}
	q.failure = reason
	if line != nil {
		q.lines = append(q.lines, line)
		q.bytes += len(line)
	}
	q.mu.Unlock()
	q.Close()
}

// isClosing reports whether Close was called or the socket failed.
func (q *sendQueue) isClosing() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closing
}

// failureReason is why the writer gave up ("" if it did not): the QUIT
// reason to give instead of the read error that follows.
func (q *sendQueue) failureReason() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.failure
}

func (q *sendQueue) writeLoop() {
	for {
		q.mu.Lock()
		if len(q.lines) == 0 {
			if q.closing {
				q.finish()
				return
			}
			// Idle: keep nothing, so a quiet connection costs no memory here.
			q.writing = false
			q.lines, q.spare = nil, nil
			q.mu.Unlock()
			return
		}
		batch := q.lines
		q.lines = q.spare[:0]
		q.armDeadline()
		q.mu.Unlock()

		err := q.t.WriteLines(batch, q.wrote)
		clear(batch)

		q.mu.Lock()
		q.spare = batch[:0]
		if err != nil {
			if !q.closing {
				q.failure = "Write error"
				if errors.Is(err, os.ErrDeadlineExceeded) && q.congested.Load() {
					q.failure = "SendQ exceeded"
					if !q.dropped && q.stats != nil {
						q.stats.sendqDrops.Add(1)
					}
					q.dropped = true
				}
			}
			if !q.closing {
				q.closing = true
				q.onClosing()
			}
			q.releaseWaiters()
			q.lines = nil
			q.finish()
			return
		}
		q.mu.Unlock()
	}
}

// armDeadline records progress (the writer took a batch or finished a
// write) and sets the deadline for the next write: a congested queue must
// make progress within the stall timeout, another within the write
// timeout; Close's flush deadline stands. Called with mu held, so that a
// deadline set by Close or Enqueue is never overwritten by a stale one.
func (q *sendQueue) armDeadline() {
	q.progressAt = time.Now()
	switch {
	case q.closing:
	case q.congested.Load():
		_ = q.t.SetWriteDeadline(q.progressAt.Add(q.stallTimeout()))
	default:
		_ = q.t.SetWriteDeadline(q.progressAt.Add(q.writeTimeout))
	}
}

// wrote accounts for n bytes written: they no longer count against the
// limit, a queue back under its soft mark lets its paused readers go, and
// WhenDrained calls whose mark is reached run.
func (q *sendQueue) wrote(n int) {
	if q.stats != nil {
		q.stats.bytesOut.Add(uint64(n))
	}
	q.mu.Lock()
	q.bytes -= n
	if q.congested.Load() {
		if q.bytes <= softMark(int(q.limits.hard.Load())) {
			q.congested.Store(false)
			q.releaseWaiters()
		}
		q.armDeadline() // progress: the stall clock starts again
	} else {
		q.progressAt = time.Now() // a clock read per write syscall, no more
	}
	ready := q.takeDrained()
	q.mu.Unlock()
	runDrained(ready)
}

// finish closes the socket; called with mu held, releases it.
func (q *sendQueue) finish() {
	already := q.closed
	q.closed = true
	q.writing = false
	waiting := q.drained
	q.lines, q.spare, q.drained = nil, nil, nil
	q.bytes = 0
	q.mu.Unlock()
	runDrained(waiting)
	if !already {
		_ = q.t.Close()
		if q.onClosed != nil {
			q.onClosed()
		}
	}
}
