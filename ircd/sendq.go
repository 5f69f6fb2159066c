package ircd

import (
	"io"
	"net"
	"sync"
	"time"
)

// sendQueue is a connection's outgoing lines. Enqueue never blocks: it
// appends under a short lock. Flush starts a writer goroutine if none is
// running; the writer drains everything queued, a buffer-full per write,
// and exits when the queue is empty, so an idle connection has no writer.
type sendQueue struct {
	nc           net.Conn
	limit        int           // bytes that may wait before the client is dropped
	writeTimeout time.Duration // how long one batch may take to write
	flushTimeout time.Duration // how long Close waits for queued lines
	onClosed     func()        // called once, after the socket is closed

	mu       sync.Mutex
	lines    [][]byte
	spare    [][]byte
	bytes    int // in lines
	inflight int // in the batch the writer is writing
	drained  []drainWaiter
	writing  bool
	closing  bool
	closed   bool
}

// drainWaiter is a WhenDrained call waiting for the queue to shrink.
type drainWaiter struct {
	n  int
	fn func()
}

// Queued reports the bytes waiting, the batch being written included.
func (q *sendQueue) Queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes + q.inflight
}

// WhenDrained calls fn once the queue holds at most n bytes, or the
// connection has closed; at once if either is already so.
func (q *sendQueue) WhenDrained(n int, fn func()) {
	q.mu.Lock()
	if q.closed || q.bytes+q.inflight <= n {
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
	size := q.bytes + q.inflight
	var ready []drainWaiter
	keep := q.drained[:0]
	for _, d := range q.drained {
		if size <= d.n {
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

// Enqueue queues line. It returns false, queueing nothing, when the lines
// already waiting plus this one would pass the limit.
func (q *sendQueue) Enqueue(line []byte) bool {
	q.mu.Lock()
	if q.closing {
		q.mu.Unlock()
		return true
	}
	if q.bytes+len(line) > q.limit {
		q.mu.Unlock()
		return false
	}
	q.lines = append(q.lines, line)
	q.bytes += len(line)
	q.mu.Unlock()
	return true
}

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
	_ = q.nc.SetWriteDeadline(time.Now().Add(q.flushTimeout))
	if !q.writing {
		q.writing = true
		go q.writeLoop()
	}
	q.mu.Unlock()
}

// isClosing reports whether Close was called or the socket failed.
func (q *sendQueue) isClosing() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closing
}

func (q *sendQueue) writeLoop() {
	buf := writeBuffers.Get().(*[writeBufferSize]byte)
	defer writeBuffers.Put(buf)
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
		q.inflight, q.bytes = q.bytes, 0
		if !q.closing {
			// Under mu, so that Close's shorter flush deadline, set under
			// mu too, can never be overwritten by this one.
			_ = q.nc.SetWriteDeadline(time.Now().Add(q.writeTimeout))
		}
		q.mu.Unlock()

		err := writeBatch(q.nc, buf[:], batch)
		clear(batch)

		q.mu.Lock()
		q.spare = batch[:0]
		q.inflight = 0
		if err != nil {
			q.closing = true
			q.lines = nil
			q.finish()
			return
		}
		ready := q.takeDrained()
		q.mu.Unlock()
		runDrained(ready)
	}
}

// writeBufferSize is the most one write call carries; every line (512
// bytes plus tags) fits.
const writeBufferSize = 16 << 10

var writeBuffers = sync.Pool{New: func() any { return new([writeBufferSize]byte) }}

// writeBatch copies lines into buf and writes it, a buffer-full at a time.
// Copying a few hundred bytes costs less than the syscall it saves, and
// unlike writev it leaves no iovec array cached on every socket.
func writeBatch(w io.Writer, buf []byte, lines [][]byte) error {
	n := 0
	for _, line := range lines {
		if n+len(line) > len(buf) {
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
			n = 0
		}
		if len(line) > len(buf) {
			if _, err := w.Write(line); err != nil {
				return err
			}
			continue
		}
		n += copy(buf[n:], line)
	}
	if n == 0 {
		return nil
	}
	_, err := w.Write(buf[:n])
	return err
}

// finish closes the socket; called with mu held, releases it.
func (q *sendQueue) finish() {
	already := q.closed
	q.closed = true
	q.writing = false
	waiting := q.drained
	q.lines, q.spare, q.drained = nil, nil, nil
	q.bytes, q.inflight = 0, 0
	q.mu.Unlock()
	runDrained(waiting)
	if !already {
		_ = q.nc.Close()
		if q.onClosed != nil {
			q.onClosed()
		}
	}
}
