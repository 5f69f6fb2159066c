package state

import (
	"strings"

	"gopkg.in/irc.v4"
)

// Multiline messages (IRCv3 draft/multiline). A client opens a batch
// (BATCH +ref draft/multiline <target>), sends its PRIVMSG or NOTICE
// lines tagged with the batch, and closes it (BATCH -ref); only then is
// the message relayed, as one: a draft/multiline batch of the server's
// own to recipients that negotiated the capability, its lines one by one
// to the others. commands/batch.go and commands/multiline.go own the
// protocol; this file holds what the world keeps of it and the relay.

// ClientBatch is a client's open multiline batch: what it has sent of
// the message so far. Package commands owns what is in it (as with
// AuthState). It is bounded by [multiline] max_bytes and max_lines, and
// while it is open (not Dead) its timeout timer is waiting, so a world
// with one open is never Quiescent; a Dead batch is only a reference.
type ClientBatch struct {
	Ref    string      `json:"ref"`              // the client's reference, as sent
	Target string      `json:"target,omitempty"` // the target named in BATCH +ref
	Verb   string      `json:"verb,omitempty"`   // PRIVMSG or NOTICE, set by the first line
	Lines  []BatchLine `json:"lines,omitempty"`
	Bytes  int         `json:"bytes,omitempty"` // the combined message's size so far (max-bytes)
	Tags   irc.Tags    `json:"tags,omitempty"`  // client-only tags of BATCH +ref: the message's
	Label  string      `json:"label,omitempty"` // labeled-response: BATCH +ref's label, answered at BATCH -ref
	Timer  uint64      `json:"timer,omitempty"` // the key of its timeout (World.Timer)
	// Dead says the batch was refused or timed out: what the client
	// still sends in it is dropped without a word until it ends.
	Dead bool `json:"dead,omitempty"`
}

// Kill makes b dead and frees what it held.
func (b *ClientBatch) Kill() { *b = ClientBatch{Ref: b.Ref, Dead: true} }

// AbandonBatch refuses c's open batch b outside the reply to the line
// being handled (which is not one of the batch's, cannot be told to be,
// or there is none: a timeout): FAIL BATCH code rest..., with the label
// of BATCH +ref itself. b is dead from now on: its timer is cancelled and
// what it held freed.
func (w *World) AbandonBatch(c *Client, b *ClientBatch, code string, rest ...string) {
	label := b.Label
	w.CancelTimer(b.Timer)
	b.Kill()
	msg := &irc.Message{Prefix: w.ServerPrefix(), Command: "FAIL", Params: SafeParams(append([]string{"BATCH", code}, rest...))}
	if label != "" {
		msg.Tags = irc.Tags{"label": label}
	}
	line, err := Encode(msg)
	if err != nil {
		w.Log.Error("multiline FAIL", "err", err)
		return
	}
	w.Deliver(c, line)
}

// BatchLine is one line of a multiline message. Concat says it carried
// draft/multiline-concat: it continues the line before it, with no line
// break between them.
type BatchLine struct {
	Text   string `json:"text"`
	Concat bool   `json:"concat,omitempty"`
}

// Multiline tag and batch type names.
const (
	MultilineBatch  = "draft/multiline"
	MultilineConcat = "draft/multiline-concat"
)

// MultilineFanout is a multiline message on its way to many clients. Each
// of its lines is encoded once (per variant a recipient's capabilities
// call for, as Fanout does), and the same bytes go to every recipient.
type MultilineFanout struct {
	w     *World
	ref   string
	start *Fanout  // :sender BATCH +ref draft/multiline target, with the message's tags
	inner [][]byte // @batch=ref[;draft/multiline-concat] :sender VERB target :text
	end   []byte
	plain []*Fanout // without the capability: each line that is not blank
}

// RelayMultilineToChannel records from's multiline message (verb, to ch
// named target, the lines, its client-only tags) in ch's history and
// prepares it for delivery.
func (w *World) RelayMultilineToChannel(from *Client, ch *Channel, verb string, lines []BatchLine, tags irc.Tags) *MultilineFanout {
	e := w.multilineEntry(from, verb, ch.Name, lines, tags)
	if w.historyOn() {
		w.recordChannel(ch, e)
	} else {
		w.channelRing(ch).push(e.sender()) // as RelayToChannel: REDACT without history
	}
	return w.multilineFanout(e)
}

// RelayMultiline prepares from's multiline message to target for delivery
// without recording it (a STATUSMSG: the channel's history is read by
// every member).
func (w *World) RelayMultiline(from *Client, verb, target string, lines []BatchLine, tags irc.Tags) *MultilineFanout {
	return w.multilineFanout(w.multilineEntry(from, verb, target, lines, tags))
}

// RelayMultilinePrivate records from's multiline message to to in both
// parties' copies of their conversation and prepares it for delivery.
func (w *World) RelayMultilinePrivate(from, to *Client, verb string, lines []BatchLine, tags irc.Tags) *MultilineFanout {
	e := w.multilineEntry(from, verb, to.Nick, lines, tags)
	w.recordPrivate(from, to, e)
	return w.multilineFanout(e)
}

// RelayMultilineOffline is RelayOffline for a multiline PRIVMSG.
func (w *World) RelayMultilineOffline(from *Client, acct *Account, lines []BatchLine, tags irc.Tags) (*MultilineFanout, OfflineMessage) {
	e := w.multilineEntry(from, "PRIVMSG", acct.Name, lines, tags)
	return w.multilineFanout(e), w.keepOffline(from, acct, e)
}

// multilineEntry makes the history entry of a multiline message: its
// first line as Msg (what a reader of one line shows), and every line.
func (w *World) multilineEntry(from *Client, verb, target string, lines []BatchLine, tags irc.Tags) *HistoryEntry {
	prefix := &irc.Prefix{Name: from.Nick, User: from.User, Host: from.Host}
	msg := &irc.Message{Prefix: prefix, Command: verb, Params: []string{target, lines[0].Text}}
	e := w.newEntry(KindMessage, msg, tags, from)
	e.Lines = lines
	return e
}

// MultilineHistory prepares a recorded multiline message for delivery
// again (CHATHISTORY), with the msgid and time it was first sent with.
func (w *World) MultilineHistory(e *HistoryEntry) *MultilineFanout {
	return w.multilineFanout(e)
}

// multilineFanout encodes e's lines: the batch's start carries the
// message's tags (msgid, time, account, the sender's client-only tags),
// its lines only the batch tag and draft/multiline-concat. Without the
// capability a recipient gets the lines that are not blank, the first of
// them with the message's tags and msgid, the others with its time and
// account but no msgid (the spec: "only include a message ID on the first
// message").
func (w *World) multilineFanout(e *HistoryEntry) *MultilineFanout {
	m := e.Msg
	target := m.Params[0]
	f := &MultilineFanout{w: w, ref: w.NewBatchRef()}
	startMsg := &irc.Message{Prefix: m.Prefix, Command: "BATCH", Params: []string{"+" + f.ref, MultilineBatch, target}}
	f.start = w.entryFanout(e, startMsg)
	f.end = w.encodeOrLog(&irc.Message{Prefix: w.ServerPrefix(), Command: "BATCH", Params: []string{"-" + f.ref}})
	first := true
	for _, l := range e.Lines {
		line := &irc.Message{Prefix: m.Prefix, Command: m.Command, Params: []string{target, l.Text}}
		tags := irc.Tags{"batch": f.ref}
		if l.Concat {
			tags[MultilineConcat] = ""
		}
		line.Tags = tags
		f.inner = append(f.inner, w.encodeOrLog(line))
		if l.Text == "" {
			continue // "Servers MUST NOT send blank lines" without the capability
		}
		plain := &irc.Message{Prefix: m.Prefix, Command: m.Command, Params: []string{target, l.Text}}
		out := w.entryFanout(e, plain)
		if !first {
			out.msgid, out.clientTags = "", nil
		}
		first = false
		f.plain = append(f.plain, out)
	}
	return f
}

// Batched reports whether c gets a multiline message as a batch.
func Batched(c *Client) bool { return c.Caps.Has(CapMultiline) && c.Caps.Has(CapBatch) }

// To queues the message for c: as a batch if it negotiated draft/multiline
// (and batch), else line by line. For the client whose line is being
// handled (the echo-message copy) the batch is part of its reply: whole
// says the batch is all of it, so on a labeled line the label goes on the
// batch's start, as the spec asks ("only include the label tag on the
// opening BATCH command").
func (f *MultilineFanout) To(c *Client, whole bool) {
	w := f.w
	if !Batched(c) {
		for _, p := range f.plain {
			p.To(c)
		}
		return
	}
	start := f.start.Line(c.Caps)
	if c == w.cur && c.req.open {
		w.OpenBatch(c, f.ref, start, whole)
		for _, l := range f.inner {
			w.Send(c, l)
		}
		w.EndBatch(c)
		return
	}
	w.Send(c, start)
	for _, l := range f.inner {
		w.Send(c, l)
	}
	w.Send(c, f.end)
}

// Deliver queues the message for c outside c's request (World.Deliver).
func (f *MultilineFanout) Deliver(c *Client) {
	if !Batched(c) {
		for _, p := range f.plain {
			p.Deliver(c)
		}
		return
	}
	f.w.Deliver(c, f.start.Line(c.Caps))
	for _, l := range f.inner {
		f.w.Deliver(c, l)
	}
	f.w.Deliver(c, f.end)
}

// Plain returns the lines a client without the capability is sent, for
// caps, in order.
func (f *MultilineFanout) Plain(caps CapSet) [][]byte {
	out := make([][]byte, 0, len(f.plain))
	for _, p := range f.plain {
		out = append(out, p.Line(caps))
	}
	return out
}

// ToChannel queues the message for every member of ch except skip.
func (f *MultilineFanout) ToChannel(ch *Channel, skip *Client) {
	for m := range ch.members {
		if m != skip {
			f.To(m, false)
		}
	}
}

// MultilineText is the combined message of lines: joined by line feeds,
// except that a concat line follows the one before it directly.
func MultilineText(lines []BatchLine) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 && !l.Concat {
			b.WriteByte('\n')
		}
		b.WriteString(l.Text)
	}
	return b.String()
}
