package main

import (
	"strings"
	"testing"
	"time"
)

// Connection limits at accept time: max_clients, and per IP max_per_ip and
// connect_rate, with limit_exempt (loopback by default). A refused client
// is told why in an ERROR line and closed.

// hdialAdmitted connects and requires the server to take the connection
// (it answers PING).
func hdialAdmitted(t *testing.T, addr, name string) *hclient {
	t.Helper()
	c := hdial(t, addr, name)
	c.syncQuiet()
	return c
}

// expectRefused connects and requires the connection to be refused for why.
func expectRefused(t *testing.T, addr, why string) {
	t.Helper()
	c := hdial(t, addr, "refused")
	c.expectClosedWith(hTimeout, nil, "ERROR :Closing Link: 127.0.0.1 ("+why+")")
}

// hdialWhenAdmitted retries, until the deadline, a connection that is
// refused for why: a slot is freed only once the server has closed the
// socket of the client that left, which the client may see first.
func hdialWhenAdmitted(t *testing.T, addr, name, why string) *hclient {
	t.Helper()
	refusal := "ERROR :Closing Link: 127.0.0.1 (" + why + ")"
	deadline := time.Now().Add(hTimeout)
	for attempt := 1; ; attempt++ {
		c := hdial(t, addr, name)
		c.send("PING :admitted")
		first, ok := c.next()
		switch {
		case ok && first == ":chatd.test PONG chatd.test admitted":
			return c
		case ok && first == refusal:
			c.expectClosed(hTimeout)
			c.shut()
		default:
			t.Fatalf("%s: attempt %d: got %q (open %v)", name, attempt, first, ok)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still refused after %d attempts in %v", name, attempt, hTimeout)
		}
	}
}

const (
	whyMaxClients  = "Too many connections on this server (max_clients)"
	whyMaxPerIP    = "Too many connections from your IP address (max_per_ip)"
	whyConnectRate = "Connecting too fast; try again in a minute (connect_rate)"

	whyUnregisteredPerIP = "Too many unregistered connections from your IP address (max_unregistered_per_ip)"
	whyUnregisteredEvict = "Too many unregistered connections; the oldest are closed (max_unregistered)"
)

// TestLimitMaxClients: with max_clients = 2 the third connection is
// refused; when one leaves, a new one is let in again.
func TestLimitMaxClients(t *testing.T) {
	d := startHostileDaemon(t, nil, []string{"[limits]", "max_clients = 2"})
	a := hdialAdmitted(t, d.addr, "a")
	a.register("a")
	b := hdialAdmitted(t, d.addr, "b")
	expectRefused(t, d.addr, whyMaxClients)
	expectRefused(t, d.addr, whyMaxClients)
	b.syncQuiet()

	a.send("QUIT :making room")
	a.expectClosedWith(hTimeout, nil, "ERROR :Closing Link: 127.0.0.1 (Quit: making room)")
	c := hdialWhenAdmitted(t, d.addr, "c", whyMaxClients)
	expectRefused(t, d.addr, whyMaxClients)
	c.register("c")
}

// TestLimitMaxPerIP: with loopback not exempt and max_per_ip = 2, a third
// connection from 127.0.0.1 is refused until one closes.
func TestLimitMaxPerIP(t *testing.T) {
	d := startHostileDaemon(t, nil, []string{"[limits]", "max_per_ip = 2", "limit_exempt = []"})
	a := hdialAdmitted(t, d.addr, "a")
	hdialAdmitted(t, d.addr, "b")
	expectRefused(t, d.addr, whyMaxPerIP)
	expectRefused(t, d.addr, whyMaxPerIP)

	a.conn.Close() // the server notices EOF and frees the slot
	c := hdialWhenAdmitted(t, d.addr, "c", whyMaxPerIP)
	expectRefused(t, d.addr, whyMaxPerIP)
	c.register("c")
}

// TestLimitConnectRate: with loopback not exempt and connect_rate = 2, a
// third connection within the minute is refused even though the first two
// have gone: it is a rate, not a count.
func TestLimitConnectRate(t *testing.T) {
	d := startHostileDaemon(t, nil, []string{"[limits]", "connect_rate = 2", "limit_exempt = []"})
	a := hdialAdmitted(t, d.addr, "a")
	b := hdialAdmitted(t, d.addr, "b")
	for _, c := range []*hclient{a, b} {
		c.send("QUIT")
		c.expectClosed(hTimeout)
	}
	expectRefused(t, d.addr, whyConnectRate)
	expectRefused(t, d.addr, whyConnectRate)
}

// TestLimitLoopbackExemptByDefault: with the default limit_exempt,
// loopback clients are not held to max_per_ip or connect_rate.
func TestLimitLoopbackExemptByDefault(t *testing.T) {
	d := startHostileDaemon(t, nil, []string{"[limits]", "max_per_ip = 2", "connect_rate = 1"})
	var cs []*hclient
	for i := range 6 {
		name := string(rune('a' + i))
		c := hdialAdmitted(t, d.addr, name)
		c.register(name + strings.Repeat("x", 2))
		cs = append(cs, c)
	}
	for _, c := range cs[:3] {
		c.send("QUIT")
		c.expectClosed(hTimeout)
	}
	hdialAdmitted(t, d.addr, "after")
}

// TestLimitUnregisteredPerIP: with loopback not exempt and
// max_unregistered_per_ip = 2, a third connection still registering from
// 127.0.0.1 is refused; once one of the two has registered there is room.
func TestLimitUnregisteredPerIP(t *testing.T) {
	d := startHostileDaemon(t, nil, []string{"[limits]", "max_unregistered_per_ip = 2", "limit_exempt = []"})
	a := hdialAdmitted(t, d.addr, "a")
	hdialAdmitted(t, d.addr, "b")
	expectRefused(t, d.addr, whyUnregisteredPerIP)
	a.register("a")
	c := hdialAdmitted(t, d.addr, "c")
	expectRefused(t, d.addr, whyUnregisteredPerIP)
	c.register("c")
}

// TestLimitUnregisteredEvictsOldest: with max_unregistered = 3, a fourth
// connection that has not registered makes the oldest such connection go
// (it is told why); registered clients are not touched, and the newcomer
// can register. Connections that never register cannot keep new users
// out.
func TestLimitUnregisteredEvictsOldest(t *testing.T) {
	d := startHostileDaemon(t, nil, []string{"[limits]", "max_unregistered = 3"})
	r := hdialAdmitted(t, d.addr, "r")
	r.register("r")
	var loris []*hclient
	for _, name := range []string{"l1", "l2", "l3"} {
		loris = append(loris, hdialAdmitted(t, d.addr, name))
	}
	newcomer := hdialAdmitted(t, d.addr, "newcomer")
	loris[0].expectClosedWith(hTimeout, nil, "ERROR :Closing Link: 127.0.0.1 ("+whyUnregisteredEvict+")")
	for _, c := range loris[1:] {
		c.syncQuiet()
	}
	r.syncQuiet()
	newcomer.register("newcomer")
	r.waitFor(":newcomer!newcomer@127.0.0.1 JOIN #lobby")

	// newcomer registered, so it no longer counts: there is room for one
	// more, and the one after pushes out l2, the oldest still registering.
	hdialAdmitted(t, d.addr, "l4")
	loris[1].syncQuiet()
	hdialAdmitted(t, d.addr, "l5")
	loris[1].expectClosedWith(hTimeout, nil, "ERROR :Closing Link: 127.0.0.1 ("+whyUnregisteredEvict+")")
	loris[2].syncQuiet()
}
