package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chatd/state"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster tests: real NATS servers with JetStream, run in this process on
// loopback with their files in a temp dir, and chatd nodes (daemons in
// this process, or the built binary where a node must die by kill -9).

// startNATS runs one NATS server with JetStream; routes (cluster URLs of
// all the cluster's servers, itself included) make it part of a NATS
// cluster named "chatd", listening for routes on clusterPort.
func startNATS(t testing.TB, name string, routes ...string) *natsserver.Server {
	ns := startNATSRouted(t, name, -1, routes...)
	natsReady(t, ns)
	return ns
}

func natsReady(t testing.TB, ns *natsserver.Server) {
	t.Helper()
	if !ns.ReadyForConnections(20 * time.Second) {
		t.Fatal("NATS server not ready")
	}
}

func startNATSRouted(t testing.TB, name string, clusterPort int, routes ...string) *natsserver.Server {
	t.Helper()
	opts := &natsserver.Options{
		ServerName: name, Host: "127.0.0.1", Port: -1, NoLog: os.Getenv("CHATD_NATS_LOG") == "", NoSigs: true, Debug: false, Trace: false,
		JetStream: true, StoreDir: filepath.Join(t.TempDir(), name),
	}
	if routes != nil {
		opts.Cluster = natsserver.ClusterOpts{Name: "chatd", Host: "127.0.0.1", Port: clusterPort}
		for _, r := range routes {
			if r == "" {
				continue
			}
			u, err := url.Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	ns, err := natsserver.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	if !opts.NoLog {
		ns.ConfigureLogger()
	}
	go ns.Start()
	t.Cleanup(ns.Shutdown)
	return ns
}

// clusterTOML is the [cluster] table of a node.
func clusterTOML(node string, timeout string, nats ...string) []string {
	quoted := make([]string, len(nats))
	for i, u := range nats {
		quoted[i] = fmt.Sprintf("%q", u)
	}
	return []string{"[cluster]", "nats = [" + strings.Join(quoted, ", ") + "]", fmt.Sprintf("node = %q", node), fmt.Sprintf("node_timeout = %q", timeout)}
}

// startNode runs a chatd node in this process. extra is TOML after
// [cluster] (other tables).
func startNode(t testing.TB, node string, nats []string, extra ...string) *daemon {
	t.Helper()
	raw := append(clusterTOML(node, "3s", nats...), extra...)
	cfg := testConfig(t, []string{`lobby = "#lobby"`}, raw)
	var logOut io.Writer = io.Discard
	if testing.Verbose() {
		logOut = os.Stderr
	}
	log := slog.New(slog.NewTextHandler(logOut, nil)).With("chatd", node)
	d, err := startDaemon(cfg, log, withIdleHandOff(0), withWorldTuning(cheapPasswords), withClusterTiming(100*time.Millisecond, time.Hour))
	if err != nil {
		t.Fatalf("node %s: %v", node, err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			d.stop()
		}
	})
	return d
}

// nodeAddr is a node's IRC address.
func nodeAddr(d *daemon) string { return d.addrs()[0].String() }

// sameWorlds compares the nodes' worlds field by field (World.Dump), each
// as it is after the same event of the stream: the next one any node has
// not applied yet (ticks keep the stream moving).
func sameWorlds(t testing.TB, nodes ...*daemon) {
	t.Helper()
	var target uint64
	for _, d := range nodes {
		d.world.Call(func(w *state.World) { target = max(target, w.Seq()) })
	}
	dumps := make([]chan string, len(nodes))
	for i, d := range nodes {
		ch := make(chan string, 1)
		dumps[i] = ch
		d.world.Call(func(w *state.World) {
			w.Record(func(s state.Stamped) {
				// Called as event s is taken: the world is as after s-1.
				if s.Seq == target+1 {
					ch <- w.Dump()
					w.Record(nil)
				}
			})
		})
	}
	got := make([]string, len(nodes))
	for i := range nodes {
		select {
		case got[i] = <-dumps[i]:
		case <-time.After(10 * time.Second):
			t.Fatalf("node %d did not reach event %d", i, target+1)
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i] != got[0] {
			t.Fatalf("node %d's world differs from node 0's after event %d:\n%s", i, target, dumpDiff(got[0], got[i]))
		}
	}
}

// ircClient registers nick on addr and waits for the lobby.
func ircClient(t testing.TB, addr, nick string, caps ...string) *rawClient {
	t.Helper()
	c := dialRaw(t, addr)
	if len(caps) > 0 {
		c.send("CAP REQ :" + strings.Join(caps, " "))
	}
	c.send("NICK " + nick)
	c.send("USER " + nick + " 0 * :" + nick)
	if len(caps) > 0 {
		c.send("CAP END")
	}
	c.expect("001", func(l string) bool { return strings.Contains(l, " 001 "+nick+" ") })
	c.expect("the lobby", func(l string) bool { return strings.Contains(l, " 366 "+nick+" #lobby ") })
	return c
}

// has returns a matcher for a line holding every part.
func has(parts ...string) func(string) bool {
	return func(l string) bool {
		for _, p := range parts {
			if !strings.Contains(l, p) {
				return false
			}
		}
		return true
	}
}

// syncClient waits for a PING round trip: everything c sent before has
// been handled (through the log and back to its node).
func syncClient(c *rawClient, token string) {
	c.send("PING " + token)
	c.expect("PONG "+token, has("PONG", token))
}

// TestClusterChat: three nodes on one NATS server are one network.
// Clients on different nodes chat in the lobby, in a group and privately;
// WHOIS, LUSERS and LINKS show the nodes as servers; MONITOR, accounts
// (registered on one node, SASL on another), K-lines and history work
// across nodes; and the three worlds are the same, field by field.
func TestClusterChat(t *testing.T) {
	ns := startNATS(t, "n1")
	nats := []string{ns.ClientURL()}
	oper := []string{"[[oper]]", `name = "admin"`, `password_hash = "$2a$04$41TcQCAa5ZBNa4FKSO1cMOENTtU9akbE.VsN6jDx/UlIw4nHCLjx6"`}
	a := startNode(t, "a.test", nats, oper...)
	b := startNode(t, "b.test", nats, oper...)
	c := startNode(t, "c.test", nats, oper...)

	alice := ircClient(t, nodeAddr(a), "alice", "draft/chathistory", "batch", "server-time", "message-tags", "sasl", "draft/message-redaction")
	bob := ircClient(t, nodeAddr(b), "bob")
	carol := ircClient(t, nodeAddr(c), "carol", "sasl")
	alice.expect("carol's JOIN", has(":carol!", "JOIN #lobby"))

	// The lobby.
	alice.send("PRIVMSG #lobby :hello from a")
	bob.expect("alice in the lobby", has(":alice!alice@", "PRIVMSG #lobby :hello from a"))
	carol.expect("alice in the lobby", has(":alice!alice@", "PRIVMSG #lobby :hello from a"))

	// A group.
	bob.send("CG study")
	bob.expect("CG", has(":bob!", "JOIN #study"))
	carol.send("JG study")
	carol.expect("JG", has(":carol!", "JOIN #study"))
	alice.send("JOIN #study")
	alice.expect("JOIN", has(" 366 alice #study "))
	carol.send("GC study :a question from c")
	question := tagValue(alice.expect("GC", has(":carol!", "PRIVMSG #study :a question from c")), "msgid")
	bob.expect("GC", has(":carol!", "PRIVMSG #study :a question from c"))

	// Privately.
	carol.send("PRIVMSG alice :psst from c")
	alice.expect("private", has(":carol!carol@", "PRIVMSG alice :psst from c"))
	alice.send("PM bob :and from a")
	bob.expect("PM", has(":alice!", "PRIVMSG bob :and from a"))

	// The nodes as servers.
	carol.send("WHOIS alice")
	carol.expect("312", has(" 312 carol alice a.test "))
	carol.send("WHO alice")
	carol.expect("352", has(" 352 carol ", " a.test alice H"))
	carol.send("WHO alice %tsn,7")
	carol.expect("354", has(" 354 carol 7 a.test alice"))
	bob.send("LUSERS")
	bob.expect("251", has(" 251 bob ", "on 3 servers"))
	bob.expect("255", has(" 255 bob ", "I have 1 clients and 2 servers"))
	bob.send("LINKS")
	for _, node := range []string{"b.test b.test :0 ", "a.test b.test :1 ", "c.test b.test :1 "} {
		bob.expect("364 "+node, has(" 364 bob "+node))
	}
	bob.expect("365", has(" 365 bob * "))

	// MONITOR: carol on c watches dave, who comes on b.
	carol.send("MONITOR + dave")
	carol.expect("731", has(" 731 carol :dave"))
	dave := ircClient(t, nodeAddr(b), "dave")
	carol.expect("730", has(" 730 carol :dave!dave@"))

	// An account registered on a, logged in to with SASL on c.
	alice.send("REGISTER alice * secret-words")
	alice.expect("REGISTER SUCCESS", has("REGISTER SUCCESS alice"))
	erin := dialRaw(t, nodeAddr(c))
	erin.send("CAP REQ :sasl")
	erin.send("NICK erin")
	erin.send("USER erin 0 * :erin")
	erin.send("AUTHENTICATE PLAIN")
	erin.expect("AUTHENTICATE +", has("AUTHENTICATE +"))
	erin.send("AUTHENTICATE " + saslPlain("alice", "secret-words"))
	erin.expect("903", has(" 903 "))
	erin.send("CAP END")
	erin.expect("001", has(" 001 erin "))

	// A K-line set on a (by an operator whose password a checked) keeps
	// a client out on b.
	alice.send("OPER admin secret")
	alice.expect("381", has(" 381 alice "))
	alice.send("KLINE 5m spammer!*@* :no spam")
	alice.expect("K-line added", has("K-line for spammer!*@*"))
	spam := dialRaw(t, nodeAddr(b))
	spam.send("NICK spammer")
	spam.send("USER spammer 0 * :spam")
	spam.expect("465", has(" 465 "))
	spam.expectClosed()

	// History recorded on every node: alice (on a) reads what carol said
	// on c, from a's memory of it.
	alice.send("CHATHISTORY LATEST #study * 10")
	alice.expect("history", has("PRIVMSG #study :a question from c"))
	alice.expect("the end of the history batch", has(" BATCH -"))

	// bob, the group's operator on b, deletes carol's question: alice on
	// a is told, and a's history no longer has it.
	bob.send("REDACT #study " + question + " :answered")
	alice.expect("REDACT", has(":bob!", "REDACT #study "+question+" answered"))
	alice.send("CHATHISTORY LATEST #study * 10")
	alice.expect("history", has(" BATCH +"))
	if l := alice.expect("the next line", func(string) bool { return true }); !strings.Contains(l, " BATCH -") {
		t.Fatalf("#study's history after the REDACT holds %q", l)
	}

	for i, cl := range []*rawClient{alice, bob, carol, dave, erin} {
		syncClient(cl, fmt.Sprintf("end%d", i))
	}
	sameWorlds(t, a, b, c)
}

// TestClusterNickRace: the same nick claimed at the same moment on two
// nodes: the log orders the two NICKs, so exactly one client gets it and
// the other is told 433, on every try.
func TestClusterNickRace(t *testing.T) {
	ns := startNATS(t, "n1")
	nats := []string{ns.ClientURL()}
	a := startNode(t, "a.test", nats)
	b := startNode(t, "b.test", nats)
	x := ircClient(t, nodeAddr(a), "xa")
	y := ircClient(t, nodeAddr(b), "yb")
	nicks := map[*rawClient]string{x: "xa", y: "yb"}
	for round := 0; round < 5; round++ {
		nick := fmt.Sprintf("racer%d", round)
		start := make(chan struct{})
		done := make(chan struct{}, 2)
		for _, cl := range []*rawClient{x, y} {
			go func(cl *rawClient) {
				<-start
				cl.conn.Write([]byte("NICK " + nick + "\r\n"))
				done <- struct{}{}
			}(cl)
		}
		close(start)
		<-done
		<-done
		won := 0
		for _, cl := range []*rawClient{x, y} {
			own := ":" + nicks[cl] + "!"
			line := cl.expect("its NICK or 433", func(l string) bool {
				return strings.HasPrefix(l, own) && strings.Contains(l, " NICK ") || strings.Contains(l, " 433 ")
			})
			if !strings.Contains(line, " 433 ") {
				won++
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d clients got %s", round, won, nick)
		}
		// The loser takes a nick of its own again for the next round.
		for i, cl := range []*rawClient{x, y} {
			next := fmt.Sprintf("p%d_%d", round, i)
			cl.send("NICK " + next)
			syncClient(cl, fmt.Sprintf("r%d", round))
			nicks[cl] = next
		}
	}
	sameWorlds(t, a, b)
}

// startNodeTimed is startNode with another node_timeout.
func startNodeTimed(t testing.TB, node, timeout string, nats []string, extra ...string) *daemon {
	t.Helper()
	raw := append(clusterTOML(node, timeout, nats...), extra...)
	cfg := testConfig(t, []string{`lobby = "#lobby"`}, raw)
	var logOut io.Writer = io.Discard
	if testing.Verbose() {
		logOut = os.Stderr
	}
	d, err := startDaemon(cfg, slog.New(slog.NewTextHandler(logOut, nil)).With("chatd", node), withIdleHandOff(0), withWorldTuning(cheapPasswords), withClusterTiming(200*time.Millisecond, time.Hour))
	if err != nil {
		t.Fatalf("node %s: %v", node, err)
	}
	t.Cleanup(d.stop)
	return d
}

// TestClusterNodeKilledAndRestarted: a node (the chatd binary) killed
// with SIGKILL: within node_timeout its clients QUIT on the other nodes
// with a netsplit reason. Restarted, it rejoins from the latest snapshot
// and the stream: its old clients stay gone, new ones see the network as
// it is (a group's topic set meanwhile on another node) and chat.
func TestClusterNodeKilledAndRestarted(t *testing.T) {
	ns := startNATS(t, "n1")
	nats := []string{ns.ClientURL()}
	a := startNode(t, "a.test", nats)
	b := startNode(t, "b.test", nats)
	cConf := writeConfig(t, append(clusterTOML("c.test", "3s", nats...), "[history]", "replay_lines = 0")...)
	c := startChatd(t, "-config", cConf)
	c.waitLog("joined the cluster")

	alice := ircClient(t, nodeAddr(a), "alice")
	carol := ircClient(t, c.addr, "carol")
	alice.expect("carol's JOIN", has(":carol!", "JOIN #lobby"))
	alice.send("CG kept")
	alice.expect("CG", has(" 366 alice #kept "))
	carol.send("JG kept")
	carol.expect("JG", has(":carol!", "JOIN #kept"))
	syncClient(alice, "c1")

	killed := time.Now()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-c.exited
	alice.expect("carol's netsplit QUIT", has(":carol!carol@", "QUIT :chatd.test c.test"))
	failover := time.Since(killed)
	t.Logf("failover: carol's QUIT reached a.test %v after the kill (node_timeout 3s)", failover.Round(time.Millisecond))
	if failover > 3*time.Second+2*time.Second {
		t.Fatalf("carol's QUIT took %v; node_timeout is 3s", failover)
	}

	// While c is down: a topic on #kept, and a snapshot that has it.
	alice.send("TOPIC #kept :set while c was down")
	alice.expect("TOPIC", has("TOPIC #kept :set while c was down"))
	var seq uint64
	var err error
	a.world.Call(func(*state.World) {}) // the TOPIC is applied
	for i := 0; i < 100; i++ {
		if seq, err = a.node.StoreSnapshot(); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	alice.send("PRIVMSG #lobby :after the snapshot")
	syncClient(alice, "a1")

	c2 := startChatd(t, "-config", cConf)
	c2.waitLog("joined the cluster")
	c2.waitLog("world restored from a snapshot")
	if !strings.Contains(c2.stderr.String(), fmt.Sprintf("seq=%d", seq)) {
		t.Errorf("the restarted node did not restore the snapshot at %d:\n%s", seq, c2.stderr.String())
	}
	dave := ircClient(t, c2.addr, "dave")
	alice.expect("dave's JOIN", has(":dave!", "JOIN #lobby"))
	dave.send("WHOIS carol")
	dave.expect("carol is gone", has(" 401 dave carol "))
	dave.send("JOIN #kept")
	dave.expect("the topic set meanwhile", has(" 332 dave #kept :set while c was down"))
	dave.send("PRIVMSG #kept :back on c")
	alice.expect("dave on #kept", has(":dave!", "PRIVMSG #kept :back on c"))
	syncClient(alice, "a2")
	sameWorlds(t, a, b)
}

// TestClusterNATSServerLost: three NATS servers in a cluster, the stream
// on all three (replicas 3), a chatd node on each. One NATS server stops;
// its node reconnects to another, and the network goes on: messages
// sent on every node after the loss reach every other node.
func TestClusterNATSServerLost(t *testing.T) {
	// JetStream in a NATS cluster wants every route configured up front:
	// three ports the kernel just gave out, then let go of.
	ports := make([]int, 3)
	routes := make([]string, 3)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		l.Close()
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", ports[i])
	}
	servers := make([]*natsserver.Server, 3)
	for i := range servers {
		servers[i] = startNATSRouted(t, fmt.Sprintf("n%d", i+1), ports[i], routes...)
	}
	for _, ns := range servers {
		natsReady(t, ns)
	}
	n1, n2, n3 := servers[0], servers[1], servers[2]
	_, _ = n2, n3
	all := []string{n1.ClientURL(), n2.ClientURL(), n3.ClientURL()}
	waitJetStreamCluster(t, n1, n2, n3)
	a := startNodeTimed(t, "a.test", "10s", append([]string{all[0]}, all[1:]...))
	b := startNodeTimed(t, "b.test", "10s", []string{all[1], all[0], all[2]})
	c := startNodeTimed(t, "c.test", "10s", []string{all[2], all[0], all[1]})
	alice := ircClient(t, nodeAddr(a), "alice")
	bob := ircClient(t, nodeAddr(b), "bob")
	carol := ircClient(t, nodeAddr(c), "carol")
	alice.expect("carol's JOIN", has(":carol!", "JOIN #lobby"))
	bob.expect("carol's JOIN", has(":carol!", "JOIN #lobby"))

	// Stop the server that leads the stream: its replicas elect another.
	leader := streamLeader(t, all[1])
	var victim *natsserver.Server
	for _, ns := range servers {
		if ns.Name() == leader {
			victim = ns
		}
	}
	if victim == nil {
		t.Fatalf("the stream's leader %q is none of the servers", leader)
	}
	lost := time.Now()
	victim.Shutdown()
	for i, from := range []*rawClient{alice, bob, carol} {
		text := fmt.Sprintf("after the loss %d", i)
		from.send("PRIVMSG #lobby :" + text)
		for j, to := range []*rawClient{alice, bob, carol} {
			if j != i {
				to.expect(text, has("PRIVMSG #lobby :"+text))
			}
		}
	}
	t.Logf("chat went on %v after the stream's leader (%s) stopped", time.Since(lost).Round(time.Millisecond), leader)
	for i, cl := range []*rawClient{alice, bob, carol} {
		syncClient(cl, fmt.Sprintf("z%d", i))
	}
	sameWorlds(t, a, b, c)
}

// waitJetStreamCluster waits until the NATS servers agree on a
// JetStream meta leader.
func waitJetStreamCluster(t testing.TB, servers ...*natsserver.Server) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ready := true
		for _, s := range servers {
			if !s.JetStreamIsClustered() || s.JetStreamIsCurrent() == false {
				ready = false
			}
		}
		if ready {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the NATS servers formed no JetStream cluster")
}

// streamLeader names the NATS server leading the chatd stream.
func streamLeader(t testing.TB, url string) string {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "chatd")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil || info.Cluster == nil {
		t.Fatalf("stream info: %v", err)
	}
	if n := len(info.Cluster.Replicas) + 1; n != 3 {
		t.Fatalf("the stream has %d replicas, want 3", n)
	}
	return info.Cluster.Leader
}
