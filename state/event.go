package state

import (
	"net/netip"
	"time"

	"chatd/conf"

	"gopkg.in/irc.v4"
)

// Events. Everything that changes the world is an Event, applied on the
// state goroutine in the order of the log: on a single server the log is
// the inbox (an event is stamped when it is taken), on a cluster node it
// is the JetStream stream every node consumes (the stream stamps it).
// Handlers are deterministic functions of (world, event): the time is
// the event's (World.Now), msgids and guest nicks come from counters in
// the world, slow work comes back as a Result event, and the next slice
// of a long reply runs on a Step event. So one recorded sequence of
// events always builds the same world, which is what lets several nodes
// share one world and what TestReplay checks.
//
// Node-local things never go through the log: sockets, parsing, flood
// pacing, markers (World.Marker), functions run with Call or Later, and
// the Outbox of a connection.

// Event is one change to the world, as the log carries it. The concrete
// types are the exported structs below.
type Event interface{ isEvent() }

// Stamp is where an event stands in the log: its sequence number (from 1,
// never reused) and time (never before the previous event's).
type Stamp struct {
	Seq  uint64
	Time time.Time
}

// Connect is a new connection. Out is the connection on the node it
// arrived at and nil on every other node (and in a log); Node names that
// node ("" on a single server).
type Connect struct {
	ID     ClientID
	Node   string
	Addr   netip.Addr
	TLS    bool
	CertFP string // SHA-256 of the TLS client certificate, lower-case hex; "" for none
	Out    Outbox `json:"-"`
}

// Line is a parsed line from a client.
type Line struct {
	ID  ClientID
	Msg *irc.Message
}

// BadLine is a line the reader refused to parse, so that the client is
// told why in order with its other replies.
type BadLine struct {
	ID      ClientID
	Problem LineProblem
	Command string
	// Label is the line's label tag when its tag section could be read:
	// labeled-response wants every reply to a labeled command labeled,
	// the refusal of a line the server could not act on included.
	Label string
}

// Gone is the end of a connection (EOF, error, timeout, its send queue
// overflowing). Force removes the client at once even while its lines
// wait (a send queue that overflowed takes no more replies).
type Gone struct {
	ID     ClientID
	Reason string
	Force  bool
}

// Result carries the outcome of work done off the state goroutine
// (Offload, After, Persist) back to the continuation that waits for it,
// named by Key.
type Result struct {
	Key  uint64
	Data []byte
}

// Step runs the next slice of client ID's long reply (Continue). N is the
// number of steps the client had run before it, so a repeated Step is
// ignored.
type Step struct {
	ID ClientID
	N  uint64
}

// ConfigChange puts a new configuration in force (REHASH, SIGHUP).
type ConfigChange struct {
	Config *conf.Config
}

// StoreChange puts the store's contents in force after another process
// (chatd account ...) changed it.
type StoreChange struct {
	Accounts []Account
	Channels []ChannelRecord
}

func (Connect) isEvent()      {}
func (Line) isEvent()         {}
func (BadLine) isEvent()      {}
func (Gone) isEvent()         {}
func (Result) isEvent()       {}
func (Step) isEvent()         {}
func (ConfigChange) isEvent() {}
func (StoreChange) isEvent()  {}

// Stamped is an event with its place in a log. A cluster's event source
// hands the world Stamped events (World.Apply); a recording is a list of
// them.
type Stamped struct {
	Stamp
	Event Event
	// Node, Epoch and LSeq say which node published the event, in which
	// of its lives, and its place among that life's events ("" and 0 on
	// a single server; state/node.go).
	Node  string
	Epoch uint64
	LSeq  uint64
}

// Record has fn told of every event the world applies, with its stamp, in
// order. For tests (replay) and tools; call it before Run. fn runs on the
// state goroutine; the events must not be changed.
func (w *World) Record(fn func(Stamped)) { w.recorder = fn }

// Seq is the sequence number of the event being handled (of the last one
// outside an event).
func (w *World) Seq() uint64 { return w.seq }

// apply stamps ev as the next event of the log (on a single server, or a
// replica replaying one, where the world is its own log) and handles it.
func (w *World) apply(ev Event) {
	// Round(0) drops the monotonic reading: a stamp is a time of the log,
	// and a log (a recording, a snapshot, JetStream) keeps wall time only,
	// so every world computes durations from the same numbers.
	w.applyStamped(Stamped{Stamp: Stamp{Seq: w.seq + 1, Time: w.clock().Round(0)}, Event: ev})
}

// applyStamped handles one event of the log at its stamp. The time never
// goes backwards: a log whose clock stepped back keeps the last time.
func (w *World) applyStamped(s Stamped) {
	w.seq = s.Seq
	if s.Time.After(w.now) {
		w.now = s.Time
	}
	if w.recorder != nil {
		r := s
		r.Time = w.now
		w.recorder(r)
	}
	if s.Node != "" {
		w.fromNode(s)
		return
	}
	w.handle(s.Event)
}

// LineProblem is what was wrong with a line the reader refused to parse.
type LineProblem uint8

const (
	LineOK            LineProblem = iota
	LineTooLong                   // over 512 bytes, or tags over 8191
	LineHasNUL                    // a NUL byte anywhere
	LineInvalidUTF8               // chatd is UTF-8 only (UTF8ONLY)
	LineTooManyParams             // more than RFC 1459's 15 parameters
	LineHasCR                     // a CR byte other than the one before LF
)

// Replay handles one event of a recorded log at once, on the calling
// goroutine, for a world that is not running (a Replica in tests and
// tools). Connections in the log are other nodes': their Outbox is
// dropped.
func (w *World) Replay(s Stamped) {
	if c, ok := s.Event.(Connect); ok {
		c.Out = nil
		s.Event = c
	}
	w.applyStamped(s)
	w.reapDoomed()
}
