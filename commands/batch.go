package commands

import (
	"strconv"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// Client-initiated batches (IRCv3 client-batch), of the one type chatd
// takes: draft/multiline. A client opens one with BATCH +ref
// draft/multiline <target>, sends its PRIVMSG or NOTICE lines tagged
// @batch=ref (draft/multiline-concat on a line that continues the one
// before), and closes it with BATCH -ref; only then is the message
// relayed (multiline.go). Every refusal is a FAIL BATCH with the spec's
// codes: MULTILINE_MAX_BYTES, MULTILINE_MAX_LINES,
// MULTILINE_INVALID_TARGET, MULTILINE_INVALID for any other error, and
// TIMEOUT for a batch left open longer than [multiline] timeout.
//
// A refused batch is dead: the FAIL is sent once, and what the client
// still sends in it is dropped without a word until BATCH -ref (the
// client-batch spec's "all past and future messages in this batch will be
// ignored"), so a client that overflows max-lines gets one FAIL, not one
// per line. Its buffered lines are freed at once.
//
// What a client sends while a batch is open that is not part of it: PING
// and PONG are answered as ever (a keepalive can cross a batch); anything
// else ends the batch with MULTILINE_INVALID ("it MUST NOT send any
// messages that are not part of the batch") and is then handled as usual.
//
// labeled-response: the label of BATCH +ref is the label of the message.
// It is kept until BATCH -ref, whose reply (the echo, as a batch with the
// label on its start, or an ACK) carries it; a FAIL in between carries it
// instead.

// multilineOn reports whether draft/multiline is offered.
func multilineOn(w *state.World) bool { return w.Config.Multiline.MaxBytes > 0 }

// multilineCapValue is draft/multiline's CAP LS 302 value.
func multilineCapValue(w *state.World) string {
	m := w.Config.Multiline
	return "max-bytes=" + strconv.Itoa(m.MaxBytes) + ",max-lines=" + strconv.Itoa(m.MaxLines)
}

func handleBatch(w *state.World, c *state.Client, m *irc.Message) error {
	p := m.Params[0]
	if _, nested := m.Tags["batch"]; nested {
		// "Clients MUST NOT send nested batches, i.e. clients may not
		// send BATCH commands with a batch tag."
		if b := c.Batch; b != nil && !b.Dead {
			abandonBatch(w, c, b, "MULTILINE_INVALID", "Nested batches are not allowed")
		}
		return fail("BATCH", "MULTILINE_INVALID", "Nested batches are not allowed")
	}
	switch {
	case len(p) > 1 && p[0] == '+':
		return openBatch(w, c, m, p[1:])
	case len(p) > 1 && p[0] == '-':
		return closeBatch(w, c, p[1:])
	}
	return fail("BATCH", "MULTILINE_INVALID", "Expected BATCH +reference draft/multiline <target> or BATCH -reference")
}

// openBatch handles BATCH +ref type params...
func openBatch(w *state.World, c *state.Client, m *irc.Message, ref string) error {
	if b := c.Batch; b != nil && !b.Dead {
		abandonBatch(w, c, b, "MULTILINE_INVALID", "A batch opened while "+b.Ref+" was open; nested batches are not allowed")
		c.Batch = nil
		return fail("BATCH", "MULTILINE_INVALID", "Nested batches are not allowed")
	}
	refuse := func(text string) error {
		// The refused reference is remembered as dead, so that its lines
		// are dropped quietly rather than each refused.
		c.Batch = &state.ClientBatch{Ref: ref, Dead: true}
		return fail("BATCH", "MULTILINE_INVALID", text)
	}
	typ, target := m.Param(1), m.Param(2)
	switch {
	case !validBatchRef(ref):
		c.Batch = nil
		return fail("BATCH", "MULTILINE_INVALID", "A batch reference is letters, digits and hyphens")
	case typ != state.MultilineBatch:
		return refuse("Unsupported batch type; clients may open draft/multiline batches only")
	case !multilineOn(w) || !state.Batched(c):
		return refuse("Multiline batches need the draft/multiline and batch capabilities")
	case target == "" || len(m.Params) > 3:
		return refuse("A multiline batch names one target: BATCH +reference draft/multiline <target>")
	case !oneTarget(target):
		return refuse("A multiline batch has one target")
	}
	b := &state.ClientBatch{Ref: ref, Target: target, Tags: clientTags(m.Tags), Label: w.DeferLabel(c)}
	b.Timer = w.Timer(c, w.Config.Multiline.Timeout.Duration, func(w *state.World) { batchTimedOut(w, c, b) })
	c.Batch = b
	return nil
}

// closeBatch handles BATCH -ref: the message is relayed.
func closeBatch(w *state.World, c *state.Client, ref string) error {
	b := c.Batch
	if b == nil || b.Ref != ref {
		return fail("BATCH", "MULTILINE_INVALID", "No batch "+ref+" is open")
	}
	c.Batch = nil
	if b.Dead {
		return nil // refused already
	}
	w.CancelTimer(b.Timer)
	w.ApplyLabel(c, b.Label)
	return relayMultiline(w, c, b)
}

// batchTimedOut ends b if it is still c's open batch: its lines are
// freed and the client is told (with the label of its BATCH +ref).
func batchTimedOut(w *state.World, c *state.Client, b *state.ClientBatch) {
	if c.Gone() || c.Batch != b || b.Dead {
		return
	}
	abandonBatch(w, c, b, "TIMEOUT", b.Ref, "Multiline batch left open too long; its lines were dropped")
}

// failBatch refuses c's open batch b in the reply to the current line,
// one of the batch's: the reply carries the batch's label, and b is dead
// from now on.
func failBatch(w *state.World, c *state.Client, b *state.ClientBatch, code string, rest ...string) error {
	w.ApplyLabel(c, b.Label)
	w.CancelTimer(b.Timer)
	b.Kill()
	return fail("BATCH", code, rest...)
}

// abandonBatch refuses c's open batch b outside the reply to the current
// line (which is not one of the batch's, or there is none: a timeout):
// the FAIL carries the label of BATCH +ref itself. b is dead from now on.
func abandonBatch(w *state.World, c *state.Client, b *state.ClientBatch, code string, rest ...string) {
	w.AbandonBatch(c, b, code, rest...)
}

// routeBatched handles a line of a registered client that has a batch
// open or carries a batch tag. It reports whether the line was taken
// (part of a batch, or dropped); a line it does not take is dispatched
// as usual.
func routeBatched(w *state.World, c *state.Client, m *irc.Message) (bool, error) {
	ref, tagged := m.Tags["batch"]
	b := c.Batch
	switch {
	case m.Command == "BATCH":
		return false, nil
	case tagged && (b == nil || b.Ref != ref):
		if b != nil && !b.Dead {
			abandonBatch(w, c, b, "MULTILINE_INVALID", "A line of another batch ("+ref+") while "+b.Ref+" was open")
			return true, nil
		}
		return true, fail("BATCH", "MULTILINE_INVALID", "No batch "+ref+" is open; the line was dropped")
	case tagged && b.Dead:
		return true, nil
	case tagged:
		return true, addBatchLine(w, c, b, m)
	case b == nil:
		return false, nil
	case m.Command == "PING" || m.Command == "PONG":
		return false, nil
	case b.Dead:
		c.Batch = nil // the client has moved on
		return false, nil
	}
	// A line outside the open batch: the batch is refused, the line
	// handled as usual, its reply after the FAIL.
	abandonBatch(w, c, b, "MULTILINE_INVALID", "Only the batch's lines may be sent while a multiline batch is open; "+m.Command+" ended it")
	c.Batch = nil
	return false, nil
}

// validBatchRef: "Reference tag MUST contain only ASCII letters, numbers,
// and/or hyphen" (batch); at most 64 bytes, as chatd keeps it.
func validBatchRef(ref string) bool {
	if ref == "" || len(ref) > 64 {
		return false
	}
	for i := 0; i < len(ref); i++ {
		ch := ref[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-') {
			return false
		}
	}
	return true
}

// oneTarget reports whether target names one recipient (no list).
func oneTarget(target string) bool {
	for i := 0; i < len(target); i++ {
		if target[i] == ',' {
			return false
		}
	}
	return true
}
