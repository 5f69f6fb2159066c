package main

import (
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/state"
)

// TestClusterConfigMustAgree: a node whose file differs from the
// network's in a world key refuses to start and names the keys; one that
// differs only in its own keys (flood pacing, limits of its connections)
// joins.
func TestClusterConfigMustAgree(t *testing.T) {
	ns := startNATS(t, "n1")
	nats := []string{ns.ClientURL()}
	startNode(t, "a.test", nats)

	own := startNode(t, "b.test", nats, "[limits]", "max_clients = 50", "sendq_bytes = 65536", "[flood]", "enabled = true")
	bob := ircClient(t, nodeAddr(own), "bob")
	syncClient(bob, "b1")

	raw := append(clusterTOML("c.test", "3s", nats...), "[limits]", "nick_length = 20")
	cfg := testConfig(t, []string{`lobby = "#lobby"`, `motd = "another day"`}, raw)
	d, err := startDaemon(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), withClusterTiming(100*time.Millisecond, time.Hour))
	if err == nil {
		d.stop()
		t.Fatal("a node whose motd and nick_length differ from the network's started")
	}
	for _, want := range []string{"differs from the network's", "server.motd", "limits.nick_length"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "cluster.node") || strings.Contains(err.Error(), "listen") {
		t.Errorf("the refusal names a node's own key: %v", err)
	}
}

// TestClusterNodeLosesNATS: a node cut off from NATS while the others
// keep it stops serving instead of drifting apart: its users are told
// and disconnected, new connections are refused, and the other nodes see
// its users quit with a netsplit reason. Once NATS is back the node
// starts a new life: new users join, the old ones stay gone, and the
// worlds agree.
func TestClusterNodeLosesNATS(t *testing.T) {
	ns := startNATS(t, "n1")
	p := newCutProxy(t, strings.TrimPrefix(ns.ClientURL(), "nats://"))
	a := startNode(t, "a.test", []string{"nats://" + p.addr})
	b := startNode(t, "b.test", []string{ns.ClientURL()})
	alice := ircClient(t, nodeAddr(a), "alice")
	bob := ircClient(t, nodeAddr(b), "bob")
	alice.expect("bob in the lobby", has(":bob!", "JOIN #lobby"))
	syncClient(alice, "a1")

	p.cut()
	alice.expect("the node giving up", has("ERROR", "Lost contact with the rest of the network"))
	alice.expectClosed()
	late := dialRaw(t, nodeAddr(a))
	late.expect("a refusal", has("ERROR", "Server unavailable; try again or another server"))
	late.expectClosed()
	bob.expect("alice's netsplit QUIT", has(":alice!alice@", "QUIT :chatd.test a.test"))
	bob.send("PRIVMSG #lobby :still here on b")
	syncClient(bob, "b1")

	p.restore()
	deadline := time.Now().Add(20 * time.Second)
	for a.node.Isolated() {
		if time.Now().After(deadline) {
			t.Fatal("node a did not rejoin once NATS was back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	carol := ircClient(t, nodeAddr(a), "carol")
	bob.expect("carol's JOIN", has(":carol!", "JOIN #lobby"))
	carol.send("WHOIS alice")
	carol.expect("alice is gone", has(" 401 carol alice "))
	carol.send("PRIVMSG bob :back on a")
	bob.expect("carol's message", has(":carol!", "PRIVMSG bob :back on a"))
	syncClient(carol, "c1")
	syncClient(bob, "b2")
	var nodes []state.Node
	b.world.Call(func(w *state.World) { nodes = w.Nodes() })
	if len(nodes) != 2 || nodes[0].Name != "a.test" {
		t.Fatalf("nodes after the rejoin: %+v", nodes)
	}
	sameWorlds(t, a, b)
}

// cutProxy forwards TCP connections to a NATS server until cut, then
// refuses them until restored on the same address.
type cutProxy struct {
	t      testing.TB
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newCutProxy(t testing.TB, target string) *cutProxy {
	p := &cutProxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *cutProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
}

// cut closes the listener and every forwarded connection.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// restore listens again on the same address.
func (p *cutProxy) restore() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: listening again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}
