package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// WebSocket transport tests (IRCv3 WebSocket, web/): a real WebSocket
// client against the whole daemon over loopback.

// TestWebSocketSubprotocolClientOrder: the server takes the first of the
// client's subprotocols that it speaks, whichever order the client puts
// them in, and then sends that kind of message, one IRC line each,
// without CRLF.
func TestWebSocketSubprotocolClientOrder(t *testing.T) {
	d := startWebDaemon(t, nil, nil)
	url := wsURL(t, d.daemon)
	for i, tc := range []struct {
		offer []string
		want  string
		typ   websocket.MessageType
	}{
		{[]string{"binary.ircv3.net", "text.ircv3.net"}, "binary.ircv3.net", websocket.MessageBinary},
		{[]string{"text.ircv3.net", "binary.ircv3.net"}, "text.ircv3.net", websocket.MessageText},
		{[]string{"x-unknown.example", "binary.ircv3.net"}, "binary.ircv3.net", websocket.MessageBinary},
		{nil, "", websocket.MessageText},                           // none: text
		{[]string{"x-unknown.example"}, "", websocket.MessageText}, // none known: text, no header
	} {
		name := fmt.Sprintf("u%d", i)
		w, resp, err := wsDial(t, url, name, tc.offer, nil, false)
		if err != nil {
			t.Fatalf("offer %v: %v", tc.offer, err)
		}
		if got := w.c.Subprotocol(); got != tc.want {
			t.Errorf("offer %v: subprotocol %q, want %q", tc.offer, got, tc.want)
		}
		if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != tc.want {
			t.Errorf("offer %v: Sec-WebSocket-Protocol %q, want %q", tc.offer, got, tc.want)
		}
		w.send("NICK " + name)
		w.send("USER u 0 * :u")
		m, _ := w.nextMsg()
		if m.typ != tc.typ {
			t.Errorf("offer %v: got a %v message, want %v", tc.offer, m.typ, tc.typ)
		}
		if want := ":chatd.test 001 " + name + " :Welcome"; !strings.HasPrefix(m.text, want) || strings.ContainsAny(m.text, "\r\n") {
			t.Errorf("offer %v: first message %q; want one line starting %q, no CR or LF", tc.offer, m.text, want)
		}
	}
}

// TestWebSocketFrames: either kind of message is read; a message holding
// several lines (older gateways) gives them all; an empty one is ignored.
func TestWebSocketFrames(t *testing.T) {
	d := startWebDaemon(t, nil, nil)
	w := mustWSDial(t, wsURL(t, d.daemon), "w", "text.ircv3.net")
	w.register("w")
	w.sendAs(websocket.MessageBinary, "PING :from-binary")
	w.waitFor("PONG chatd.test from-binary")
	w.sendAs(websocket.MessageText, "")
	w.sendAs(websocket.MessageText, "PING :one\r\nPING :two\r\n")
	w.waitFor("PONG chatd.test one")
	w.waitFor("PONG chatd.test two")
}

// TestWebSocketOversize: a message over the line limit is answered with
// 417 and the connection goes on, as for an over-long TCP line; one over
// the transport's read limit (64 KiB) ends the connection with 1009.
func TestWebSocketOversize(t *testing.T) {
	d := startWebDaemon(t, nil, nil)
	w := mustWSDial(t, wsURL(t, d.daemon), "w", "binary.ircv3.net")
	w.register("w")
	w.send("PRIVMSG #lobby :" + strings.Repeat("x", 6000))
	w.waitFor(" 417 w :Input line was too long")
	w.sync()
	w.send("PRIVMSG #lobby :" + strings.Repeat("x", 70000))
	if code := w.closeStatus(); code != websocket.StatusMessageTooBig {
		t.Fatalf("close status %v, want %v", code, websocket.StatusMessageTooBig)
	}
}

// TestWebSocketUTF8: a text message must be UTF-8 (RFC 6455): one that is
// not fails the connection with 1007, and others see why. A binary message
// may carry any bytes, and chatd answers one that is not UTF-8 as it does
// on TCP (FAIL INVALID_UTF8), relaying nothing.
func TestWebSocketUTF8(t *testing.T) {
	d := startWebDaemon(t, nil, nil)
	url := wsURL(t, d.daemon)
	watcher := mustWSDial(t, url, "watcher", "text.ircv3.net")
	watcher.register("watcher")

	bin := mustWSDial(t, url, "bin", "binary.ircv3.net")
	bin.register("bin")
	bin.send("PRIVMSG #lobby :caf\xe9")
	bin.waitFor("FAIL PRIVMSG INVALID_UTF8")
	bin.send("PRIVMSG #lobby :café")
	watcher.waitFor(":bin!bin@127.0.0.1 PRIVMSG #lobby :café")

	txt := mustWSDial(t, url, "txt", "text.ircv3.net")
	txt.register("txt")
	txt.sendAs(websocket.MessageText, "PRIVMSG #lobby :caf\xe9")
	if code := txt.closeStatus(); code != websocket.StatusInvalidFramePayloadData {
		t.Fatalf("close status %v, want %v", code, websocket.StatusInvalidFramePayloadData)
	}
	watcher.waitFor(":txt!txt@127.0.0.1 QUIT :Invalid UTF-8 in a text message")
}

// TestWebSocketOrigin: a page on another site may not open the WebSocket
// (cross-site WebSocket hijacking); the page's own origin, the configured
// allowed_origins and clients that send no Origin may. A refusal is
// counted in the metrics.
func TestWebSocketOrigin(t *testing.T) {
	d := startWebDaemon(t, []string{`allowed_origins = ["https://chat.example.org"]`}, nil)
	url := wsURL(t, d.daemon)
	host := strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/ws")
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"http://" + host, true},
		{"https://chat.example.org", true},
		{"https://CHAT.example.org:443", true},
		{"https://evil.example", false},
		{"http://chat.example.org", false},
		{"null", false},
	} {
		h := http.Header{}
		if tc.origin != "" {
			h.Set("Origin", tc.origin)
		}
		w, resp, err := wsDial(t, url, "o", []string{"text.ircv3.net"}, h, true)
		if tc.ok {
			if err != nil {
				t.Errorf("origin %q refused: %v", tc.origin, err)
				continue
			}
			_ = w.c.CloseNow()
			continue
		}
		if err == nil {
			t.Errorf("origin %q accepted", tc.origin)
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("origin %q: %v; want 403", tc.origin, err)
		}
	}
	if got := scrapeValue(t, d.daemon, `chatd_connections_refused_total{reason="origin"}`); got != 3 {
		t.Errorf("origin refusals counted %v, want 3", got)
	}
}

// TestWebSocketForwardedAddress: the client's address comes from
// X-Forwarded-For or Forwarded only when the connection is from a trusted
// proxy; it is what WHOIS shows and what the per-IP limits count.
func TestWebSocketForwardedAddress(t *testing.T) {
	// Untrusted: the header is the client's own claim and is ignored.
	d := startWebDaemon(t, nil, nil)
	h := http.Header{"X-Forwarded-For": {"203.0.113.7"}}
	w, _, err := wsDial(t, wsURL(t, d.daemon), "liar", nil, h, false)
	if err != nil {
		t.Fatal(err)
	}
	w.register("liar")
	w.send("WHOIS liar")
	w.waitFor(" 311 liar liar liar 127.0.0.1 * :liar")

	// Trusted (loopback, where the test connects from): the chain is read
	// from the nearest hop back, past trusted proxies.
	d = startWebDaemon(t, []string{`trusted_proxies = ["127.0.0.1/32", "10.0.0.0/8"]`}, []string{"[limits]", "max_per_ip = 1"})
	url := wsURL(t, d.daemon)
	for _, tc := range []struct {
		nick   string
		header http.Header
		host   string
	}{
		{"xff", http.Header{"X-Forwarded-For": {"198.51.100.9, 203.0.113.7, 10.1.2.3"}}, "203.0.113.7"},
		{"fwd", http.Header{"Forwarded": {`for=192.0.2.60;proto=http, for="[2001:db8::17]:4711"`}}, "2001:db8::17"},
		{"unknown", http.Header{"Forwarded": {"for=unknown"}}, "127.0.0.1"},
	} {
		w, _, err := wsDial(t, url, tc.nick, nil, tc.header, false)
		if err != nil {
			t.Fatalf("%s: %v", tc.nick, err)
		}
		w.register(tc.nick)
		w.send("WHOIS " + tc.nick)
		w.waitFor(" 311 " + tc.nick + " " + tc.nick + " " + tc.nick + " " + tc.host + " * :")
	}
	// max_per_ip = 1 counts 203.0.113.7, which already has a client.
	again, _, err := wsDial(t, url, "again", nil, http.Header{"X-Forwarded-For": {"203.0.113.7"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	again.waitFor("ERROR :Closing Link: 203.0.113.7 (Too many connections from your IP address (max_per_ip))")
}

// TestWebSocketChatsWithTCP: a WebSocket client is a client like any
// other: it and a TCP client see each other in the lobby, talk there and
// in private, and WHOIS shows it.
func TestWebSocketChatsWithTCP(t *testing.T) {
	d := startWebDaemon(t, nil, nil)
	tcp := hdial(t, d.addr, "tcp")
	tcp.register("tom")
	web := mustWSDial(t, wsURL(t, d.daemon), "web", "text.ircv3.net")
	web.register("wendy")
	tcp.waitFor(":wendy!wendy@127.0.0.1 JOIN #lobby")

	web.send("PRIVMSG #lobby :hello from the browser")
	tcp.waitFor(":wendy!wendy@127.0.0.1 PRIVMSG #lobby :hello from the browser")
	tcp.send("PRIVMSG #lobby :hello from irssi")
	web.waitFor(":tom!tom@127.0.0.1 PRIVMSG #lobby :hello from irssi")
	tcp.send("PRIVMSG wendy :psst")
	web.waitFor(":tom!tom@127.0.0.1 PRIVMSG wendy :psst")
	web.send("PRIVMSG tom :hi tom")
	tcp.waitFor(":wendy!wendy@127.0.0.1 PRIVMSG tom :hi tom")
	tcp.send("WHOIS wendy")
	tcp.waitFor(":chatd.test 311 tom wendy wendy 127.0.0.1 * :wendy")
	web.send("QUIT :bye")
	tcp.waitFor(":wendy!wendy@127.0.0.1 QUIT :Quit: bye")
}

// TestWebSocketFlood: flood control applies to WebSocket clients: 200
// lines at once with burst 5 end in "Excess Flood".
func TestWebSocketFlood(t *testing.T) {
	d := startWebDaemon(t, nil, floodTOML)
	bob := hdial(t, d.addr, "bob")
	bob.register("bob")
	w := mustWSDial(t, wsURL(t, d.daemon), "w", "binary.ircv3.net")
	w.send("NICK w")
	w.send("USER w 0 * :w")
	w.waitFor(" 001 w ")
	bob.waitFor(":w!w@127.0.0.1 JOIN #lobby")
	for i := range 200 {
		if w.trySend(fmt.Sprintf("PRIVMSG #lobby :flood %03d", i)) != nil {
			break // the server has hung up
		}
	}
	w.waitFor("ERROR :Closing Link: 127.0.0.1 (Excess Flood)")
	bob.waitFor(":w!w@127.0.0.1 QUIT :Excess Flood")
	if got := scrapeValue(t, d.daemon, "chatd_flood_disconnects_total"); got != 1 {
		t.Errorf("flood disconnects counted %v, want 1", got)
	}
}

// TestWebSocketSlowConsumer: a WebSocket member that stops reading fills
// its send queue and is dropped with "SendQ exceeded" (after the stall
// timeout, push-back holding the senders meanwhile), as a TCP one is.
func TestWebSocketSlowConsumer(t *testing.T) {
	d := startWebDaemon(t, nil, []string{"[limits]", "sendq_bytes = 16384"}, withStallTimeout(time.Second))
	slow, _, err := wsDial(t, wsURL(t, d.daemon), "slow", []string{"text.ircv3.net"}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	slow.register("slow")
	alice := hdial(t, d.addr, "alice")
	alice.register("alice")
	slow.waitFor(":alice!alice@127.0.0.1 JOIN #lobby")
	slow.stopReading()

	// alice talks in rounds of 20 lines, each round ended by a PING round
	// trip, until slow's QUIT comes (the kernel buffers some of what slow
	// does not read first).
	text := strings.Repeat("x", 180)
	for round := 0; ; round++ {
		if round == 2000 {
			t.Fatal("slow was never dropped")
		}
		var b strings.Builder
		for i := range 20 {
			fmt.Fprintf(&b, "PRIVMSG #lobby :%d %d %s\r\n", round, i, text)
		}
		b.WriteString("PING :round\r\n")
		alice.write([]byte(b.String()))
		lines := alice.waitFor(":chatd.test PONG chatd.test round")
		for _, l := range lines {
			if strings.HasPrefix(l, ":slow!") {
				t.Logf("round %d: %s", round, l)
			}
			if l == ":slow!slow@127.0.0.1 QUIT :SendQ exceeded" {
				if got := scrapeValue(t, d.daemon, "chatd_sendq_drops_total"); got != 1 {
					t.Errorf("sendq drops counted %v, want 1", got)
				}
				return
			}
		}
	}
}
