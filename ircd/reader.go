package ircd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"chatd/conf"
	"chatd/state"
)

// reader is a connection's read side. Its state lives here on the heap
// rather than in readLoop's frame, and the parsing runs in handle, a call
// that has returned before the next read: so while a reader waits for
// bytes its stack is a few small frames, and the garbage collector shrinks
// an idle connection's goroutine to the smallest stack.
type reader struct {
	c         *conn
	lr        *lineReader
	cfg       *conf.Config
	keepalive time.Time // registration deadline, then the ping clock
	pinged    bool
	live      bool // registered, and keepalive is on the ping clock
	bucket    tokenBucket
	floodOn   bool
	ceiling   int // held lines past which the client is flooding
	held      []inbound
	heldBytes int
	reason    string // the QUIT reason when the loop ends
}

// readLoop frames, limits, parses and paces the client's lines and submits
// them to the state goroutine. Lines over the flood rate are held, in
// order, and released as the token bucket refills (fake lag); a client
// that gets too far ahead is dropped with "Excess Flood".
func (c *conn) readLoop() { newReader(c).run() }

// run reads lines until the connection ends or a read would block after
// lines were parsed here. Parsing grows a goroutine's stack past the
// smallest size, and the collector cannot shrink a stack blocked in a
// read, so rather than wait on that stack run hands the wait to a fresh
// goroutine (see lineReader.yield) and returns: a connection with nothing
// to say costs one minimal stack. The deferred function is the single
// place that reports the end of the connection to the state goroutine,
// however the loop ends; a panic costs only this connection.
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
		r.prepare()
		line, err := r.lr.next()
		if err == errWouldBlock {
			r.lr.yield = false
			handOff = true
			return
		}
		if !r.handle(line, err) {
			return
		}
		r.lr.yield = true // handling the line grew this goroutine's stack
	}
}

func newReader(c *conn) *reader {
	cfg := c.srv.Config()
	now := time.Now()
	return &reader{
		c:         c,
		lr:        newLineReader(c.nc, maxLineBytes),
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
		for len(r.held) > 0 && (!r.floodOn || c.exempt.Load() || r.bucket.take(now)) {
			c.submit(r.held[0])
			r.heldBytes -= r.held[0].size
			r.held[0] = inbound{}
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
		_ = c.nc.SetReadDeadline(deadline)
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
	var in inbound
	switch {
	case err == nil:
		in = classify(line)
	case errors.Is(err, errLineTooLong):
		in = inbound{problem: state.LineTooLong, size: maxLineBytes}
	case errors.Is(err, os.ErrDeadlineExceeded) && !c.isClosing():
		return r.timeout()
	default:
		if errors.Is(err, io.EOF) && r.lr.pending() {
			// a last line without its newline still counts
			rest := bytes.TrimSuffix(r.lr.buf[r.lr.r:r.lr.w], []byte{'\r'})
			r.lr.r = r.lr.w
			c.submitAll(r.held, classify(rest))
		} else {
			c.submitAll(r.held, inbound{})
		}
		r.reason = readErrorReason(err)
		return false
	}

	// Any line is a sign of life.
	now := time.Now()
	if c.registered.Load() {
		r.live = true
		r.pinged = false
		r.keepalive = now.Add(r.cfg.Limits.PingInterval.Duration)
	}
	if in.msg == nil && in.problem == state.LineOK {
		return true // empty line: ignored, as RFC 1459 says
	}
	if !r.floodOn || c.exempt.Load() || (len(r.held) == 0 && r.bucket.take(now)) {
		c.submit(in)
		return true
	}
	r.held = append(r.held, in)
	r.heldBytes += in.size
	if len(r.held) > r.ceiling || r.heldBytes > floodHeldBytes {
		r.reason = "Excess Flood"
		return false
	}
	return true
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
		c.Enqueue(c.srv.pingLine)
		c.Flush()
		r.keepalive = now.Add(r.cfg.Limits.PingTimeout.Duration)
		return true
	default:
		r.reason = fmt.Sprintf("Ping timeout: %d seconds", int(r.cfg.Limits.PingTimeout.Seconds()))
		return false
	}
}
