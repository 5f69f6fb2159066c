package ircd

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"chatd/commands"
	"chatd/conf"
	"chatd/state"

	"golang.org/x/crypto/bcrypt"
)

// FuzzDispatch feeds random lines from several clients to one World (the
// real state goroutine and command table) and checks, after every line,
// everything the server queued: each line ends in CRLF and holds no other
// CR, LF or NUL, is at most 512 bytes without its tags (tags at most 8191),
// is valid UTF-8, and parses; nothing is queued on a connection after it
// was closed, and a connection is closed only after its ERROR line (unless
// its send queue had overflowed); and nothing is logged at ERROR level (a
// handler panic, a handler error or a line that could not be encoded).
//
// The input is lines separated by "\n". A line's first byte picks what
// happens: '0'..'3' (or any byte, modulo 4) is a line from that client,
// 'a'..'d' is that client's connection dropping (it reconnects
// unregistered). Each line goes the way a socket's line goes: classify
// (the reader's checks: too long, NUL, CR, invalid UTF-8, too many
// parameters become the corresponding refusal, unparsable lines are
// ignored), then conn.submit to the World. It lives in package ircd so
// that it fuzzes that real classifier, not a copy of it. Clients 0..2
// start registered (in the lobby); client 3 starts unregistered. Client 0
// can become an operator with "OPER admin secret".
//
//	go test -run '^$' -fuzz '^FuzzDispatch$' -fuzztime=20s ./ircd
func FuzzDispatch(f *testing.F) {
	f.Add([]byte("0JOIN #a\n1JOIN #a\n0PRIVMSG #a :hi\n3NICK x\nb\n1QUIT :bye"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := newFuzzWorld(t)
		defer h.stop()
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			sel, rest := line[0], line[1:]
			switch {
			case sel >= 'a' && sel <= 'd':
				h.reconnect(int(sel - 'a'))
				h.w.Call(func(*state.World) {}) // everything caused is queued now
			default:
				i := int(sel) % fuzzClients
				o := h.outs[h.ids[i]]
				before := o.count()
				h.line(i, rest)
				h.w.Call(func(*state.World) {})
				if m := classify(rest).msg; m != nil && m.Command == "OPER" {
					h.awaitReply(o, before) // the password is checked off the state goroutine
				}
			}
			h.check(fmt.Sprintf("after %q", line))
		}
	})
}

const fuzzClients = 4

var (
	operHashOnce sync.Once
	operHash     string
)

// fuzzWorld is a World running on its own goroutine with fake outboxes.
type fuzzWorld struct {
	t    *testing.T
	w    *state.World
	srv  *Server // only its world: what conn.submit needs
	ids  [fuzzClients]state.ClientID
	outs map[state.ClientID]*fuzzOutbox
	next state.ClientID
	errs *fuzzErrorLog
	done chan struct{}
}

func newFuzzWorld(t *testing.T) *fuzzWorld {
	operHashOnce.Do(func() {
		b, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
		if err != nil {
			panic(err)
		}
		operHash = string(b)
	})
	cfg := conf.Default()
	cfg.Server.Name = "chatd.test"
	cfg.Limits.WhowasLength = 8
	cfg.Opers = []conf.Oper{{Name: "admin", PasswordHash: operHash}}
	errs := &fuzzErrorLog{}
	h := &fuzzWorld{t: t, outs: map[state.ClientID]*fuzzOutbox{}, errs: errs, done: make(chan struct{})}
	h.w = state.New(cfg, commands.New(), slog.New(errs))
	h.srv = &Server{world: h.w, stats: newStats()}
	go func() { h.w.Run(); close(h.done) }()
	for i := range fuzzClients {
		h.connect(i)
		if i < 3 {
			nick := fmt.Sprintf("c%d", i)
			h.line(i, []byte("NICK "+nick))
			h.line(i, []byte("USER "+nick+" 0 * :Fuzz "+nick))
		}
	}
	h.w.Call(func(*state.World) {})
	h.check("after setting up")
	return h
}

func (h *fuzzWorld) connect(i int) {
	h.next++
	id := h.next
	h.ids[i] = id
	h.outs[id] = &fuzzOutbox{limit: 64 << 10}
	h.w.Connect(id, h.outs[id], netip.MustParseAddr("127.0.0.1"), false)
}

func (h *fuzzWorld) reconnect(i int) {
	h.w.Gone(h.ids[i], "Connection closed")
	h.connect(i)
}

// line hands raw to the World as a connection's reader does: the line
// reader strips a CR before the LF, classify checks and parses, and
// submit passes on a message or a refusal.
func (h *fuzzWorld) line(i int, raw []byte) {
	c := &conn{srv: h.srv, id: h.ids[i]}
	c.submit(classify(bytes.TrimSuffix(raw, []byte("\r"))))
}

// awaitReply waits, polling with a deadline, until o has been sent more
// than before lines (or closed).
func (h *fuzzWorld) awaitReply(o *fuzzOutbox, before int) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for o.count() == before && !o.isClosed() {
		if time.Now().After(deadline) {
			h.t.Fatalf("no reply to OPER within 5s")
		}
		time.Sleep(time.Millisecond) // polling interval
		h.w.Call(func(*state.World) {})
	}
}

// check examines what was queued since the last check; it runs with the
// state goroutine idle (after a Call), so the outboxes are still.
func (h *fuzzWorld) check(when string) {
	h.t.Helper()
	if msgs := h.errs.take(); len(msgs) > 0 {
		h.t.Fatalf("%s: the server logged errors:\n%s", when, strings.Join(msgs, "\n"))
	}
	for id, o := range h.outs {
		o.mu.Lock()
		lines, problems := o.lines, o.problems
		o.lines, o.problems = nil, nil
		o.pending = 0 // the writer has caught up
		o.mu.Unlock()
		for _, p := range problems {
			h.t.Fatalf("%s: client %d: %s", when, id, p)
		}
		for _, l := range lines {
			if why := fuzzBadLine(l); why != "" {
				h.t.Fatalf("%s: client %d was sent %q: %s", when, id, l, why)
			}
		}
	}
}

// fuzzBadLine says what is wrong with one queued line, or "".
func fuzzBadLine(l []byte) string {
	text, ok := bytes.CutSuffix(l, []byte("\r\n"))
	switch {
	case !ok:
		return "no CRLF at the end"
	case bytes.ContainsAny(text, "\r\n\x00"):
		return "CR, LF or NUL inside"
	case !utf8.Valid(text):
		return "invalid UTF-8"
	}
	body, tags := l, []byte(nil)
	if text[0] == '@' {
		sp := bytes.IndexByte(l, ' ')
		if sp < 0 {
			return "tags and nothing else"
		}
		body, tags = l[sp+1:], l[:sp+1]
	}
	if len(body) > state.MaxLineBytes {
		return fmt.Sprintf("%d bytes without tags", len(body))
	}
	if len(tags) > 8191 {
		return fmt.Sprintf("%d bytes of tags", len(tags))
	}
	m := parseMessage(string(text))
	if m == nil {
		return "does not parse"
	}
	if m.Command == "" {
		return "no command"
	}
	return ""
}

// stop shuts the world down, checking what that sent.
func (h *fuzzWorld) stop() {
	h.w.Shutdown("Server shutting down")
	<-h.done
	h.check("after shutdown")
}

// fuzzOutbox records what the state goroutine queues, and behaves like a
// send queue of limit bytes that the writer drains at every check.
type fuzzOutbox struct {
	mu       sync.Mutex
	limit    int
	pending  int
	lines    [][]byte
	total    int    // lines queued ever
	last     []byte // the last line queued, for the ERROR-before-Close check
	refused  bool   // Enqueue has returned false
	closed   bool
	regs     int
	problems []string
}

func (o *fuzzOutbox) Enqueue(line []byte) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		o.problems = append(o.problems, fmt.Sprintf("line queued after Close: %q", line))
	}
	if o.pending+len(line) > o.limit {
		o.refused = true
		return false
	}
	o.pending += len(line)
	o.lines = append(o.lines, bytes.Clone(line))
	o.total++
	o.last = o.lines[len(o.lines)-1]
	return true
}

func (o *fuzzOutbox) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.total
}

func (o *fuzzOutbox) isClosed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closed
}

func (o *fuzzOutbox) Close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.closed && !o.refused && !bytes.HasPrefix(o.last, []byte("ERROR ")) {
		o.problems = append(o.problems, fmt.Sprintf("closed without ERROR; last line %q", o.last))
	}
	o.closed = true
}

func (o *fuzzOutbox) Registered() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.regs++
	if o.regs > 1 {
		o.problems = append(o.problems, "Registered called twice")
	}
}

func (o *fuzzOutbox) SetFloodExempt(bool)  {}
func (o *fuzzOutbox) Congested() bool      { return false }
func (o *fuzzOutbox) WaitFor(state.Outbox) {}
func (o *fuzzOutbox) Flush()               {}

// Queued is what waits; the fuzz harness's writer drains at every check.
func (o *fuzzOutbox) Queued() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pending
}
func (o *fuzzOutbox) WhenDrained(_ int, fn func()) { fn() }

// fuzzErrorLog is a slog.Handler that keeps ERROR records.
type fuzzErrorLog struct {
	mu   sync.Mutex
	msgs []string
}

func (e *fuzzErrorLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (e *fuzzErrorLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	e.mu.Lock()
	e.msgs = append(e.msgs, b.String())
	e.mu.Unlock()
	return nil
}
func (e *fuzzErrorLog) WithAttrs([]slog.Attr) slog.Handler { return e }
func (e *fuzzErrorLog) WithGroup(string) slog.Handler      { return e }

func (e *fuzzErrorLog) take() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.msgs
	e.msgs = nil
	return m
}
