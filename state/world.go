package state

import (
	"cmp"
	"context"
	"log/slog"
	"net/netip"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"chatd/conf"

	"github.com/google/btree"

	"gopkg.in/irc.v4"
)

// Dispatch handles one parsed line from a client. It runs on the state
// goroutine and is supplied by package commands, which state never imports.
type Dispatch func(w *World, c *Client, m *irc.Message)

// World is the whole chat state. Every method must be called from the state
// goroutine (inside Run, a Dispatch call, or a function passed to Call),
// except Submit-style methods documented otherwise.
type World struct {
	Config  *conf.Config
	Log     *slog.Logger
	Started time.Time
	// Services holds what package commands keeps per world for its account
	// commands (failed-login throttles, the bound on concurrent password
	// hashing); only the state goroutine touches it.
	Services any
	// PasswordCost is the bcrypt cost of new account passwords (0: the
	// default); tests lower it.
	PasswordCost int
	// PasswordFailDelay is how long the answer to a failed password check
	// waits, doubling with the client's consecutive failures (0: the
	// default, see commands/secret.go); tests lower it.
	PasswordFailDelay time.Duration

	dispatch  Dispatch
	inbox     chan event
	mode      Mode
	log       EventLog         // where a cluster node publishes (state/mode.go); nil otherwise
	recorder  func(Stamped)    // see Record
	seq       uint64           // the sequence number of the event being handled
	conts     map[uint64]cont  // continuations waiting for a Result (state/offload.go)
	contSeq   uint64           // the last continuation key handed out
	nodes     map[string]*Node // a cluster's live nodes by name (state/node.go)
	nodeUsers map[string]int   // registered clients by node

	// restoredServices is Services' part of a snapshot, until package
	// commands takes it (RestoredServices).
	restoredServices []byte

	clients   map[ClientID]*Client
	nicks     map[string]*Client      // keyed by Fold(nick), registered or not
	channels  map[string]*Channel     // keyed by Fold(name)
	users     *btree.BTreeG[*Client]  // registered clients by folded nick (state/index.go)
	chanIndex *btree.BTreeG[*Channel] // channels by folded name
	whowas    whowasRing
	watchers  map[string]map[*Client]struct{} // Fold(nick) → clients whose MONITOR list holds it
	// byAccount: Fold(account) → the clients logged in to it, so that
	// reaching an account's sessions (MARKREAD, REDACT, NickServ) costs
	// its sessions, not a walk over every client.
	byAccount map[string]map[*Client]struct{}

	unregistered int
	maxUsers     int
	opers        int
	invisible    int         // registered clients with +i
	serverPrefix *irc.Prefix // see ServerPrefix
	replies      replyCache  // see ConfigReplies
	touched      []*Client   // sent something since the last flush
	epoch        uint64
	batchCount   uint64              // see NewBatchRef
	cur          *Client             // whose line (or reply slice) is being handled: see request
	observe      func(time.Duration) // see ObserveEvents

	// Functions queued by Later, from any goroutine, run between runs of
	// inbox events. Unlike Post, Later never blocks, so a connection's
	// writer (or the state goroutine itself) may call it.
	laterMu sync.Mutex
	later   []func(*World)
	wake    chan struct{} // holds a token while later is not empty

	// doomed holds clients whose send queue overflowed during the current
	// event; they are removed once the event is done, so that a broadcast
	// never removes members from the set it is iterating.
	doomed   []*Client
	stopping bool
	stopped  chan struct{} // closed when Run returns, for Post

	clock func() time.Time // time.Now, or a test's clock (state/clock.go)
	now   time.Time        // the current event's time

	klines     klineSet   // server bans (state/kline.go)
	klineStore KlineStore // where changed K-lines are handed for saving; may be nil
	reloader   Reloader   // REHASH (state/reload.go); may be nil

	store    Store               // where Writes go (state/persist.go); may be nil
	accounts map[string]*Account // keyed by Fold(name) (state/account.go)
	certs    map[string]string   // certificate fingerprint -> Fold(account name)
	pending  map[string]bool     // folded names of accounts being created
	guests   uint64              // guest nicks handed out (state/nickhold.go)
	timers   uint64              // NextTimer
	// localTimers: the running timers this node started (Timer), by
	// continuation key, so that CancelTimer can stop them.
	localTimers map[uint64]*time.Timer

	history historyState // state/history.go
}

// ClientID names a connection for the lifetime of the process.
type ClientID uint64

// Outbox is how the state goroutine reaches a connection. Implementations
// must never block.
type Outbox interface {
	// Enqueue queues one encoded line (CRLF included). It returns false when
	// the connection's send queue is full; the caller then drops the client.
	Enqueue(line []byte) bool
	// Flush starts sending what Enqueue queued. The state goroutine calls it
	// once per touched client after a run of events, so that what one event
	// (a welcome burst, say) produces leaves in one write.
	Flush()
	// Close flushes what is queued (bounded by a short deadline) and closes
	// the connection. It may be called more than once.
	Close()
	// Registered tells the connection that registration completed, so it can
	// switch from the registration timeout to keepalive pings.
	Registered()
	// SetFloodExempt lifts flood control (for operators) or restores it.
	SetFloodExempt(on bool)
	// Queued reports the bytes waiting to be written, the batch being
	// written included.
	Queued() int
	// WhenDrained calls fn once, from any goroutine, as soon as Queued is
	// at most n bytes (at once if it already is), or when the connection
	// closes. Long replies use it to wait for the client to read what it
	// was sent before producing more. fn must not block.
	WhenDrained(n int, fn func())
	// Congested reports whether the queue is past its soft mark (half of
	// sendq_bytes): the client reads more slowly than lines are queued for
	// it. It is an atomic load, cheap enough for every send.
	Congested() bool
	// WaitFor stops reading this connection's lines until other is no
	// longer congested or is closed: TCP then pushes back on a client that
	// sends faster than its recipients read. It never blocks, and does
	// nothing unless other is congested when called. The state goroutine
	// calls it when it queued a line for a congested client while handling
	// this client's line (see state/pushback.go).
	WaitFor(other Outbox)
}

// New builds a World. inboxSize bounds the events waiting for the state
// goroutine; a full inbox pushes back on the readers and so on TCP.
func New(cfg *conf.Config, dispatch Dispatch, log *slog.Logger) *World {
	if log == nil {
		log = slog.Default()
	}
	w := &World{
		Config:      cfg,
		Log:         log,
		Started:     time.Now(),
		dispatch:    dispatch,
		conts:       make(map[uint64]cont),
		nodes:       make(map[string]*Node),
		nodeUsers:   make(map[string]int),
		inbox:       make(chan event, 4096),
		clients:     make(map[ClientID]*Client),
		nicks:       make(map[string]*Client),
		channels:    make(map[string]*Channel),
		users:       newUserIndex(),
		chanIndex:   newChannelIndex(),
		whowas:      newWhowasRing(cfg.Limits.WhowasLength),
		watchers:    make(map[string]map[*Client]struct{}),
		byAccount:   make(map[string]map[*Client]struct{}),
		localTimers: make(map[uint64]*time.Timer),
		accounts:    make(map[string]*Account),
		certs:       make(map[string]string),
		pending:     make(map[string]bool),
		stopped:     make(chan struct{}),
		clock:       time.Now,
		wake:        make(chan struct{}, 1),
	}
	w.klines.init()
	return w
}

// event is what the inbox carries: an Event of the log (stamped when it
// is taken, on a single server), a Stamped one (from a cluster's log), or
// one of the node-local kinds below.
type event interface{}

type markEvent struct {
	id ClientID
	fn func()
}

type callEvent struct {
	fn   func(*World)
	done chan struct{}
}

type shutdownEvent struct {
	reason string
	done   chan struct{}
}

// The entry points below may be called from any goroutine but the state
// goroutine. Each returns once its event is queued, or once the world has
// stopped: a reader blocked on a full inbox when Run returns is let go, and
// one that comes later does not block at all.

// submit queues ev, waiting while the inbox is full; false once Run has
// returned (ev is then dropped).
func (w *World) submit(ev event) bool {
	select {
	case <-w.stopped:
		return false
	default:
	}
	select {
	case w.inbox <- ev:
		return true
	case <-w.stopped:
		return false
	}
}

// Connect announces a new connection. Called from the network side. It
// reports false when the world has stopped (or, on a cluster node, cannot
// reach the log): nobody will ever close out, so the caller must.
func (w *World) Connect(id ClientID, out Outbox, addr netip.Addr, tls bool) bool {
	return w.enter(Connect{ID: id, Out: out, Addr: addr, TLS: tls})
}

// ConnectTLS announces a new TLS connection whose client presented a
// certificate with the SHA-256 fingerprint certFP (lower-case hex; "" for
// none). Called from the network side once the handshake is done.
// It reports false, as Connect does, once the world has stopped.
func (w *World) ConnectTLS(id ClientID, out Outbox, addr netip.Addr, certFP string) bool {
	return w.enter(Connect{ID: id, Out: out, Addr: addr, TLS: true, CertFP: certFP})
}

// Line submits a parsed line from a client. Called from the network side;
// it blocks while the inbox is full, which is the intended back-pressure.
func (w *World) Line(id ClientID, m *irc.Message) {
	w.enter(Line{ID: id, Msg: m})
}

// Marker queues fn behind the client's lines submitted so far: it runs on
// the state goroutine once they have all been handled, or at once if the
// client is unknown or gone. Lines that wait behind a held client (a slow
// check, a long reply) keep its markers waiting too, so a reader that
// counts its markers stops reading a client whose lines pile up, rather
// than those lines piling up on the state goroutine. fn must not block.
// It reports false, and fn never runs, once the world has stopped.
// Markers are node-local: on a cluster node fn runs once the lines went
// through the log and were handled here.
func (w *World) Marker(id ClientID, fn func()) bool {
	if w.log != nil {
		return w.log.Marker(id, fn)
	}
	return w.submit(markEvent{id: id, fn: fn})
}

// AfterLogged queues fn like Marker, for an event source that has just
// handed the world (Apply) the last line it published for client id.
func (w *World) AfterLogged(id ClientID, fn func()) bool {
	return w.submit(markEvent{id: id, fn: fn})
}

// BadLine reports a line the reader refused, so that the state goroutine
// answers it in order with the client's other replies.
func (w *World) BadLine(id ClientID, problem LineProblem, command, label string) {
	w.enter(BadLine{ID: id, Problem: problem, Command: command, Label: label})
}

// Gone reports that a connection ended (EOF, error, timeout). The client is
// removed with reason as its QUIT message, unless it already left.
func (w *World) Gone(id ClientID, reason string) {
	w.enter(Gone{ID: id, Reason: reason})
}

// enter puts an event from the network side into the log: the inbox on a
// single server, the cluster's stream on a node of one.
func (w *World) enter(ev Event) bool {
	if w.log != nil {
		return w.log.Publish(ev)
	}
	return w.submit(ev)
}

// Apply hands the world the next event of a cluster's log, in order. It
// blocks while the inbox is full and reports false once the world has
// stopped. Called by the event source's consumer only.
func (w *World) Apply(s Stamped) bool { return w.submit(s) }

// Call runs fn on the state goroutine and waits for it to finish. It must
// not be called from the state goroutine itself. It reports false, without
// waiting, when the world stopped before fn could run.
func (w *World) Call(fn func(*World)) bool {
	done := make(chan struct{})
	if !w.submit(callEvent{fn: fn, done: done}) {
		return false
	}
	select {
	case <-done:
		return true
	case <-w.stopped:
		select { // fn may have been the last event Run handled
		case <-done:
			return true
		default:
			return false
		}
	}
}

// Shutdown sends every client ERROR with reason, closes every connection and
// stops Run. It waits until that has been done. Calling it again, or
// after Run has returned, does nothing.
func (w *World) Shutdown(reason string) {
	done := make(chan struct{})
	if !w.submit(shutdownEvent{reason: reason, done: done}) {
		return
	}
	select {
	case <-done:
	case <-w.stopped:
	}
}

// maxEventsPerFlush bounds how many already-waiting events are handled
// before the touched connections are flushed: enough to make batches under
// load, few enough that no reply waits more than a fraction of a
// millisecond. An idle server flushes after every event.
const maxEventsPerFlush = 32

// Run is the state goroutine's loop. It returns after Shutdown.
func (w *World) Run() {
	defer close(w.stopped)
	for !w.stopping {
		// Events that are waiting go first; then what Later queued (the
		// next slices of long replies) gets one turn. So a client waits at
		// most one slice of someone else's long reply, and the long reply
		// still moves on at every turn.
		select {
		case ev := <-w.inbox:
			w.steps(ev)
		default:
			select {
			case ev := <-w.inbox:
				w.steps(ev)
			case <-w.wake:
			}
		}
		if !w.stopping {
			w.runLater()
		}
		w.flush()
	}
}

// steps handles ev and up to maxEventsPerFlush-1 events waiting after it.
func (w *World) steps(ev event) {
	w.step(ev)
	for n := 1; n < maxEventsPerFlush && !w.stopping && len(w.inbox) > 0; n++ {
		w.step(<-w.inbox)
	}
}

// Later queues fn to run on the state goroutine between runs of events,
// after the events that are already waiting had their turn. It never blocks and may be called
// from any goroutine, the state goroutine included; fn never runs once
// Run has returned.
func (w *World) Later(fn func(*World)) {
	w.laterMu.Lock()
	w.later = append(w.later, fn)
	w.laterMu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// runLater runs the functions Later queued so far; those they queue in
// turn wait for the next wake-up.
func (w *World) runLater() {
	w.laterMu.Lock()
	fns := w.later
	w.later = nil
	w.laterMu.Unlock()
	for _, fn := range fns {
		if w.stopping {
			return
		}
		start := w.startTiming()
		fn(w)
		w.reapDoomed()
		w.endTiming(start)
	}
}

func (w *World) step(ev event) {
	start := w.startTiming()
	switch ev := ev.(type) {
	case Stamped:
		w.applyStamped(ev)
	case Event:
		w.apply(ev)
	default:
		w.handle(ev)
	}
	w.reapDoomed()
	w.endTiming(start)
}

// QueueLength is the number of events waiting for the state goroutine
// (the inbox holds at most QueueCapacity). Safe from any goroutine; for
// metrics, which must never wait on the state goroutine.
func (w *World) QueueLength() int { return len(w.inbox) }

// QueueCapacity is the inbox's size: past it, readers wait.
func (w *World) QueueCapacity() int { return cap(w.inbox) }

// ObserveEvents has fn told how long each event (and each function Later
// queued: the slices of long replies) kept the state goroutine busy. For
// benchmarks, tests and metrics; call it before Run. fn runs on the state
// goroutine and must be quick.
func (w *World) ObserveEvents(fn func(time.Duration)) { w.observe = fn }

func (w *World) startTiming() time.Time {
	if w.observe == nil {
		return time.Time{}
	}
	return time.Now()
}

func (w *World) endTiming(start time.Time) {
	if w.observe != nil {
		w.observe(time.Since(start))
	}
}

// flush hands every connection that was sent something to its writer,
// and the history recorded meanwhile to the store.
func (w *World) flush() {
	w.flushHistory()
	for i, c := range w.touched {
		c.touched = false
		c.Out.Flush()
		w.touched[i] = nil
	}
	w.touched = w.touched[:0]
}

// handle acts on one event. Events of the log were stamped by the caller
// (applyStamped); a held client's events come back here when it is
// released, at the time of the event that released it.
func (w *World) handle(ev event) {
	switch ev := ev.(type) {
	case Line:
		c := w.clients[ev.ID]
		if c == nil || c.gone || w.holdBack(c, ev) {
			return
		}
		if w.Log.Enabled(context.Background(), slog.LevelDebug) {
			w.Log.Debug("line", "id", c.ID, "nick", c.Nick, "line", loggableLine(ev.Msg))
		}
		w.beginRequest(c, ev.Msg)
		w.dispatchSafely(c, ev.Msg)
		w.endEvent(c)
	case Connect:
		w.connect(ev)
	case BadLine:
		if c := w.clients[ev.ID]; c != nil && !c.gone && !w.holdBack(c, ev) {
			// The refusal is the answer to the line, so it goes through a
			// request like any reply: labeled when the line had a label.
			w.beginRequest(c, &irc.Message{Tags: irc.Tags{"label": ev.Label}})
			if b := c.Batch; b != nil && !b.Dead && ev.Command != "PING" && ev.Command != "PONG" {
				// Whether the line was one of the open multiline
				// batch's or not (its tags were not read), the batch
				// cannot be relayed as sent: without that line, or
				// interrupted by another (commands/batch.go).
				w.AbandonBatch(c, b, "MULTILINE_INVALID", "A line that could not be parsed came while the batch was open; the batch was dropped")
			}
			w.refuseLine(c, ev.Problem, ev.Command)
			w.endEvent(c)
		}
	case Gone:
		c := w.clients[ev.ID]
		if c == nil || c.gone {
			return
		}
		if ev.Force {
			c.held = false
			dropHeld(c)
		} else if w.holdBack(c, ev) {
			return
		}
		w.Quit(c, ev.Reason)
	case Result:
		w.resume(ev)
	case Step:
		if c := w.clients[ev.ID]; c != nil && c.stepsRun == ev.N {
			c.stepsRun++
			w.runStep(c)
		}
	case ConfigChange:
		w.ApplyConfig(ev.Config)
	case StoreChange:
		w.ReplaceAccounts(ev.Accounts)
		w.ReplaceChannels(ev.Channels)
	case markEvent:
		if c := w.clients[ev.id]; c == nil || c.gone || !w.holdBack(c, ev) {
			ev.fn()
		}
	case callEvent:
		ev.fn(w)
		if ev.done != nil {
			close(ev.done)
		}
	case shutdownEvent:
		w.shutdown(ev.reason)
		w.stopping = true
		close(ev.done)
	}
}

// connect adds the client a Connect event announces. A client whose
// connection is on another node gets an Outbox that drops everything.
func (w *World) connect(ev Connect) {
	if w.clients[ev.ID] != nil {
		return // a repeated event
	}
	out := ev.Out
	if out == nil {
		out = remoteOutbox{}
	}
	c := newClient(ev.ID, out, ev.Addr, ev.TLS, w.Now())
	c.CertFP = ev.CertFP
	c.remote = ev.Out == nil
	c.Node = ev.Node
	w.clients[c.ID] = c
	w.unregistered++
}

// dispatchSafely runs the handler; a panic is logged and costs only the
// client that caused it its connection.
func (w *World) dispatchSafely(c *Client, m *irc.Message) {
	defer func() {
		if r := recover(); r != nil {
			w.Log.Error("handler panic", "client", c.ID, "nick", c.Nick, "command", m.Command, "panic", r, "stack", string(debug.Stack()))
			w.cur = nil
			w.Quit(c, "Internal error")
		}
	}()
	w.dispatch(w, c, m)
}

func (w *World) shutdown(reason string) {
	line := w.encodeOrLog(&irc.Message{Command: "ERROR", Params: []string{reason}})
	for _, c := range w.clients {
		if c.gone {
			continue
		}
		c.Out.Enqueue(line)
		c.Out.Close()
		c.gone = true
	}
}

// reapDoomed removes clients whose send queue overflowed. Removing one can
// overflow another's queue (its QUIT is broadcast), hence the loop.
func (w *World) reapDoomed() {
	for len(w.doomed) > 0 {
		// Removing one can overflow others (its QUIT is broadcast); each
		// round goes in ID order, not in the map order that found them.
		round := w.doomed
		w.doomed = nil
		slices.SortFunc(round, func(a, b *Client) int { return cmp.Compare(a.ID, b.ID) })
		for _, c := range round {
			if !c.gone {
				w.dropOverflowed(c)
			}
		}
	}
}

// refuseLine tells a client why its line was not acted on.
func (w *World) refuseLine(c *Client, problem LineProblem, command string) {
	if command == "" || !utf8.ValidString(command) || strings.ContainsAny(command, "\r\n\x00") || command[0] == ':' {
		command = "*" // not safe to echo back
	}
	switch problem {
	case LineTooLong:
		w.Numeric(c, ErrInputTooLong, "Input line was too long")
	case LineHasNUL:
		w.Numeric(c, ErrUnknownError, command, "Line contains a NUL byte")
	case LineInvalidUTF8:
		w.ServerMessage(c, "FAIL", command, "INVALID_UTF8", "Message rejected, your IRC software MUST use UTF-8 encoding on this network")
	case LineTooManyParams:
		w.Numeric(c, ErrUnknownError, command, "Too many parameters")
	case LineHasCR:
		w.Numeric(c, ErrUnknownError, command, "Line contains a CR byte")
	}
}
