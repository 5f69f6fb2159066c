package main

import (
	"io"
	"log"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"
)

// TestLibraryIRCEvent drives chatd with a third-party client library,
// github.com/ergochat/irc-go/ircevent (the client Ergo's own bots use):
// CAP negotiation, registration, JOIN, channel and private PRIVMSG, NICK and
// QUIT, each seen from the other side. Callbacks feed channels; every wait
// is bounded by libraryTimeout.
func TestLibraryIRCEvent(t *testing.T) {
	d, lobby := startTestDaemon(t, nil, []string{"[flood]", "enabled = false"})
	addr := d.addrs()[0].String()

	alice := newLibClient(t, addr, "alice", "server-time", "multi-prefix")
	bob := newLibClient(t, addr, "bob")

	// Registration: Connect returned after the end of the MOTD.
	if got := alice.conn.CurrentNick(); got != "alice" {
		t.Errorf("alice's current nick = %q after registration", got)
	}
	acked := alice.conn.AcknowledgedCaps()
	for _, c := range []string{"server-time", "multi-prefix"} {
		if _, ok := acked[c]; !ok {
			t.Errorf("alice's caps %v lack %q", acked, c)
		}
	}
	if got := alice.conn.ISupport()["NETWORK"]; got == "" {
		t.Errorf("ISUPPORT has no NETWORK: %v", alice.conn.ISupport())
	}
	// Both were put in the lobby.
	if lobby != "" {
		for _, c := range []*libClient{alice, bob} {
			c.expect("own JOIN of the lobby", func(m ircmsg.Message) bool {
				return m.Command == "JOIN" && m.Nick() == c.nick && len(m.Params) > 0 && strings.EqualFold(m.Params[0], lobby)
			})
		}
	}

	// Both join #gophers; alice is first, so she is its operator.
	const channel = "#gophers"
	if err := alice.conn.Join(channel); err != nil {
		t.Fatal(err)
	}
	alice.expect("own JOIN "+channel, isJoin("alice", channel))
	if err := bob.conn.Join(channel); err != nil {
		t.Fatal(err)
	}
	bob.expect("own JOIN "+channel, isJoin("bob", channel))
	names := bob.expect("NAMES reply for "+channel, func(m ircmsg.Message) bool {
		return m.Command == ircevent.RPL_NAMREPLY && len(m.Params) == 4 && m.Params[2] == channel
	})
	if members := strings.Fields(names.Params[3]); !slices.Contains(members, "@alice") || !slices.Contains(members, "bob") {
		t.Errorf("NAMES %s = %q, want @alice and bob", channel, names.Params[3])
	}
	alice.expect("bob's JOIN "+channel, isJoin("bob", channel))

	// A channel message, with a server-time tag for alice (who asked for it).
	if err := alice.conn.Privmsg(channel, "hello, gophers"); err != nil {
		t.Fatal(err)
	}
	bob.expect("alice's channel message", isPrivmsg("alice", channel, "hello, gophers"))
	if err := bob.conn.Privmsg(channel, "hi alice :) how are you?"); err != nil {
		t.Fatal(err)
	}
	m := alice.expect("bob's channel message", isPrivmsg("bob", channel, "hi alice :) how are you?"))
	if ok, ts := m.GetTag("time"); !ok {
		t.Errorf("alice negotiated server-time but %v has no time tag", m)
	} else if _, err := time.Parse("2006-01-02T15:04:05.000Z", ts); err != nil {
		t.Errorf("server-time tag %q: %v", ts, err)
	}
	if ok, _ := bob.last.GetTag("time"); ok {
		t.Errorf("bob did not negotiate server-time but got a time tag")
	}

	// Private messages both ways.
	if err := bob.conn.Privmsg("alice", "psst, alice"); err != nil {
		t.Fatal(err)
	}
	alice.expect("bob's private message", isPrivmsg("bob", "alice", "psst, alice"))
	if err := alice.conn.Privmsg("bob", "what is it?"); err != nil {
		t.Fatal(err)
	}
	bob.expect("alice's private message", isPrivmsg("alice", "bob", "what is it?"))

	// alice becomes alicia; both see it, and the library tracks it.
	alice.conn.SetNick("alicia")
	alice.expect("own NICK change", isNick("alice", "alicia"))
	bob.expect("alice's NICK change", isNick("alice", "alicia"))
	if got := alice.conn.CurrentNick(); got != "alicia" {
		t.Errorf("alice's current nick after NICK = %q, want alicia", got)
	}
	alice.nick = "alicia"
	if err := bob.conn.Privmsg("alicia", "nice new name"); err != nil {
		t.Fatal(err)
	}
	alice.expect("private message to the new nick", isPrivmsg("bob", "alicia", "nice new name"))

	// bob quits with a reason; alicia sees the QUIT and his connection ends.
	bob.conn.QuitMessage = "off to lunch"
	bob.conn.Quit()
	q := alice.expect("bob's QUIT", func(m ircmsg.Message) bool { return m.Command == "QUIT" && m.Nick() == "bob" })
	if len(q.Params) != 1 || !strings.Contains(q.Params[0], "off to lunch") {
		t.Errorf("bob's QUIT params = %q, want the reason %q", q.Params, "off to lunch")
	}
	bob.waitClosed()

	// bob is gone: a message to him is refused with 401.
	if err := alice.conn.Privmsg("bob", "still there?"); err != nil {
		t.Fatal(err)
	}
	alice.expect("ERR_NOSUCHNICK for bob", func(m ircmsg.Message) bool {
		return m.Command == ircevent.ERR_NOSUCHNICK && len(m.Params) > 1 && m.Params[1] == "bob"
	})

	alice.conn.Quit()
	alice.waitClosed()
}

// libraryTimeout bounds every wait for the server in the library test.
const libraryTimeout = 5 * time.Second

// libClient is one ircevent connection whose interesting events are copied
// to a channel by callbacks.
type libClient struct {
	t      *testing.T
	nick   string
	conn   *ircevent.Connection
	events chan ircmsg.Message
	last   ircmsg.Message // the last event expect matched
	done   chan struct{}  // closed when conn.Loop returns
	stop   chan struct{}  // closed at cleanup, unblocks callbacks
}

func newLibClient(t *testing.T, addr, nick string, caps ...string) *libClient {
	t.Helper()
	var logOut io.Writer = io.Discard
	if testing.Verbose() {
		logOut = os.Stderr
	}
	c := &libClient{
		t:      t,
		nick:   nick,
		events: make(chan ircmsg.Message, 256),
		done:   make(chan struct{}),
		stop:   make(chan struct{}),
		conn: &ircevent.Connection{
			Server:      addr,
			Nick:        nick,
			User:        nick,
			RealName:    nick + " (ircevent)",
			RequestCaps: caps,
			Timeout:     libraryTimeout,
			KeepAlive:   time.Minute,
			Debug:       testing.Verbose(),
			Log:         log.New(logOut, nick+" ", log.Lmicroseconds),
		},
	}
	forward := func(m ircmsg.Message) {
		select {
		case c.events <- m:
		case <-c.stop:
		}
	}
	for _, cmd := range []string{"JOIN", "PART", "PRIVMSG", "NOTICE", "NICK", "QUIT", "ERROR",
		ircevent.RPL_NAMREPLY, ircevent.ERR_NOSUCHNICK} {
		c.conn.AddCallback(cmd, forward)
	}
	if err := c.conn.Connect(); err != nil {
		t.Fatalf("%s: connect to %s: %v", nick, addr, err)
	}
	go func() { c.conn.Loop(); close(c.done) }()
	t.Cleanup(func() {
		c.conn.Quit() // a no-op for the server if already quit
		close(c.stop)
		select {
		case <-c.done:
		case <-time.After(libraryTimeout):
			t.Errorf("%s: ircevent Loop did not return after Quit", nick)
		}
	})
	return c
}

// expect skips events until one matches, failing the test after
// libraryTimeout.
func (c *libClient) expect(what string, match func(ircmsg.Message) bool) ircmsg.Message {
	c.t.Helper()
	deadline := time.After(libraryTimeout)
	var seen []string
	for {
		select {
		case m := <-c.events:
			if match(m) {
				c.last = m
				return m
			}
			line, _ := m.LineBytesStrict(false, 0)
			seen = append(seen, strings.TrimSpace(string(line)))
		case <-deadline:
			c.t.Fatalf("%s: no %s within %v; saw:\n%s", c.nick, what, libraryTimeout, strings.Join(seen, "\n"))
		}
	}
}

// waitClosed waits for the connection to end after Quit.
func (c *libClient) waitClosed() {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(libraryTimeout):
		c.t.Fatalf("%s: connection still open %v after QUIT", c.nick, libraryTimeout)
	}
	if c.conn.Connected() {
		c.t.Errorf("%s: library still reports a connection after QUIT", c.nick)
	}
}

func isJoin(nick, channel string) func(ircmsg.Message) bool {
	return func(m ircmsg.Message) bool {
		return m.Command == "JOIN" && m.Nick() == nick && len(m.Params) > 0 && m.Params[0] == channel
	}
}

func isPrivmsg(from, target, text string) func(ircmsg.Message) bool {
	return func(m ircmsg.Message) bool {
		return m.Command == "PRIVMSG" && m.Nick() == from && len(m.Params) == 2 && m.Params[0] == target && m.Params[1] == text
	}
}

func isNick(from, to string) func(ircmsg.Message) bool {
	return func(m ircmsg.Message) bool {
		return m.Command == "NICK" && m.Nick() == from && len(m.Params) == 1 && m.Params[0] == to
	}
}
