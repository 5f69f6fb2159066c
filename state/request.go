package state

import (
	"runtime/debug"
	"strconv"
	"strings"

	"gopkg.in/irc.v4"
)

// A request is the handling of one line from a client, from dispatch until
// its last reply: usually one event, longer when the handler held the
// client for slow work (Hold, Resume) or sends a long reply in slices
// (Continue). Every line sent to the requesting client while its request
// runs passes through here, which is the one place that:
//   - echoes the IRCv3 label (labeled-response): on the only reply, on a
//     labeled-response batch around several, or on an ACK when there was
//     none;
//   - counts what one line made the server send to its sender, so long
//     replies are cut into slices that wait for the client to read.
//
// Lines for other clients, and lines for the requester caused by other
// clients' events, are not part of the request and go straight out.
type request struct {
	open  bool
	label string // the label to echo; "" when the line had none or the client lacks the caps
	first []byte // a labeled request's first reply, held until it is known whether more follow
	batch string // the labeled-response batch's reference, once a second reply opened it
	lines int    // replies sent in the current slice
	bytes int    // bytes of replies sent in the current slice

	// batches are the batches the handler opened in its reply (StartBatch,
	// OpenBatch), innermost last: an untagged reply goes in the innermost.
	batches []string
	// answered is set when the label went on the start of a batch that is
	// the whole reply (OpenBatch with whole): nothing else is labeled, and
	// there is no ACK.
	answered bool

	// The rest of a long reply, as steps that run one per event: steps
	// waits, pushed holds what the running event or step added (see
	// Continue for the order).
	steps  []func(*World)
	pushed []func(*World)
}

// maxLabelBytes is the longest label chatd echoes (labeled-response: "at
// least 64 bytes"); a longer one is ignored and the line handled unlabeled.
const maxLabelBytes = 64

// Slice bounds: a long reply stops after this many lines or bytes in one
// event and goes on once other clients' events had their turn and the
// requester's queue has drained below half of sendq_bytes.
const (
	sliceLines = 128
	sliceBytes = 32 << 10
)

// beginRequest opens c's request for line m and makes c the client whose
// replies are collected.
func (w *World) beginRequest(c *Client, m *irc.Message) {
	c.req = request{open: true}
	if c.Caps.Has(CapLabeledResponse) && c.Caps.Has(CapBatch) {
		if l, ok := m.Tags["label"]; ok && l != "" && len(l) <= maxLabelBytes {
			c.req.label = l
		}
	}
	w.cur = c
}

// endEvent is called when the event that ran c's request (or one step
// of it) is done: the request ends unless the client is held or steps
// remain.
func (w *World) endEvent(c *Client) {
	w.cur = nil
	r := &c.req
	if !r.open || c.gone {
		c.req = request{}
		return
	}
	if len(r.pushed) > 0 {
		// What this event left for later runs before the steps that were
		// already waiting: a handler's own continuation comes first.
		r.steps = append(r.pushed, r.steps...)
		r.pushed = nil
	}
	if len(r.steps) > 0 {
		c.held = true
		w.scheduleStep(c)
		return
	}
	if !c.held {
		w.finishRequest(c)
	}
}

// inRequest passes a reply to the requester through its request: counted,
// and labeled or batched when the line carried a label. It returns the
// line to queue now, or nil when it is held back.
func (w *World) inRequest(c *Client, line []byte) []byte {
	r := &c.req
	r.lines++
	r.bytes += len(line)
	if hasBatchTag(line) {
		return line // already in a batch of the handler's making
	}
	if n := len(r.batches); n > 0 {
		return WithTag(line, "batch", r.batches[n-1])
	}
	if r.label == "" || r.answered {
		return line
	}
	if r.batch != "" {
		return WithTag(line, "batch", r.batch)
	}
	if r.first == nil {
		r.first = line
		return nil
	}
	w.openLabeledBatch(c)
	return WithTag(line, "batch", r.batch)
}

// openLabeledBatch starts the labeled-response batch and sends the reply
// that was held back in it.
func (w *World) openLabeledBatch(c *Client) {
	r := &c.req
	r.batch = w.NewBatchRef()
	start := w.encodeOrLog(&irc.Message{
		Tags:    irc.Tags{"label": r.label},
		Prefix:  w.ServerPrefix(),
		Command: "BATCH",
		Params:  []string{"+" + r.batch, "labeled-response"},
	})
	w.enqueue(c, start)
	if r.first != nil {
		w.enqueue(c, WithTag(r.first, "batch", r.batch))
		r.first = nil
	}
}

// finishRequest sends what closes c's request: the held single reply with
// its label, the end of the batch, or an ACK for a labeled line that drew
// no reply.
func (w *World) finishRequest(c *Client) {
	for len(c.req.batches) > 0 && !c.gone {
		w.EndBatch(c) // a handler that left one open: every batch must end
	}
	r := c.req
	c.req = request{}
	if r.label == "" || r.answered || c.gone {
		return
	}
	switch {
	case r.batch != "":
		w.enqueue(c, w.encodeOrLog(&irc.Message{Prefix: w.ServerPrefix(), Command: "BATCH", Params: []string{"-" + r.batch}}))
	case r.first != nil:
		w.enqueue(c, WithTag(r.first, "label", r.label))
	default:
		w.enqueue(c, w.encodeOrLog(&irc.Message{Tags: irc.Tags{"label": r.label}, Prefix: w.ServerPrefix(), Command: "ACK"}))
	}
}

// NewBatchRef returns a batch reference unique for the life of the process.
func (w *World) NewBatchRef() string {
	w.batchCount++
	return strconv.FormatUint(w.batchCount, 36)
}

// SliceFull reports whether the reply to c's current line has reached the
// size of one slice: a handler producing a long reply stops there and
// leaves the rest to Continue.
func (w *World) SliceFull(c *Client) bool {
	return c.req.open && (c.req.lines >= sliceLines || c.req.bytes >= sliceBytes)
}

// Continue leaves the rest of the reply to c's current line for later:
// step runs as an event of its own once the events already waiting had
// their turn and c's send queue has drained below half of sendq_bytes.
// To go on further, step calls Continue again. Steps run in the order a
// sequential handler would have produced their output: those added while
// one runs come right after it, before the steps that were already
// waiting. Meanwhile c's later lines wait, in order, and a labeled line's
// batch stays open. Only code running for c's line (its handler or one of
// its steps) may call it.
func (w *World) Continue(c *Client, step func(*World)) {
	if !c.req.open || w.cur != c {
		panic("state: Continue outside the requester's own line")
	}
	c.req.pushed = append(c.req.pushed, step)
}

// Pending reports whether the code running for c's line has left part of
// its reply for later (Continue): whatever it would send next must then
// wait behind it, in a step of its own, to keep the reply in order.
func (w *World) Pending(c *Client) bool { return len(c.req.pushed) > 0 }

// scheduleStep has c's next step run, as a Step event of the log, behind
// everything that is waiting, once c's queue has drained far enough. Only
// c's own node can tell that: the others wait for its Step.
func (w *World) scheduleStep(c *Client) {
	if c.req.label != "" && c.req.batch == "" && !c.req.answered {
		// More is coming: the reply is several lines, so it is a batch.
		w.openLabeledBatch(c)
	}
	if c.remote || w.mode == Replica {
		return // its own node puts the Step in the log
	}
	step := Step{ID: c.ID, N: c.stepsRun}
	if log := w.log; log != nil {
		c.Out.WhenDrained(w.Config.Limits.SendQBytes/2, func() { log.Publish(step) })
		return
	}
	run := func(w *World) { w.apply(step) }
	c.Out.WhenDrained(w.Config.Limits.SendQBytes/2, func() { w.Later(run) })
}

// runStep runs c's next step. A client that hung up meanwhile (its Gone
// is among the held events) gets no more of the reply.
func (w *World) runStep(c *Client) {
	r := &c.req
	if c.gone || !r.open || len(r.steps) == 0 {
		return
	}
	if c.hangingUp() {
		r.steps = nil
	} else {
		step := r.steps[0]
		r.steps[0] = nil
		r.steps = r.steps[1:]
		r.lines, r.bytes = 0, 0
		w.cur = c
		w.runGuarded(c, step)
	}
	if c.gone {
		return
	}
	held := len(r.steps) > 0 || len(r.pushed) > 0
	w.endEvent(c)
	if !held {
		w.Release(c)
	}
}

// runGuarded runs one step of a reply; a panic is logged and costs only
// the client its connection, as in dispatchSafely.
func (w *World) runGuarded(c *Client, step func(*World)) {
	defer func() {
		if r := recover(); r != nil {
			w.Log.Error("reply step panic", "client", c.ID, "nick", c.Nick, "panic", r, "stack", string(debug.Stack()))
			w.cur = nil
			w.Quit(c, "Internal error")
		}
	}()
	step(w)
}

// WithTag returns line (encoded, CRLF included) with the tag key=value
// added in front of any tags it has. value is escaped as message-tags
// requires. The line is copied: encoded lines are shared between
// recipients.
func WithTag(line []byte, key, value string) []byte {
	v := escapeTagValue(value)
	out := make([]byte, 0, len(line)+len(key)+len(v)+3)
	out = append(out, '@')
	out = append(out, key...)
	if v != "" {
		out = append(out, '=')
		out = append(out, v...)
	}
	if len(line) > 0 && line[0] == '@' {
		out = append(out, ';')
		return append(out, line[1:]...)
	}
	out = append(out, ' ')
	return append(out, line...)
}

var tagValueEscaper = strings.NewReplacer(`\`, `\\`, ";", `\:`, " ", `\s`, "\r", `\r`, "\n", `\n`)

func escapeTagValue(v string) string {
	if !strings.ContainsAny(v, "\\; \r\n") {
		return v
	}
	return tagValueEscaper.Replace(v)
}
