package state

import (
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"chatd/conf"
)

type recordingOutbox struct {
	nopOutbox
	lines []string
}

func (o *recordingOutbox) Enqueue(line []byte) bool {
	o.lines = append(o.lines, string(line))
	return true
}

// A Reply carries each recipient's own nick, stays within 512 bytes
// whatever the nick's length, and ConfigReplies builds a set once per
// config: again after the config changes, never between.
func TestReplyPerRecipientAndPerConfig(t *testing.T) {
	w := New(conf.Default(), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	out := &recordingOutbox{}
	c := newClient(1, out, netip.MustParseAddr("127.0.0.1"), false, time.Time{})
	w.SetNick(c, "alice")

	builds := 0
	build := func(w *World) []Reply {
		builds++
		return []Reply{w.NewReply("372", "- "+w.Config.Server.Name), w.NewReply("372", strings.Repeat("x", 500))}
	}
	for range 2 {
		for _, r := range w.ConfigReplies("test", build) {
			w.SendReply(c, r)
		}
	}
	if builds != 1 {
		t.Fatalf("built %d times for one config, want 1", builds)
	}
	if want := ":chatd.local 372 alice :- chatd.local\r\n"; out.lines[0] != want || out.lines[2] != want {
		t.Fatalf("got %q, want %q twice", out.lines, want)
	}
	if long := out.lines[1]; len(long) != MaxLineBytes || !strings.HasPrefix(long, ":chatd.local 372 alice :xxx") || !strings.HasSuffix(long, "x\r\n") {
		t.Fatalf("over-long reply: %d bytes %q", len(long), long)
	}

	cfg := *w.Config
	cfg.Server.Name = "other.test"
	w.Config = &cfg
	out.lines = nil
	w.SetNick(c, "bob")
	for _, r := range w.ConfigReplies("test", build) {
		w.SendReply(c, r)
	}
	if builds != 2 || out.lines[0] != ":other.test 372 bob :- other.test\r\n" {
		t.Fatalf("after a config change: %d builds, %q", builds, out.lines)
	}
}
