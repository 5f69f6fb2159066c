package state

import (
	"bytes"

	"gopkg.in/irc.v4"
)

// Batches a handler opens in its reply (IRCv3 batch). A handler that
// wants its reply, or part of it, grouped (a multiline echo, chat history,
// any future batch type) opens a batch with StartBatch or OpenBatch and
// ends it with EndBatch; every reply sent to the requester in between
// that does not already carry a batch tag is tagged with the innermost
// open batch. The request places the batch itself: on a labeled line it
// is nested inside the labeled-response batch (or, when the handler says
// the batch is the whole reply, its start carries the label), and a batch
// opened inside another is tagged with the outer one, as the batch
// specification's nesting rule asks. Batches may stay open across the
// slices of a long reply (Continue); any left open when the request ends
// are ended then, so every batch started is ended.
//
// These are for the requester's own reply, like Continue: only code
// running for c's line may call them. Lines for other clients (the
// multiline fan-out) carry their batch tags themselves.

// StartBatch opens a batch of type typ (with its parameters) in the reply
// to c's current line and returns its reference. The start comes from
// the server.
func (w *World) StartBatch(c *Client, typ string, params ...string) string {
	ref := w.NewBatchRef()
	start := w.encodeOrLog(&irc.Message{
		Prefix:  w.ServerPrefix(),
		Command: "BATCH",
		Params:  append([]string{"+" + ref, typ}, SafeParams(params)...),
	})
	w.OpenBatch(c, ref, start, false)
	return ref
}

// OpenBatch opens the batch ref, whose start line (BATCH +ref type ...,
// encoded, possibly with a source and tags of its own) the caller made,
// in the reply to c's current line. whole says the batch is the entire
// reply: on a labeled line its start then carries the label itself
// (labeled-response allows a batch "of an existing type applicable to the
// entire response"), and the caller must send nothing outside it. Called
// for a client that is not the requester, it only queues start.
func (w *World) OpenBatch(c *Client, ref string, start []byte, whole bool) {
	if start == nil || c.gone {
		return
	}
	r := &c.req
	if w.cur != c || !r.open {
		w.enqueue(c, start)
		return
	}
	r.lines++
	r.bytes += len(start)
	switch {
	case len(r.batches) > 0:
		start = WithTag(start, "batch", r.batches[len(r.batches)-1])
	case r.label == "" || r.answered:
	case whole && r.first == nil && r.batch == "":
		start = WithTag(start, "label", r.label)
		r.answered = true
	default:
		if r.batch == "" {
			w.openLabeledBatch(c)
		}
		start = WithTag(start, "batch", r.batch)
	}
	w.enqueue(c, start)
	r.batches = append(r.batches, ref)
}

// EndBatch ends the innermost batch opened in the reply to c's current
// line; it does nothing when none is open.
func (w *World) EndBatch(c *Client) {
	r := &c.req
	n := len(r.batches)
	if n == 0 {
		return
	}
	ref := r.batches[n-1]
	r.batches = r.batches[:n-1]
	end := w.encodeOrLog(&irc.Message{Prefix: w.ServerPrefix(), Command: "BATCH", Params: []string{"-" + ref}})
	switch {
	case n > 1:
		end = WithTag(end, "batch", r.batches[n-2])
	case r.batch != "" && !r.answered:
		end = WithTag(end, "batch", r.batch)
	}
	r.lines++
	r.bytes += len(end)
	w.enqueue(c, end)
}

// DeferLabel takes the label off c's current line, so that the line gets
// neither a labeled reply nor an ACK, and returns it ("" when it had
// none); the reply comes with a later line, which gets it with
// ApplyLabel. A client batch (multiline) is answered when it ends, and
// its label is on its first line. Only code running for c's line may call
// it, before anything was sent.
func (w *World) DeferLabel(c *Client) string {
	r := &c.req
	if w.cur != c || r.lines > 0 || r.first != nil {
		return ""
	}
	label := r.label
	r.label = ""
	return label
}

// ApplyLabel gives c's current line the label an earlier line deferred,
// unless the current line has one of its own or something was already
// sent for it.
func (w *World) ApplyLabel(c *Client, label string) {
	r := &c.req
	if w.cur != c || label == "" || r.label != "" || r.lines > 0 || r.first != nil {
		return
	}
	r.label = label
}

// Deliver queues line for c outside c's request: it is not a reply to
// c's line even if c is handling one (a message c sends to itself is
// delivered to it, and that copy is not labeled; only its echo-message
// copy is the reply).
func (w *World) Deliver(c *Client, line []byte) {
	if line == nil || c.gone || c.sendFail {
		return
	}
	w.enqueue(c, line)
}

// hasBatchTag reports whether an encoded line carries a batch tag.
func hasBatchTag(line []byte) bool {
	if len(line) == 0 || line[0] != '@' {
		return false
	}
	end := bytes.IndexByte(line, ' ')
	if end < 0 {
		return false
	}
	tags := line[1:end]
	for len(tags) > 0 {
		tag := tags
		if i := bytes.IndexByte(tags, ';'); i >= 0 {
			tag, tags = tags[:i], tags[i+1:]
		} else {
			tags = nil
		}
		if k, _, _ := bytes.Cut(tag, []byte{'='}); string(k) == "batch" {
			return true
		}
	}
	return false
}
