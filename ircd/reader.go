package ircd

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"

	"chatd/conf"
	"chatd/state"
)

// reader is a connection's read side. Its state lives here on the heap,
// not in a goroutine's frames, so that run can carry on in a fresh
// goroutine when the connection goes quiet.
type reader struct {
	c         *conn
	cfg       *conf.Config
	keepalive time.Time // registration deadline, then the ping clock
	pinged    bool
	live      bool // registered, and keepalive is on the ping clock
	bucket    tokenBucket
	floodOn   bool
	ceiling   int // held lines past which the client is flooding
	held      []heldLine
	heldBytes int
	// batchRef is the multiline batch the client has open, as the reader
	// sees it, and batchLines the lines of it let through (batchpace.go).
	batchRef   string
	batchLines int
	// heldFree and heldFreeBytes are the held lines (and their cost)
	// that belong to a multiline batch (heldLine.free).
	heldFree      int
	heldFreeBytes int
	sinceMark     int    // lines submitted since the last marker
	markBytes     int    // and their bytes
	reason        string // the QUIT reason when the loop ends
	// handOffAt is when a quiet connection's wait moves to a fresh
	// goroutine (see run); zero on a goroutine that has handled no line.
	handOffAt time.Time
}

// readLoop frames, limits, parses and paces the client's lines and submits
// them to the state goroutine. Lines over the flood rate are held, in
// order, and released as the token bucket refills (fake lag); a client
// that gets too far ahead is dropped with "Excess Flood".
func (c *conn) readLoop() { newReader(c).run() }

// run reads lines until the connection ends or has been quiet for the
// server's idleHandOff. Parsing grows a goroutine's stack past the
// smallest size, and the collector cannot shrink a stack that is blocked in
// a read, so a quiet connection does not go on waiting on that stack: run
// hands the wait to a fresh goroutine, with the smallest stack, and
// returns. A connection with nothing to say costs one minimal stack, and
// one that keeps talking never pays for a new goroutine or stack growth.
// The deferred function is the single place that reports the end of the
// connection to the state goroutine, however the loop ends; a panic costs
// only this connection.
func (r *reader) run() {
	handOff := false
	defer func() {
		if p := recover(); p != nil {
			r.c.srv.log.Error("reader panic", "id", r.c.id, "panic", p)
			r.reason = "Internal error"
		} else if handOff {
			go r.run()
			return
		}
		r.c.srv.world.Gone(r.c.id, r.reason)
	}()
	for {
		r.waitWhilePaused()
		r.prepare()
		line, err := r.c.t.ReadLine()
		if r.handOffDue(err) {
			handOff = true
			return
		}
		if !r.handle(line, err) {
			return
		}
		r.handOffAt = time.Now().Add(r.c.srv.idleHandOff)
	}
}

// handOffDue reports whether err is the hand-off deadline passing: the
// connection has been quiet since lines were handled on this goroutine.
func (r *reader) handOffDue(err error) bool {
	if r.handOffAt.IsZero() || !errors.Is(err, os.ErrDeadlineExceeded) || time.Now().Before(r.handOffAt) {
		return false
	}
	r.handOffAt = time.Time{}
	return true
}

func newReader(c *conn) *reader {
	cfg := c.srv.Config()
	now := time.Now()
	return &reader{
		c:         c,
		cfg:       cfg,
		keepalive: now.Add(cfg.Limits.RegistrationTimeout.Duration),
		bucket:    newTokenBucket(cfg.Flood.Burst, cfg.Flood.PerSecond, now),
		floodOn:   cfg.Flood.Enabled,
		ceiling:   10 * cfg.Flood.Burst,
		reason:    "Connection closed",
	}
}

// prepare releases held lines whose turn has come and sets the read
// deadline: the next held line's turn, or the keepalive clock.
func (r *reader) prepare() {
	c := r.c
	for {
		if latest := c.srv.Config(); latest != r.cfg { // REHASH: new flood settings and timeouts
			r.cfg = latest
			r.bucket.burst, r.bucket.perSecond = float64(latest.Flood.Burst), latest.Flood.PerSecond
			r.floodOn, r.ceiling = latest.Flood.Enabled, 10*latest.Flood.Burst
		}
		now := time.Now()
		for len(r.held) > 0 && (!r.floodOn || c.exempt.Load() || r.held[0].free && r.bucket.spend(now) || r.bucket.take(now)) {
			r.submit(r.held[0].inbound())
			r.heldBytes -= r.held[0].cost()
			if r.held[0].free {
				r.heldFree--
				r.heldFreeBytes -= r.held[0].cost()
			}
			r.held[0] = heldLine{}
			r.held = r.held[1:]
		}
		if len(r.held) == 0 {
			r.held = nil
		}
		if !r.live && c.registered.Load() {
			r.live = true // registration just completed: start the ping clock
			r.keepalive = now.Add(r.cfg.Limits.PingInterval.Duration)
		}
		deadline := r.keepalive
		if len(r.held) > 0 && r.bucket.nextAt().Before(deadline) {
			deadline = r.bucket.nextAt()
		}
		if !r.handOffAt.IsZero() && r.handOffAt.Before(deadline) {
			deadline = r.handOffAt
		}
		_ = c.t.SetReadDeadline(deadline)
		if !r.live && c.registered.Load() {
			continue // Registered's wake-up came before our SetReadDeadline
		}
		return
	}
}

// handle acts on what one read gave: a line, a refusal, a timeout or the
// end. It reports false when the connection is over (r.reason says why).
//
//go:noinline
func (r *reader) handle(line []byte, err error) bool {
	c := r.c
	tooLong := false
	switch {
	case err == nil:
	case errors.Is(err, errLineTooLong):
		tooLong = true
	case errors.Is(err, os.ErrDeadlineExceeded) && !c.isClosing():
		return r.timeout()
	default:
		for _, h := range r.held {
			c.submit(h.inbound())
		}
		r.reason = readErrorReason(err)
		if why := c.failureReason(); why != "" {
			r.reason = why // the writer gave up first (SendQ exceeded)
		}
		return false
	}

	// Any line is a sign of life.
	c.srv.stats.bytesIn.Add(uint64(len(line)))
	now := time.Now()
	if c.registered.Load() {
		r.live = true
		r.pinged = false
		r.keepalive = now.Add(r.cfg.Limits.PingInterval.Duration)
	}
	// Every line is paced, those that will be ignored (empty, unparsable,
	// tags and nothing else) too: they cost the server as much to read.
	// A line of an open multiline batch goes now and is paid for later
	// (batchpace.go).
	free := r.floodOn && !tooLong && !c.exempt.Load() && r.batchFree(line)
	if !r.floodOn || c.exempt.Load() || (len(r.held) == 0 && (free && r.bucket.spend(now) || r.bucket.take(now))) {
		h := heldLine{raw: line, tooLong: tooLong}
		r.submit(h.inbound())
		return true
	}
	// Held as raw bytes, parsed when its turn comes: what a flooding
	// client has waiting costs exactly what heldBytes counts.
	h := heldLine{raw: bytes.Clone(line), tooLong: tooLong, free: free}
	r.held = append(r.held, h)
	r.heldBytes += h.cost()
	if free {
		r.heldFree++
		r.heldFreeBytes += h.cost()
	}
	if r.flooding() {
		c.srv.stats.floodDisconnects.Add(1)
		r.reason = "Excess Flood"
		return false
	}
	return true
}

// heldLine is a line waiting for its turn under flood control.
type heldLine struct {
	raw     []byte
	tooLong bool // over the limit; raw is nil
	free    bool // a line of an open multiline batch: goes when its turn comes, paid for after
}

func (h heldLine) inbound() inbound {
	if h.tooLong {
		return inbound{problem: state.LineTooLong, size: maxLineBytes}
	}
	return classify(h.raw)
}

func (h heldLine) cost() int {
	if h.tooLong {
		return heldLineOverhead
	}
	return len(h.raw) + heldLineOverhead
}

// timeout handles a read deadline: a held line's turn, the end of the
// registration time, or the keepalive PING and its timeout.
func (r *reader) timeout() bool {
	c := r.c
	now := time.Now()
	if now.Before(r.keepalive) || (!r.live && c.registered.Load()) {
		return true // a held line's turn, registration, or a spurious wake-up
	}
	switch {
	case !c.registered.Load():
		r.reason = "Registration timed out"
		return false
	case !r.pinged:
		r.pinged = true
		// Not conn's Enqueue and Flush, which are the state goroutine's.
		if c.sendQueue.Enqueue(c.srv.pingLine) {
			c.srv.stats.linesOut[c.srv.stats.index["PING"]].Add(1)
		}
		c.sendQueue.Flush()
		r.keepalive = now.Add(r.cfg.Limits.PingTimeout.Duration)
		return true
	default:
		r.reason = fmt.Sprintf("Ping timeout: %d seconds", int(r.cfg.Limits.PingTimeout.Seconds()))
		return false
	}
}
