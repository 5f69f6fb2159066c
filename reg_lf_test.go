package main

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// Registration cases the transcript harness cannot express: it always ends
// lines with CRLF, and it syncs with a PING after every line, which fails
// when the server closes the connection in answer to a line other than
// QUIT.

// regDial connects to a fresh chatd started with the given [server] TOML.
func regDial(t *testing.T, serverTOML ...string) (net.Conn, *bufio.Reader) {
	t.Helper()
	d, _ := startTestDaemon(t, append([]string{`lobby = ""`}, serverTOML...), nil)
	conn, err := net.Dial("tcp", d.addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return conn, bufio.NewReader(conn)
}

func regSend(t *testing.T, conn net.Conn, raw string) {
	t.Helper()
	if _, err := conn.Write([]byte(raw)); err != nil {
		t.Fatalf("write %q: %v", raw, err)
	}
}

// regReadLine returns the next line without its CRLF; ok is false at EOF.
func regReadLine(t *testing.T, r *bufio.Reader) (string, bool) {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		if line != "" {
			t.Fatalf("unterminated line %q before %v", line, err)
		}
		if ne, isNet := err.(net.Error); isNet && ne.Timeout() {
			t.Fatal("timed out waiting for the server")
		}
		return "", false
	}
	if !strings.HasSuffix(line, "\r\n") {
		t.Fatalf("line not ended by CRLF: %q", line)
	}
	return strings.TrimSuffix(line, "\r\n"), true
}

// regExpect reads lines until one has the given prefix, failing on EOF.
func regExpect(t *testing.T, r *bufio.Reader, prefix string) string {
	t.Helper()
	for {
		line, ok := regReadLine(t, r)
		if !ok {
			t.Fatalf("connection closed while waiting for %q", prefix)
		}
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
}

// regExpectClosed requires the given lines, in order and nothing else, then
// the end of the connection.
func regExpectClosed(t *testing.T, r *bufio.Reader, want ...string) {
	t.Helper()
	for _, w := range want {
		line, ok := regReadLine(t, r)
		if !ok {
			t.Fatalf("connection closed, still expecting %q", w)
		}
		if line != w {
			t.Fatalf("got %q, want %q", line, w)
		}
	}
	if line, ok := regReadLine(t, r); ok {
		t.Fatalf("got %q, want the connection closed", line)
	}
}

// A line ended by a bare LF is accepted like one ended by CRLF
// (modern.ircdocs.horse, "Compatibility with incorrect software": "Servers
// SHOULD handle single \n character ... as if it was a \r\n pair"), and
// the two may be mixed on one connection. Replies still end in CRLF.
func TestRegBareLF(t *testing.T) {
	conn, r := regDial(t)
	regSend(t, conn, "NICK lf\nUSER lf 0 * :Line Feed\n")
	if got := regExpect(t, r, ":chatd.test 001 "); got != ":chatd.test 001 lf :Welcome to the chatd Network, lf!lf@127.0.0.1" {
		t.Fatalf("welcome: %q", got)
	}
	regExpect(t, r, ":chatd.test 376 lf ")
	regSend(t, conn, "PING :one\nPING :two\r\nPING three\n")
	for _, want := range []string{
		":chatd.test PONG chatd.test one",
		":chatd.test PONG chatd.test two",
		":chatd.test PONG chatd.test three",
	} {
		if got, _ := regReadLine(t, r); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	// A line split across writes is put back together.
	regSend(t, conn, "PI")
	time.Sleep(20 * time.Millisecond)
	regSend(t, conn, "NG :split\n")
	if got, _ := regReadLine(t, r); got != ":chatd.test PONG chatd.test split" {
		t.Fatalf("split line: got %q", got)
	}
	regSend(t, conn, "QUIT :bye\n")
	regExpectClosed(t, r, "ERROR :Closing Link: 127.0.0.1 (Quit: bye)")
}

// With a server password, a wrong one is answered with 464 and ERROR and
// the connection is closed (modern.ircdocs.horse, PASS).
func TestRegWrongPassword(t *testing.T) {
	conn, r := regDial(t, `password = "sekrit"`)
	regSend(t, conn, "PASS wrong\r\nNICK w\r\nUSER w 0 * :W\r\n")
	regExpectClosed(t, r,
		":chatd.test 464 w :Password incorrect",
		"ERROR :Closing Link: 127.0.0.1 (Bad password)")
}

// No PASS at all is the same as a wrong one.
func TestRegMissingPassword(t *testing.T) {
	conn, r := regDial(t, `password = "sekrit"`)
	regSend(t, conn, "NICK m\r\nUSER m 0 * :M\r\n")
	regExpectClosed(t, r,
		":chatd.test 464 m :Password incorrect",
		"ERROR :Closing Link: 127.0.0.1 (Bad password)")
}

// The password must come before registration: a right one after NICK and
// USER is too late (RFC 2812 3.1.1).
func TestRegPasswordTooLate(t *testing.T) {
	conn, r := regDial(t, `password = "sekrit"`)
	regSend(t, conn, "NICK l\r\nUSER l 0 * :L\r\nPASS sekrit\r\n")
	regExpectClosed(t, r,
		":chatd.test 464 l :Password incorrect",
		"ERROR :Closing Link: 127.0.0.1 (Bad password)")
}

// A right password followed by a wrong one: the last PASS counts.
func TestRegLastPasswordCounts(t *testing.T) {
	conn, r := regDial(t, `password = "sekrit"`)
	regSend(t, conn, "PASS sekrit\r\nPASS wrong\r\nNICK p\r\nUSER p 0 * :P\r\n")
	regExpectClosed(t, r,
		":chatd.test 464 p :Password incorrect",
		"ERROR :Closing Link: 127.0.0.1 (Bad password)")
}

// A client held by CAP negotiation is checked at CAP END.
func TestRegPasswordCheckedAtCapEnd(t *testing.T) {
	conn, r := regDial(t, `password = "sekrit"`)
	regSend(t, conn, "CAP LS 302\r\nNICK c\r\nUSER c 0 * :C\r\n")
	// The list is long enough for CAP 302's continuation: read to its
	// last line (the one without "*").
	for strings.HasPrefix(regExpect(t, r, ":chatd.test CAP * LS "), ":chatd.test CAP * LS * ") {
	}
	regSend(t, conn, "CAP END\r\n")
	regExpectClosed(t, r,
		":chatd.test 464 c :Password incorrect",
		"ERROR :Closing Link: 127.0.0.1 (Bad password)")
}
