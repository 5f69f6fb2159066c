package state

import (
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"chatd/conf"

	"gopkg.in/irc.v4"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Alice":     "alice",
		"[x]\\~":    "{x}|^",
		"#Chan{}":   "#chan{}",
		"already":   "already",
		"ÄNonASCII": "Änonascii", // only ASCII letters fold
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEncodeRefusesInjection(t *testing.T) {
	bad := []*irc.Message{
		{Command: "PRIVMSG", Params: []string{"#a", "hi\r\nQUIT"}},
		{Command: "PRIVMSG", Params: []string{"#a b", "hi"}},
		{Command: "PRIVMSG", Params: []string{":x", "hi"}},
		{Command: "PRIVMSG", Params: []string{"", "hi"}},
		{Command: "PRIVMSG", Params: []string{"#a", "nul\x00"}},
		{Command: "PRIV MSG", Params: []string{"#a"}},
		{Command: ""},
		{Prefix: &irc.Prefix{Name: "a b"}, Command: "NICK", Params: []string{"c"}},
		{Prefix: &irc.Prefix{Name: "a", User: "u", Host: "h\r\n"}, Command: "NICK", Params: []string{"c"}},
		{Tags: irc.Tags{"a;b": "1"}, Command: "TAGMSG", Params: []string{"#a"}},
	}
	for _, m := range bad {
		if b, err := Encode(m); !errors.Is(err, ErrBadLine) {
			t.Errorf("Encode(%#v) = %q, %v; want ErrBadLine", m, b, err)
		}
	}
}

func TestEncodeTextParamsAlwaysGetColon(t *testing.T) {
	for _, c := range []struct {
		m    *irc.Message
		want string
	}{
		{&irc.Message{Prefix: &irc.Prefix{Name: "a", User: "u", Host: "h"}, Command: "PRIVMSG", Params: []string{"#c", "hi"}}, ":a!u@h PRIVMSG #c :hi\r\n"},
		{&irc.Message{Command: "PRIVMSG", Params: []string{"#c", ":)"}}, "PRIVMSG #c ::)\r\n"},
		{&irc.Message{Command: "PRIVMSG", Params: []string{"#c", "two words"}}, "PRIVMSG #c :two words\r\n"},
		{&irc.Message{Command: "PART", Params: []string{"#c"}}, "PART #c\r\n"},
		{&irc.Message{Command: "PART", Params: []string{"#c", "bye"}}, "PART #c :bye\r\n"},
		{&irc.Message{Command: "QUIT", Params: []string{""}}, "QUIT :\r\n"},
		{&irc.Message{Command: "MODE", Params: []string{"#c", "+nt"}}, "MODE #c +nt\r\n"},
		{&irc.Message{Command: "353", Params: []string{"me", "=", "#c", "@me"}}, "353 me = #c :@me\r\n"},
	} {
		got, err := Encode(c.m)
		if err != nil || string(got) != c.want {
			t.Errorf("Encode(%v) = %q, %v; want %q", c.m, got, err, c.want)
		}
	}
}

func TestTruncateKeepsLinesWithinLimit(t *testing.T) {
	w := New(conf.Default(), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	long := strings.Repeat("é", 400) // 800 bytes of 2-byte characters
	line := w.encodeOrLog(&irc.Message{Prefix: w.ServerPrefix(), Command: "372", Params: []string{"nick", long}})
	if len(line) > MaxLineBytes || !strings.HasSuffix(string(line), "\r\n") {
		t.Fatalf("line of %d bytes, ends %q", len(line), line[len(line)-2:])
	}
	if body := strings.TrimSuffix(string(line), "\r\n"); !strings.HasSuffix(body, "é") {
		t.Fatalf("cut inside a character: %q", body[len(body)-4:])
	}
}

func TestWhowasRingIsBoundedNewestFirst(t *testing.T) {
	cfg := conf.Default()
	cfg.Limits.WhowasLength = 3
	w := New(cfg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, nick := range []string{"a", "B", "a", "c", "A"} {
		w.whowas.add(WhowasEntry{Nick: nick, User: nick})
	}
	got := w.Whowas("a", 0)
	if len(got) != 2 || got[0].Nick != "A" || got[1].Nick != "a" {
		t.Fatalf("Whowas(a) = %+v, want A then a (the oldest a fell out)", got)
	}
	if got := w.Whowas("b", 0); len(got) != 0 {
		t.Fatalf("Whowas(b) = %+v, want nothing (pushed out by newer entries)", got)
	}
	if got := w.Whowas("a", 1); len(got) != 1 {
		t.Fatalf("count 1 gave %d entries", len(got))
	}
}

type nopOutbox struct{ closed bool }

func (o *nopOutbox) Enqueue([]byte) bool          { return true }
func (o *nopOutbox) Flush()                       {}
func (o *nopOutbox) Close()                       { o.closed = true }
func (o *nopOutbox) Registered()                  {}
func (o *nopOutbox) SetFloodExempt(bool)          {}
func (o *nopOutbox) Queued() int                  { return 0 }
func (o *nopOutbox) WhenDrained(_ int, fn func()) { fn() }
func (o *nopOutbox) Congested() bool              { return false }
func (o *nopOutbox) WaitFor(Outbox)               {}

func TestModeCountsFollowChanges(t *testing.T) {
	w := New(conf.Default(), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	c := newClient(1, &nopOutbox{}, netip.MustParseAddr("127.0.0.1"), false, time.Time{})
	w.clients[c.ID] = c
	w.unregistered++
	w.SetUserModes(c, UserInvisible) // before registration: not counted yet
	if w.InvisibleCount() != 0 {
		t.Fatalf("unregistered client counted as invisible")
	}
	w.SetNick(c, "n")
	w.Register(c)
	if w.InvisibleCount() != 1 || w.UserCount() != 1 {
		t.Fatalf("after register: invisible %d users %d", w.InvisibleCount(), w.UserCount())
	}
	w.SetOper(c, true)
	if w.OperCount() != 1 {
		t.Fatalf("opers = %d", w.OperCount())
	}
	w.Quit(c, "bye")
	if w.InvisibleCount() != 0 || w.OperCount() != 0 || w.UserCount() != 0 {
		t.Fatalf("after quit: invisible %d opers %d users %d", w.InvisibleCount(), w.OperCount(), w.UserCount())
	}
}

func TestRelayMsgidSharedByCopiesUniquePerMessage(t *testing.T) {
	w := New(conf.Default(), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	msg := &irc.Message{Prefix: &irc.Prefix{Name: "a", User: "u", Host: "h"}, Command: "PRIVMSG", Params: []string{"#c", "hi"}}
	tagged := CapSet(0).With(CapMessageTags, true)
	msgid := func(line []byte) string {
		m, err := irc.ParseMessage(string(line))
		if err != nil {
			t.Fatal(err)
		}
		return m.Tags["msgid"]
	}
	first := w.NewRelay(msg, irc.Tags{"+x": "1"})
	a, b := msgid(first.Line(tagged)), msgid(first.Line(tagged.With(CapServerTime, true)))
	if a == "" || a != b {
		t.Fatalf("copies of one relay have msgids %q and %q", a, b)
	}
	if plain := first.Line(0); strings.HasPrefix(string(plain), "@") {
		t.Fatalf("a client without message-tags got tags: %q", plain)
	}
	if c := msgid(w.NewRelay(msg, nil).Line(tagged)); c == "" || c == a {
		t.Fatalf("second relay's msgid %q, first %q: want a new one", c, a)
	}
}

// ReplaceChannels (after another process changed the store) keeps a
// registered group's live settings, drops groups gone from the snapshot
// and adds new ones.
func TestReplaceChannelsKeepsLiveSettings(t *testing.T) {
	w := New(conf.Default(), func(*World, *Client, *irc.Message) {}, nil)
	w.LoadChannels([]ChannelRecord{
		{Name: "#keep", Owner: "alice", Topic: "old", Registered: time.Unix(1, 0)},
		{Name: "#gone", Owner: "bob", Registered: time.Unix(1, 0)},
	})
	w.Channel("#keep").Topic = "newer than the snapshot"
	w.ReplaceChannels([]ChannelRecord{
		{Name: "#keep", Owner: "carol", Topic: "old", Access: map[string]string{"dave": AccessVoice}},
		{Name: "#new", Owner: "erin", Topic: "hello"},
	})
	keep := w.Channel("#keep")
	if keep == nil || keep.Reg == nil || keep.Topic != "newer than the snapshot" || keep.Reg.Owner != "carol" || keep.Reg.Access["dave"] != AccessVoice {
		t.Fatalf("#keep after ReplaceChannels: %+v %+v", keep, keep.Reg)
	}
	if w.Channel("#gone") != nil {
		t.Errorf("#gone (empty, no longer registered) still exists")
	}
	if n := w.Channel("#new"); n == nil || n.Reg == nil || n.Topic != "hello" {
		t.Errorf("#new not loaded: %+v", n)
	}
}

func TestLoggableLineHidesPasswords(t *testing.T) {
	for _, line := range []string{"PASS alice:secret", "OPER admin secret", "AUTHENTICATE AGFsaWNlAHNlY3JldA==",
		"REGISTER * * secret", "NS IDENTIFY secret", "PRIVMSG nickserv :IDENTIFY secret"} {
		if got := loggableLine(irc.MustParseMessage(line)); strings.Contains(got, "secret") || strings.Contains(got, "AGFs") {
			t.Errorf("%q logged as %q", line, got)
		}
	}
	if got := loggableLine(irc.MustParseMessage("PRIVMSG #c :hello")); got != "PRIVMSG #c hello" && got != "PRIVMSG #c :hello" {
		t.Errorf("an ordinary line logged as %q", got)
	}
}
