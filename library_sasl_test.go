package main

import (
	"io"
	"log"
	"os"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"
)

// TestLibrarySASL logs in with the SASL support of a third-party client
// library (github.com/ergochat/irc-go/ircevent): PLAIN during
// registration, then WHOIS shows the account (330); a wrong password makes
// the library's Connect fail, as it treats SASL failure as fatal.
func TestLibrarySASL(t *testing.T) {
	d, _ := startTestDaemon(t, []string{`lobby = ""`}, nil)
	addr := d.addrs()[0].String()
	registerAccount(t, addr, "libuser", "library password")

	var logOut io.Writer = io.Discard
	if testing.Verbose() {
		logOut = os.Stderr
	}
	connect := func(nick, password string) (*ircevent.Connection, chan ircmsg.Message, error) {
		events := make(chan ircmsg.Message, 64)
		conn := &ircevent.Connection{
			Server: addr, Nick: nick, User: nick, RealName: nick,
			UseSASL: true, SASLMech: "PLAIN", SASLLogin: "libuser", SASLPassword: password,
			Timeout: libraryTimeout, Log: log.New(logOut, nick+" ", log.Lmicroseconds), Debug: testing.Verbose(),
		}
		for _, code := range []string{"900", "330", "318"} {
			conn.AddCallback(code, func(m ircmsg.Message) { events <- m })
		}
		err := conn.Connect()
		if err == nil {
			done := make(chan struct{})
			go func() { conn.Loop(); close(done) }()
			t.Cleanup(func() { conn.Quit(); <-done })
		}
		return conn, events, err
	}

	conn, events, err := connect("lib", "library password")
	if err != nil {
		t.Fatalf("connect with SASL PLAIN: %v", err)
	}
	if got := expectEvent(t, events, "900"); got.Params[2] != "libuser" {
		t.Errorf("900 names %q, want libuser", got.Params[2])
	}
	conn.Send("WHOIS", "lib")
	if got := expectEvent(t, events, "330"); got.Params[2] != "libuser" {
		t.Errorf("WHOIS 330 names %q, want libuser", got.Params[2])
	}

	if _, _, err := connect("lib2", "wrong password"); err == nil {
		t.Errorf("connect with a wrong SASL password succeeded")
	}
}

// expectEvent waits for the next event with command code.
func expectEvent(t *testing.T, events chan ircmsg.Message, code string) ircmsg.Message {
	t.Helper()
	for {
		select {
		case m := <-events:
			if m.Command == code {
				return m
			}
		case <-timeAfterLibrary():
			t.Fatalf("no %s within %v", code, libraryTimeout)
		}
	}
}

func timeAfterLibrary() <-chan time.Time { return time.After(libraryTimeout) }
