package commands

import (
	"io"
	"log/slog"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/conf"
	"chatd/passcheck"
	"chatd/state"

	"gopkg.in/irc.v4"
)

// orderOutbox appends every line it is given, for every client, to one
// shared log, so the order of answers across clients can be checked.
type orderOutbox struct {
	name string
	log  *orderLog
}

type orderLog struct {
	mu    sync.Mutex
	lines []string
	added chan struct{}
}

func (o *orderOutbox) Enqueue(line []byte) bool {
	o.log.mu.Lock()
	o.log.lines = append(o.log.lines, o.name+" "+strings.TrimSuffix(string(line), "\r\n"))
	o.log.mu.Unlock()
	select {
	case o.log.added <- struct{}{}:
	default:
	}
	return true
}
func (o *orderOutbox) Flush()                       {}
func (o *orderOutbox) Close()                       {}
func (o *orderOutbox) Registered()                  {}
func (o *orderOutbox) SetFloodExempt(bool)          {}
func (o *orderOutbox) Queued() int                  { return 0 }
func (o *orderOutbox) WhenDrained(_ int, fn func()) { fn() }
func (o *orderOutbox) Congested() bool              { return false }
func (o *orderOutbox) WaitFor(state.Outbox)         {}

// TestCleanAttemptGoesBeforeSuspects: with the one hashing slot busy, an
// OPER from a client and address without failures is checked before the
// attempts of a guesser that failed already, although it came later: a
// real operator is not queued behind guessers. (Its own share of the
// budget, taken as it starts, must not make it look suspect.)
func TestCleanAttemptGoesBeforeSuspects(t *testing.T) {
	cfg := conf.Default()
	cfg.Server.Lobby = ""
	cfg.Opers = []conf.Oper{{Name: "admin", PasswordHash: "$2a$04$41TcQCAa5ZBNa4FKSO1cMOENTtU9akbE.VsN6jDx/UlIw4nHCLjx6"}} // "secret"
	w := state.New(cfg, New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.PasswordFailDelay = time.Millisecond
	go w.Run()
	t.Cleanup(func() { w.Shutdown("bye") })

	log := &orderLog{added: make(chan struct{}, 1)}
	clients := map[string]netip.Addr{"guesser": netip.MustParseAddr("192.0.2.1"), "op": netip.MustParseAddr("198.51.100.1")}
	id := state.ClientID(0)
	ids := map[string]state.ClientID{}
	for _, name := range []string{"guesser", "op"} {
		id++
		ids[name] = id
		w.Connect(id, &orderOutbox{name: name, log: log}, clients[name], false)
		w.Line(id, irc.MustParseMessage("NICK "+name))
		w.Line(id, irc.MustParseMessage("USER "+name+" 0 * :x"))
	}
	// One slot, kept busy until both attempts wait for it.
	hashes := passcheck.New(1)
	release := make(chan struct{})
	busy := make(chan struct{})
	go hashes.Run(passcheck.Clean, func() { close(busy); <-release })
	<-busy
	w.Call(func(w *state.World) {
		ac := accountsOf(w)
		ac.hashes = hashes
		ac.oper.Fail(w.Now(), uint64(ids["guesser"]), clients["guesser"], "") // it failed before
	})
	w.Line(ids["guesser"], irc.MustParseMessage("OPER admin wrong"))
	w.Call(func(*state.World) {})
	w.Line(ids["op"], irc.MustParseMessage("OPER admin secret"))
	w.Call(func(*state.World) {})
	// Both checks run on goroutines of their own: release the slot only
	// once both wait for it, or the first to arrive could simply take it.
	for start := time.Now(); hashes.Waiting() < 2; runtime.Gosched() {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%d checks wait for the slot, want 2", hashes.Waiting())
		}
	}
	close(release)

	deadline := time.After(10 * time.Second)
	var answers []string
	for len(answers) < 2 {
		select {
		case <-log.added:
		case <-deadline:
			t.Fatalf("answers so far: %q", answers)
		}
		log.mu.Lock()
		answers = answers[:0]
		for _, l := range log.lines {
			if strings.Contains(l, " 381 ") || strings.Contains(l, " 464 ") {
				answers = append(answers, l)
			}
		}
		log.mu.Unlock()
	}
	if !strings.HasPrefix(answers[0], "op ") || !strings.Contains(answers[0], " 381 ") {
		t.Fatalf("answers in order %q: the clean operator should have been checked first", answers)
	}
}
