package commands_test

import (
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"chatd/commands"
	"chatd/conf"
	"chatd/state"

	"gopkg.in/irc.v4"
)

// multilineWorld is a running world with two registered clients, a (with
// batch and draft/multiline) and b.
func multilineWorld(t *testing.T) (*state.World, *countingOutbox) {
	t.Helper()
	cfg := conf.Default()
	cfg.Server.Lobby = ""
	w := state.New(cfg, commands.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	go w.Run()
	t.Cleanup(func() { w.Shutdown("bye") })
	outs := []*countingOutbox{{}, {}}
	for i, nick := range []string{"a", "b"} {
		id := state.ClientID(i + 1)
		w.Connect(id, outs[i], netip.MustParseAddr("127.0.0.1"), false)
		w.Line(id, irc.MustParseMessage("NICK "+nick))
		w.Line(id, irc.MustParseMessage("USER "+nick+" 0 * :"+nick))
	}
	w.Line(1, irc.MustParseMessage("CAP REQ :batch draft/multiline"))
	w.Call(func(*state.World) {})
	return w, outs[1]
}

// An open batch holds a timer, so the world cannot be snapshotted; the
// batch's end, or its client's leaving, gives the timer up at once.
func TestMultilineTimerGivenUp(t *testing.T) {
	w, bOut := multilineWorld(t)
	waiting := func() (n int, quiet bool) {
		w.Call(func(w *state.World) { n, quiet = w.Waiting(), w.Quiescent() })
		return
	}
	w.Line(1, irc.MustParseMessage("BATCH +x draft/multiline b"))
	w.Line(1, irc.MustParseMessage("@batch=x PRIVMSG b :hello"))
	if n, quiet := waiting(); n != 1 || quiet {
		t.Fatalf("with a batch open: %d continuations waiting, quiescent %v; want 1, false", n, quiet)
	}
	before := bOut.lines.Load()
	w.Line(1, irc.MustParseMessage("BATCH -x"))
	if n, quiet := waiting(); n != 0 || !quiet {
		t.Fatalf("after BATCH -x: %d continuations waiting, quiescent %v; want 0, true", n, quiet)
	}
	if got := bOut.lines.Load() - before; got != 1 {
		t.Fatalf("b got %d lines, want the message's one", got)
	}
	w.Line(1, irc.MustParseMessage("BATCH +y draft/multiline b"))
	if n, _ := waiting(); n != 1 {
		t.Fatalf("with a batch open: %d continuations waiting, want 1", n)
	}
	w.Gone(1, "Connection closed")
	if n, quiet := waiting(); n != 0 || !quiet {
		t.Fatalf("after the client left: %d continuations waiting, quiescent %v; want 0, true", n, quiet)
	}
}

// A refused batch stays dead, without a timer, until the client ends it:
// the world is quiescent meanwhile, and a snapshot keeps the dead batch
// (so that a restored world goes on dropping its lines quietly).
func TestMultilineDeadBatchInSnapshot(t *testing.T) {
	w, _ := multilineWorld(t)
	w.Line(1, irc.MustParseMessage("BATCH +x draft/multiline b"))
	w.Line(1, irc.MustParseMessage("@batch=x PRIVMSG #elsewhere :hello")) // MULTILINE_INVALID_TARGET
	var snap []byte
	var err error
	w.Call(func(w *state.World) {
		if !w.Quiescent() {
			t.Error("a world whose only batch is dead should be quiescent")
		}
		snap, err = w.TakeSnapshot()
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(snap), `"batch":{"ref":"x","dead":true}`) {
		t.Fatalf("the snapshot does not keep the dead batch: %.300s...", snap)
	}
	r := state.New(conf.Default(), commands.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := r.RestoreSnapshot(snap); err != nil {
		t.Fatal(err)
	}
	go r.Run()
	t.Cleanup(func() { r.Shutdown("bye") })
	r.Call(func(r *state.World) {
		c := r.ClientByNick("a")
		if c == nil || c.Batch == nil || c.Batch.Ref != "x" || !c.Batch.Dead {
			t.Fatalf("restored client a has batch %+v, want x, dead", c.Batch)
		}
	})
}
