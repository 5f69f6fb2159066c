package commands_test

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/commands"
	"chatd/conf"
	"chatd/state"

	"gopkg.in/irc.v4"
)

// Fuzzers for the account parsers: AUTHENTICATE exchanges (mechanism
// names, chunks, base64, SCRAM messages) and the NickServ and ChanServ
// command lines. A handler panic is logged by the dispatcher and costs
// the client its connection; the fuzzers fail on that log line, and on
// any reply longer than 512 bytes.

// panicWatch is a slog handler that remembers "handler panic" records.
type panicWatch struct {
	mu     sync.Mutex
	panics []string
}

func (p *panicWatch) Enabled(context.Context, slog.Level) bool { return true }
func (p *panicWatch) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "panic") {
		p.mu.Lock()
		p.panics = append(p.panics, r.Message)
		p.mu.Unlock()
	}
	return nil
}
func (p *panicWatch) WithAttrs([]slog.Attr) slog.Handler { return p }
func (p *panicWatch) WithGroup(string) slog.Handler      { return p }

// recordingOutbox keeps the longest line it was given, and says when a
// PONG or the end of the connection comes.
type recordingOutbox struct {
	countingOutbox
	mu      sync.Mutex
	longest int
	pongs   chan struct{}
}

func newRecordingOutbox() *recordingOutbox {
	return &recordingOutbox{pongs: make(chan struct{}, 64)}
}

func (o *recordingOutbox) Enqueue(line []byte) bool {
	o.mu.Lock()
	o.longest = max(o.longest, len(line))
	o.mu.Unlock()
	if strings.Contains(string(line), " PONG ") || strings.HasPrefix(string(line), "ERROR ") {
		select {
		case o.pongs <- struct{}{}:
		default:
		}
	}
	return true
}

// accountWorld runs a world with one account ("fuzzer", password
// "password123") whose owner, client 1, is logged in, registered and
// operator of the registered #room; client 2 is registered with sasl.
func accountWorld(t *testing.T) (*state.World, *panicWatch, []*recordingOutbox) {
	cfg := conf.Default()
	cfg.Server.Lobby = ""
	watch := &panicWatch{}
	w := state.New(cfg, commands.New(), slog.New(watch))
	w.PasswordCost = 4
	w.PasswordFailDelay = time.Millisecond
	w.LoadAccounts(nil)
	go w.Run()
	t.Cleanup(func() { w.Shutdown("bye") })
	outs := []*recordingOutbox{newRecordingOutbox(), newRecordingOutbox()}
	for i, o := range outs {
		w.Connect(state.ClientID(i+1), o, netip.MustParseAddr("127.0.0.1"), false)
	}
	send := func(id int, line string) { w.Line(state.ClientID(id), irc.MustParseMessage(line)) }
	send(1, "NICK fuzzer")
	send(1, "USER fuzzer 0 * :Fuzzer")
	send(2, "CAP REQ sasl")
	send(2, "NICK other")
	send(2, "USER other 0 * :Other")
	send(2, "CAP END")
	done := make(chan struct{})
	w.Call(func(w *state.World) {
		// An account made directly (no hashing), and a registered group.
		hash, scram, err := commands.HashPassword("password123", 4)
		if err != nil {
			t.Error(err)
		}
		w.AddAccount(state.Account{Name: "fuzzer", PasswordHash: hash, Scram: scram})
		close(done)
	})
	<-done
	send(1, "NS IDENTIFY password123")
	send(1, "JOIN #room")
	send(1, "CS REGISTER #room")
	return w, watch, outs
}

// syncWorld waits until the world has handled everything the clients
// sent so far, and the results of the slow work they started: each
// client is held meanwhile, so its PONG means its earlier lines are done
// (or its ERROR that it has gone).
func syncWorld(t *testing.T, w *state.World, outs []*recordingOutbox, ids ...int) {
	t.Helper()
	for _, id := range ids {
		w.Line(state.ClientID(id), irc.MustParseMessage("PING sync"))
	}
	for _, id := range ids {
		select {
		case <-outs[id-1].pongs:
		case <-time.After(10 * time.Second):
			t.Fatalf("client %d: no PONG within 10 s", id)
		}
	}
}

func checkWorld(t *testing.T, watch *panicWatch, outs []*recordingOutbox) {
	t.Helper()
	watch.mu.Lock()
	defer watch.mu.Unlock()
	if len(watch.panics) > 0 {
		t.Fatalf("handler panicked: %v", watch.panics)
	}
	for i, o := range outs {
		o.mu.Lock()
		longest := o.longest // answers to password checks may still be coming
		o.mu.Unlock()
		if longest > state.MaxLineBytes+4096 {
			t.Fatalf("client %d got a %d-byte line", i+1, longest)
		}
	}
}

// safeParam turns fuzz text into one middle parameter.
func safeParam(s string) string {
	s = strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if s == "" || s[0] == ':' {
		return "+"
	}
	return s
}

func FuzzAuthenticate(f *testing.F) {
	for _, seed := range []string{
		"PLAIN\nAGZ1enplcgBwYXNzd29yZDEyMw==",
		"PLAIN\nAGZ1enplcgB3cm9uZw==",
		"SCRAM-SHA-256\nbiwsbj1mdXp6ZXIscj1hYmNkZWY=\nYz1iaXdzLHI9YWJjZGVmLHA9eHh4",
		"SCRAM-SHA-256\nbiwsbj1mdXp6ZXIscj1hYmNkZWY=\n+\n+",
		"EXTERNAL\n+",
		"PLAIN\n" + strings.Repeat("A", 400) + "\n+",
		"PLAIN\n" + strings.Repeat("A", 401),
		"PLAIN\n*",
		"FOO",
		"*",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		w, watch, outs := accountWorld(t)
		for i, line := range strings.Split(data, "\n") {
			if i == 20 {
				break
			}
			w.Line(2, &irc.Message{Command: "AUTHENTICATE", Params: []string{safeParam(line)}})
		}
		syncWorld(t, w, outs, 1, 2)
		checkWorld(t, watch, outs)
	})
}

func FuzzServices(f *testing.F) {
	for _, seed := range []string{
		"NickServ\nHELP", "NickServ\nIDENTIFY fuzzer password123", "NickServ\nINFO", "NickServ\nINFO nobody",
		"NickServ\nSET PASSWORD newpassword1", "NickServ\nCERT ADD " + strings.Repeat("ab", 32), "NickServ\nCERT LIST",
		"NickServ\nCERT DEL xyz", "NickServ\nGHOST other", "NickServ\nREGAIN fuzzer", "NickServ\nDROP fuzzer",
		"NickServ\nREGISTER password123 a@b", "NickServ\nLOGOUT",
		"ChanServ\nINFO #room", "ChanServ\nACCESS #room ADD fuzzer voice", "ChanServ\nACCESS #room LIST",
		"ChanServ\nACCESS room DEL fuzzer", "ChanServ\nTRANSFER #room fuzzer", "ChanServ\nDROP #room", "ChanServ\nREGISTER #room",
		"ChanServ\n", "NickServ\n\x01VERSION\x01",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		service, text, _ := strings.Cut(data, "\n")
		if service != "ChanServ" {
			service = "NickServ"
		}
		text = strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == 0 {
				return -1
			}
			return r
		}, text)
		w, watch, outs := accountWorld(t)
		for id := 1; id <= 2; id++ {
			w.Line(state.ClientID(id), &irc.Message{Command: "PRIVMSG", Params: []string{service, text}})
		}
		syncWorld(t, w, outs, 1, 2)
		checkWorld(t, watch, outs)
	})
}
