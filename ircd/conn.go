package ircd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"chatd/state"

	"gopkg.in/irc.v4"
)

const (
	// maxTagBytes is the tag data a client may send on one line, on top of
	// the 512 bytes of the rest: IRCv3 message-tags allows clients 4094
	// bytes, '@' and the trailing space excluded; more gets 417.
	maxTagBytes = 4094
	// maxLineBytes is the longest acceptable line: '@', tags, a space, and
	// 512 bytes of message including CRLF.
	maxLineBytes = 1 + maxTagBytes + 1 + state.MaxLineBytes
	// maxParams is RFC 1459's limit on parameters in one message.
	maxParams = 15
	// floodHeldBytes caps what a flooding client may have waiting.
	floodHeldBytes = 64 << 10
)

// conn is one client connection. It implements state.Outbox.
type conn struct {
	*sendQueue
	srv  *Server
	id   state.ClientID
	nc   net.Conn
	addr netip.Addr

	registered atomic.Bool
	exempt     atomic.Bool // operators are exempt from flood control
}

// Registered switches the reader from the registration timeout to pings.
// It wakes the reader, which may be waiting on the registration deadline,
// so that the ping clock starts now rather than at that deadline.
func (c *conn) Registered() {
	c.registered.Store(true)
	_ = c.nc.SetReadDeadline(time.Now())
}

// SetFloodExempt turns flood control off (or back on) for the connection.
func (c *conn) SetFloodExempt(on bool) { c.exempt.Store(on) }

// inbound is one line on its way to the state goroutine: a parsed message,
// or a problem with a line that the client must be told about in order.
type inbound struct {
	msg     *irc.Message
	problem state.LineProblem
	command string
	size    int
}

// readLoop frames, limits, parses and paces the client's lines and submits
// them to the state goroutine. Lines over the flood rate are held, in
// order, and released as the token bucket refills (fake lag); a client
// that gets too far ahead is dropped with "Excess Flood". The deferred
// Gone is what removes the client from the world however the loop ends.
func (c *conn) readLoop() {
	reason := "Connection closed"
	defer func() {
		if r := recover(); r != nil {
			c.srv.log.Error("reader panic", "id", c.id, "panic", r)
			reason = "Internal error"
		}
		c.srv.world.Gone(c.id, reason)
	}()

	cfg := c.srv.Config()
	lr := newLineReader(c.nc, maxLineBytes)
	now := time.Now()
	keepalive := now.Add(cfg.Limits.RegistrationTimeout.Duration)
	pinged := false
	live := false // registered, and keepalive is on the ping clock
	bucket := newTokenBucket(cfg.Flood.Burst, cfg.Flood.PerSecond, now)
	floodOn := cfg.Flood.Enabled
	ceiling := 10 * cfg.Flood.Burst
	var held []inbound
	heldBytes := 0

	for {
		if latest := c.srv.Config(); latest != cfg { // REHASH: new flood settings and timeouts
			cfg = latest
			bucket.burst, bucket.perSecond = float64(cfg.Flood.Burst), cfg.Flood.PerSecond
			floodOn, ceiling = cfg.Flood.Enabled, 10*cfg.Flood.Burst
		}
		now = time.Now()
		for len(held) > 0 && (!floodOn || c.exempt.Load() || bucket.take(now)) {
			c.submit(held[0])
			heldBytes -= held[0].size
			held[0] = inbound{}
			held = held[1:]
		}
		if !live && c.registered.Load() {
			live = true // registration just completed: start the ping clock
			keepalive = now.Add(cfg.Limits.PingInterval.Duration)
		}
		deadline := keepalive
		if len(held) > 0 && bucket.nextAt().Before(deadline) {
			deadline = bucket.nextAt()
		}
		_ = c.nc.SetReadDeadline(deadline)
		if !live && c.registered.Load() {
			continue // Registered's wake-up came before our SetReadDeadline
		}

		line, err := lr.next()
		var in inbound
		switch {
		case err == nil:
			in = classify(line)
		case errors.Is(err, errLineTooLong):
			in = inbound{problem: state.LineTooLong, size: maxLineBytes}
		case errors.Is(err, os.ErrDeadlineExceeded) && !c.isClosing():
			now = time.Now()
			if now.Before(keepalive) || (!live && c.registered.Load()) {
				continue // a held line's turn, registration, or a spurious wake-up
			}
			switch {
			case !c.registered.Load():
				reason = "Registration timed out"
				return
			case !pinged:
				pinged = true
				c.Enqueue(c.srv.pingLine)
				keepalive = now.Add(cfg.Limits.PingTimeout.Duration)
				continue
			default:
				reason = fmt.Sprintf("Ping timeout: %d seconds", int(cfg.Limits.PingTimeout.Seconds()))
				return
			}
		default:
			if errors.Is(err, io.EOF) && lr.pending() {
				// a last line without its newline still counts
				rest := bytes.TrimSuffix(lr.buf[lr.r:lr.w], []byte{'\r'})
				lr.r = lr.w
				c.submitAll(held, classify(rest))
			} else {
				c.submitAll(held, inbound{})
			}
			reason = readErrorReason(err)
			return
		}

		// Any line is a sign of life.
		if c.registered.Load() {
			live = true
			pinged = false
			keepalive = time.Now().Add(cfg.Limits.PingInterval.Duration)
		}
		if in.msg == nil && in.problem == state.LineOK {
			continue // empty line: ignored, as RFC 1459 says
		}
		if !floodOn || c.exempt.Load() || (len(held) == 0 && bucket.take(now)) {
			c.submit(in)
			continue
		}
		held = append(held, in)
		heldBytes += in.size
		if len(held) > ceiling || heldBytes > floodHeldBytes {
			reason = "Excess Flood"
			return
		}
	}
}

// submit hands one line to the state goroutine.
func (c *conn) submit(in inbound) {
	if in.msg != nil {
		c.srv.world.Line(c.id, in.msg)
	} else if in.problem != state.LineOK {
		c.srv.world.BadLine(c.id, in.problem, in.command)
	}
}

// submitAll flushes held lines and a last one when the client hangs up:
// what it sent before closing (a QUIT reason, say) is still acted on.
func (c *conn) submitAll(held []inbound, last inbound) {
	for _, in := range held {
		c.submit(in)
	}
	c.submit(last)
}

// classify parses one line (without its newline) and checks it: the 512
// byte limit (tags excepted), the tag limit, NUL and CR bytes, UTF-8 and
// the parameter count. An empty or unparsable line, or one whose command
// could not be echoed back (it starts with ':'), gives the zero inbound,
// which is ignored.
func classify(raw []byte) inbound {
	in := inbound{size: len(raw)}
	body := raw
	if len(raw) > 0 && raw[0] == '@' {
		sp := bytes.IndexByte(raw, ' ')
		if sp < 0 {
			return inbound{}
		}
		if sp-1 > maxTagBytes {
			in.problem = state.LineTooLong
			return in
		}
		body = raw[sp+1:]
	}
	if len(body)+2 > state.MaxLineBytes {
		in.problem = state.LineTooLong
		return in
	}
	msg := parseMessage(string(raw))
	if msg == nil {
		return inbound{}
	}
	switch {
	case bytes.IndexByte(raw, 0) >= 0:
		in.problem, in.command = state.LineHasNUL, msg.Command
	case bytes.IndexByte(raw, '\r') >= 0:
		in.problem, in.command = state.LineHasCR, msg.Command
	case !utf8.Valid(raw):
		in.problem, in.command = state.LineInvalidUTF8, msg.Command
	case len(msg.Params) > maxParams:
		in.problem, in.command = state.LineTooManyParams, msg.Command
	case msg.Command[0] == ':':
		return inbound{} // ": :x" parses with the command ":X"
	default:
		in.msg = msg
	}
	return in
}

// parseMessage wraps irc.ParseMessage, which panics on some malformed tag
// sections (for example "@a=b "), so a hostile line costs nothing.
func parseMessage(line string) (msg *irc.Message) {
	defer func() {
		if recover() != nil {
			msg = nil
		}
	}()
	m, err := irc.ParseMessage(line)
	if err != nil {
		return nil
	}
	return m
}

func readErrorReason(err error) string {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return "Connection closed"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "Connection timed out"
	}
	return "Read error"
}
