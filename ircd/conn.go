package ircd

import (
	"bytes"
	"container/list"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
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
	// floodHeldBytes caps what a flooding client may have waiting: the
	// held lines' bytes, tags included, plus heldLineOverhead each.
	floodHeldBytes = 64 << 10
	// heldLineOverhead is what holding a line costs besides its bytes,
	// so that a run of empty lines is not free.
	heldLineOverhead = 32
)

// conn is one client connection. It implements state.Outbox.
type conn struct {
	*sendQueue
	srv  *Server
	id   state.ClientID
	t    Transport
	kind Kind
	addr netip.Addr

	registered atomic.Bool
	phase      atomic.Int32  // for Stats.clients: phaseUnregistered, phaseRegistered, phaseClosed
	exempt     atomic.Bool   // operators are exempt from flood control
	pending    *list.Element // in srv.pending while unregistered; guarded by its mu

	// Push-back: the reader reads nothing while pausedOn > 0 (that many
	// congested queues hold lines this client caused, see WaitFor) or
	// while maxMarks of its markers wait on the inbox (reader.submit).
	// Whoever lowers either sends on wake.
	pausedOn atomic.Int32
	marks    atomic.Int32
	wakeCh   chan struct{} // capacity 1
}

// Registered switches the reader from the registration timeout to pings.
// It wakes the reader, which may be waiting on the registration deadline,
// so that the ping clock starts now rather than at that deadline.
func (c *conn) Registered() {
	if c.phase.CompareAndSwap(phaseUnregistered, phaseRegistered) {
		c.srv.stats.clients[c.kind][0].Add(-1)
		c.srv.stats.clients[c.kind][1].Add(1)
	}
	c.srv.pending.remove(c)
	c.registered.Store(true)
	_ = c.t.SetReadDeadline(time.Now())
}

const (
	phaseUnregistered int32 = iota
	phaseRegistered
	phaseClosed
)

// countClosed takes a closed connection out of Stats.clients, once.
func (c *conn) countClosed() {
	switch c.phase.Swap(phaseClosed) {
	case phaseUnregistered:
		c.srv.stats.clients[c.kind][0].Add(-1)
	case phaseRegistered:
		c.srv.stats.clients[c.kind][1].Add(-1)
	}
}

// Enqueue queues a line (state.Outbox). Only the state goroutine calls
// it, which lets Stats count lines out without a lock (Stats.countOut).
func (c *conn) Enqueue(line []byte) bool {
	if !c.sendQueue.Enqueue(line) {
		return false
	}
	c.srv.stats.countOut(line)
	return true
}

// Flush starts the writer (state.Outbox); state goroutine only.
func (c *conn) Flush() {
	c.srv.stats.publishRun()
	c.sendQueue.Flush()
}

// SetFloodExempt turns flood control off (or back on) for the connection.
func (c *conn) SetFloodExempt(on bool) { c.exempt.Store(on) }

// inbound is one line on its way to the state goroutine: a parsed message,
// or a problem with a line that the client must be told about in order.
type inbound struct {
	msg     *irc.Message
	problem state.LineProblem
	command string
	label   string // a refused line's label tag, so that its refusal is labeled
	size    int
}

// submit hands one line to the state goroutine.
func (c *conn) submit(in inbound) {
	if in.msg != nil {
		c.srv.stats.countIn(in.msg.Command)
		c.srv.world.Line(c.id, in.msg)
	} else if in.problem != state.LineOK {
		c.srv.world.BadLine(c.id, in.problem, in.command, in.label)
	}
}

// classify parses one line (without its newline) and checks it: the 512
// byte limit (tags excepted), the tag limit, NUL and CR bytes, UTF-8 and
// the parameter count. An empty or unparsable line, or one whose command
// could not be echoed back (it starts with ':'), gives an inbound with
// neither a message nor a problem: it is ignored, but like every line it
// has been paced (reader.handle).
func classify(raw []byte) inbound {
	in := inbound{size: len(raw)}
	body := raw
	if len(raw) > 0 && raw[0] == '@' {
		sp := bytes.IndexByte(raw, ' ')
		if sp < 0 {
			return in
		}
		if sp-1 > maxTagBytes {
			in.problem = state.LineTooLong
			return in
		}
		body = raw[sp+1:]
		in.label = labelOf(raw[1:sp])
	}
	if len(body)+2 > state.MaxLineBytes {
		in.problem = state.LineTooLong
		return in
	}
	msg := parseMessage(string(raw))
	if msg == nil {
		return in
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
		return in // ": :x" parses with the command ":X"
	default:
		in.msg = msg
	}
	return in
}

// labelOf returns the label tag of a line's tag section (without the
// '@'), or "" when it has none or its value could not be echoed safely.
// It is read apart from the rest of the line so that a line refused for
// its body (too long, not UTF-8, a NUL) still gets a labeled refusal.
func labelOf(tags []byte) string {
	if !bytes.Contains(tags, []byte("label=")) || !utf8.Valid(tags) {
		return ""
	}
	label := irc.ParseTags(string(tags))["label"]
	if !utf8.ValidString(label) || strings.ContainsAny(label, "\x00\r\n") {
		return ""
	}
	return label
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
	var named interface{ QuitReason() string }
	switch {
	case errors.As(err, &named):
		return named.QuitReason()
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return "Connection closed"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "Connection timed out"
	}
	return "Read error"
}
