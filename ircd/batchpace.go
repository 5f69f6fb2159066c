package ircd

import (
	"bytes"
	"strings"
	"time"

	"chatd/state"
)

// Flood control and multiline batches. A draft/multiline message is one
// message to its reader, but the server relays every one of its lines to
// every recipient, so its lines cost what as many single lines cost: one
// token each. What changes is when they are paid for. Paced line by line,
// a 32-line paste would trickle in at per_second and reach its readers
// only when its last line did, seconds later (and a batch of more than
// 10*burst lines would be cut off as Excess Flood); yet the spec's point
// is a message that arrives whole, and clients send a batch "all at
// once". So the lines of an open batch, and its BATCH -ref, are let
// through at once and charged to the bucket, which may go below zero:
// the client's next lines wait until the debt is paid. The rate over time
// is the same as without batches, the burst is at most max_lines + 1
// lines more (lines past max_lines are paced as usual: the world refuses
// them anyway), and the BATCH +ref that opens a batch needs a token of
// its own, so one batch's debt is paid before the next may open.
//
// The reader follows the client's batch in arrival order, which is the
// order the world handles lines in. It parses (with irc.v4, as classify
// does) only BATCH lines and, while a batch is open, lines whose tags
// mention batch; everything else costs what it did.

// batchFree reports whether line (not yet paced) belongs to the multiline
// batch the client has open, so that flood control lets it through now
// and charges it afterwards; it notes the batch's start and end.
func (r *reader) batchFree(line []byte) bool {
	ml := r.cfg.Multiline
	if ml.MaxBytes == 0 || len(line) == 0 {
		return false
	}
	// Only a BATCH or a line with a batch tag concerns the batch; other
	// lines are not parsed twice (the world's copy is parsed on its turn).
	body, tags := line, []byte(nil)
	if line[0] == '@' {
		sp := bytes.IndexByte(line, ' ')
		if sp < 0 {
			return false
		}
		body, tags = line[sp+1:], line[:sp]
	}
	isBatch := len(body) > 6 && bytes.EqualFold(body[:6], []byte("BATCH "))
	if !isBatch && (r.batchRef == "" || !bytes.Contains(tags, []byte("batch="))) {
		return false
	}
	m := classify(line).msg
	if m == nil {
		return false
	}
	ref, tagged := m.Tags["batch"]
	switch {
	case m.Command == "BATCH" && !tagged && len(m.Params) >= 2 && strings.HasPrefix(m.Params[0], "+") && m.Params[1] == state.MultilineBatch:
		r.batchRef, r.batchLines = m.Params[0][1:], 0
		return false // the opening is paced as any line
	case r.batchRef == "":
		return false
	case m.Command == "BATCH" && !tagged && len(m.Params) >= 1 && m.Params[0] == "-"+r.batchRef:
		r.batchRef = ""
		return true
	case tagged && ref == r.batchRef && r.batchLines < ml.MaxLines:
		r.batchLines++
		return true
	}
	return false
}

// batchLineBytes is the most a line of a multiline batch takes as a
// well-behaved client sends it: a line of MaxLineBytes and its tags
// (batch=<reference of at most 64 bytes>;draft/multiline-concat).
const batchLineBytes = state.MaxLineBytes + 128

// flooding reports whether the held lines make the client a flood: more
// than 10 bursts of them, or floodHeldBytes, not counting the lines of one
// multiline batch. A batch sent while the client's earlier lines wait
// for their turn (a paste right after a few lines, or after another
// batch) waits behind them whole, and may hold up to max_lines + 1 lines
// (BATCH -ref) more than ten bursts: it is not a flood for that, as it
// is not when nothing waits (it goes at once and is paid for after).
func (r *reader) flooding() bool {
	lines, size := len(r.held), r.heldBytes
	if ml := r.cfg.Multiline; ml.MaxBytes > 0 {
		lines -= min(r.heldFree, ml.MaxLines+1)
		size -= min(r.heldFreeBytes, (ml.MaxLines+1)*(batchLineBytes+heldLineOverhead))
	}
	return lines > r.ceiling || size > floodHeldBytes
}

// spend takes a token now even if there is none: the bucket goes into
// debt, which its refill pays back before take succeeds again.
func (b *tokenBucket) spend(now time.Time) bool {
	b.refill(now)
	b.tokens--
	return true
}
