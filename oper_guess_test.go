package main

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"chatd/state"
)

// hdialFrom is hdial from the local address ip (any of 127.0.0.0/8 works
// on Linux): a client on another address.
func hdialFrom(t *testing.T, addr, name, ip string) *hclient {
	t.Helper()
	d := net.Dialer{Timeout: hTimeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("%s: dial from %s: %v", name, ip, err)
	}
	c := &hclient{t: t, name: name, conn: nc.(*net.TCPConn), br: bufio.NewReaderSize(nc, 16384), notify: make(chan struct{}, 1), done: make(chan struct{})}
	t.Cleanup(c.shut)
	c.startReading()
	return c
}

// operGuessTOML has the operator admin, password "secret" (cost 4).
var operGuessTOML = []string{
	"[[oper]]", `name = "admin"`, `password_hash = "$2a$04$41TcQCAa5ZBNa4FKSO1cMOENTtU9akbE.VsN6jDx/UlIw4nHCLjx6"`,
}

// TestOperGuessingCostsTheGuesser: a wrong OPER password is answered only
// after a delay that doubles with each failure, the guesser's lines wait
// their turn meanwhile (it is held), and once its address has used its
// budget of failures it is refused without a check; a real operator on
// another address is not held up by any of it.
func TestOperGuessingCostsTheGuesser(t *testing.T) {
	const delay = 50 * time.Millisecond
	d := startHostileDaemon(t, nil, operGuessTOML, withWorldTuning(func(w *state.World) { w.PasswordFailDelay = delay }))
	guesser := hdial(t, d.addr, "guesser")
	guesser.register("guesser")

	const wrong = ":chatd.test 464 guesser :Password incorrect"
	for i, want := range []time.Duration{delay, 2 * delay} {
		start := time.Now()
		guesser.send("OPER admin wrong")
		guesser.send("PING :after") // held behind the OPER
		guesser.expect(wrong)
		if took := time.Since(start); took < want {
			t.Fatalf("failure %d answered after %v, want at least %v", i+1, took, want)
		}
		guesser.expect(":chatd.test PONG chatd.test after")
	}
	// Failures 3 to 5 use up the address's budget of five; the sixth is
	// not checked.
	for range 3 {
		guesser.send("OPER admin wrong")
		guesser.expect(wrong)
	}
	guesser.send("OPER admin secret")
	line, ok := guesser.nextWithin(hTimeout + 8*delay)
	if !ok || !strings.HasPrefix(line, ":chatd.test 464 guesser :Too many failed attempts; try again in ") {
		t.Fatalf("the sixth attempt: got %q, want 464 saying it was not checked", line)
	}

	// Another address has its own budget and no delay to serve.
	op := hdialFrom(t, d.addr, "op", "127.0.0.2")
	op.register("op")
	op.send("OPER admin secret")
	op.expect(":chatd.test 381 op :You are now an IRC operator")
	op.expect(":op!op@127.0.0.2 MODE op +o")
}
