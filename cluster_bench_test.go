package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/commands"
	"chatd/conf"
	"chatd/state"
)

// Cluster benchmarks (README: Performance, several nodes). NATS runs in
// this process, on loopback, with its files in a temp dir; the nodes tick
// once a second, as in production.
//
//	go test -run '^$' -bench 'ClusterFanout|ClusterLog' -count 5 .
//	go test -run '^$' -bench 'Cluster10k' -benchtime 1x -timeout 10m .

// benchNodeTOML is the config of a benchmark node (node "" for a single
// server): no lobby, no flood pacing, no web listener.
func benchNodeTOML(node string, nats []string) string { return benchNodeTimed(node, "15s", nats) }

// benchNodeTimed is benchNodeTOML with another node_timeout.
func benchNodeTimed(node, timeout string, nats []string) string {
	text := "[server]\nname = \"chatd.test\"\nlobby = \"\"\n[listen]\nplain = [\"127.0.0.1:0\"]\n" +
		"[limits]\nmax_clients = 20000\n[flood]\nenabled = false\n[http]\nlisten = []\n"
	if node != "" {
		text += strings.Join(clusterTOML(node, timeout, nats...), "\n") + "\n"
	}
	return text
}

// writeBenchConfig writes text as chatd.toml in a directory of its own
// (the node's store goes beside it) and returns its path.
func writeBenchConfig(b testing.TB, text string) string {
	path := filepath.Join(b.TempDir(), "chatd.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// startBenchDaemon runs the node (or single server) whose config is at
// path in this process.
func startBenchDaemon(b testing.TB, path string) *daemon {
	b.Helper()
	cfg, err := conf.Load(path, conf.ReservedCommands(commands.Verbs()))
	if err != nil {
		b.Fatal(err)
	}
	d, err := startDaemon(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), withClusterTiming(0, time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// benchNetwork starts a single server (nodes 0) or a cluster of nodes on
// one NATS server; stop ends them (each run of a benchmark has its own,
// and the runs of its b.N ramp must not linger beside the last).
func benchNetwork(b *testing.B, nodes int) (ds []*daemon, stop func()) {
	b.Helper()
	if nodes == 0 {
		d := startBenchDaemon(b, writeBenchConfig(b, benchNodeTOML("", nil)))
		return []*daemon{d}, d.stop
	}
	ns := startNATS(b, "n1")
	for i := 0; i < nodes; i++ {
		d := startBenchDaemon(b, writeBenchConfig(b, benchNodeTOML(fmt.Sprintf("%c.test", 'a'+i), []string{ns.ClientURL()})))
		ds = append(ds, d)
	}
	return ds, func() {
		for _, d := range ds {
			d.stop()
		}
		ns.Shutdown()
	}
}

// benchConn is a registered client of a benchmark.
type benchConn struct {
	c net.Conn
	r *bufio.Reader
}

// benchJoin registers nick on addr and joins channel.
func benchJoin(b testing.TB, addr, nick, channel string) benchConn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	bc := benchConn{c: c, r: bufio.NewReaderSize(c, 65536)}
	fmt.Fprintf(c, "NICK %s\r\nUSER %s 0 * :%s\r\nJOIN %s\r\n", nick, nick, nick, channel)
	bc.waitFor(b, " 366 ")
	return bc
}

func (bc benchConn) waitFor(b testing.TB, substr string) {
	b.Helper()
	_ = bc.c.SetReadDeadline(time.Now().Add(60 * time.Second))
	for {
		line, err := bc.r.ReadString('\n')
		if err != nil {
			b.Fatalf("waiting for %q: %v", substr, err)
		}
		if strings.Contains(line, substr) {
			return
		}
	}
}

// BenchmarkClusterFanout: one sender and 59 receivers in one channel,
// the members spread over the nodes (member i on node i mod nodes, the
// sender on the first); an op is one PRIVMSG delivered to all 59. burst
// sends every message at once (deliveries/s); paced sends 200 messages
// a second (latency from the sender's write to each delivery: p50, p99).
// single is one chatd without NATS; nodes=1 and nodes=3 are clusters.
func BenchmarkClusterFanout(b *testing.B) {
	for _, mode := range []string{"burst", "paced"} {
		for _, nodes := range []int{0, 1, 3} {
			name := "single"
			if nodes > 0 {
				name = fmt.Sprintf("nodes=%d", nodes)
			}
			b.Run(mode+"/"+name, func(b *testing.B) { benchClusterFanout(b, nodes, mode == "paced") })
		}
	}
}

func benchClusterFanout(b *testing.B, nodes int, paced bool) {
	const members = 60
	ds, stop := benchNetwork(b, nodes)
	defer stop()
	conns := make([]benchConn, members)
	for i := range conns {
		conns[i] = benchJoin(b, nodeAddr(ds[i%len(ds)]), fmt.Sprintf("f%d", i), "#fan")
		defer conns[i].c.Close()
	}
	conns[0].waitFor(b, fmt.Sprintf(":f%d!", members-1))
	// Every node has applied every JOIN once each receiver has its PONG.
	for _, bc := range conns[1:] {
		fmt.Fprintf(bc.c, "PING ready\r\n")
		bc.waitFor(b, "PONG")
	}

	lat := make([][]time.Duration, members)
	b.ResetTimer()
	var wg sync.WaitGroup
	for i := 1; i < members; i++ {
		wg.Add(1)
		go func(i int, bc benchConn) {
			defer wg.Done()
			_ = bc.c.SetReadDeadline(time.Now().Add(120 * time.Second))
			mine := make([]time.Duration, 0, b.N)
			for len(mine) < b.N {
				line, err := bc.r.ReadString('\n')
				if err != nil {
					b.Error(err)
					return
				}
				at := strings.Index(line, " PRIVMSG #fan :")
				if at < 0 {
					continue
				}
				text := line[at+len(" PRIVMSG #fan :"):]
				sent, _ := strconv.ParseInt(text[:strings.IndexByte(text, ' ')], 10, 64)
				mine = append(mine, time.Since(time.Unix(0, sent)))
			}
			lat[i] = mine
		}(i, conns[i])
	}
	w := bufio.NewWriter(conns[0].c)
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if paced {
			time.Sleep(time.Until(start.Add(time.Duration(i) * 5 * time.Millisecond)))
		}
		fmt.Fprintf(w, "PRIVMSG #fan :%d message %d with some ordinary chat text in it\r\n", time.Now().UnixNano(), i)
		if paced {
			w.Flush()
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	wg.Wait()
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	b.ReportMetric(float64(len(all))/b.Elapsed().Seconds(), "deliveries/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkClusterLog: how many events a second the log takes from
// clients and hands back applied: 6 or 60 clients (spread over the
// nodes) each send their share of b.N PRIVMSGs to a channel of their own
// (nobody to deliver to: the cost is the log and the handler), then a
// PING, and wait for its PONG. A client has at most 128 lines in flight
// (push-back), so few senders measure the log's latency as much as its
// throughput. single is one chatd, whose log is its inbox.
func BenchmarkClusterLog(b *testing.B) {
	for _, nodes := range []int{0, 1, 3} {
		for _, senders := range []int{6, 60} {
			name := "single"
			if nodes > 0 {
				name = fmt.Sprintf("nodes=%d", nodes)
			}
			b.Run(fmt.Sprintf("%s/senders=%d", name, senders), func(b *testing.B) { benchClusterLog(b, nodes, senders) })
		}
	}
}

func benchClusterLog(b *testing.B, nodes, senders int) {
	{
		{
			ds, stop := benchNetwork(b, nodes)
			defer stop()
			conns := make([]benchConn, senders)
			for i := range conns {
				conns[i] = benchJoin(b, nodeAddr(ds[i%len(ds)]), fmt.Sprintf("s%d", i), fmt.Sprintf("#sink%d", i))
				defer conns[i].c.Close()
			}
			b.ResetTimer()
			var wg sync.WaitGroup
			for i, bc := range conns {
				n := b.N / senders
				if i < b.N%senders {
					n++
				}
				wg.Add(1)
				go func(i, n int, bc benchConn) {
					defer wg.Done()
					w := bufio.NewWriter(bc.c)
					for j := 0; j < n; j++ {
						fmt.Fprintf(w, "PRIVMSG #sink%d :event %d\r\n", i, j)
					}
					fmt.Fprintf(w, "PING done%d\r\n", i)
					if err := w.Flush(); err != nil {
						b.Error(err)
						return
					}
					bc.waitFor(b, "done")
				}(i, n, bc)
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		}
	}
}

// BenchmarkCluster10k: a network of 10,000 users, each in one of 100
// channels, all on node a (the chatd binary, so that its 10,000 sockets
// and the clients' do not share one process's file limit), with node b in
// this process. Reports how fast the users registered through the log,
// how long b's state goroutine takes to serialise the world and how big
// it is, how long storing it in JetStream takes, how long b takes to
// restart (snapshot + stream) and a new node c to join, and, once a is
// killed with SIGKILL, how long until b has quit every one of its users
// (node_timeout 15s, the default). CI (CI=true), which runs every
// benchmark once, gets 1,000 users and node_timeout 5s: the same path in
// a fraction of the time.
func BenchmarkCluster10k(b *testing.B) {
	users, channels, timeout := 10000, 100, "15s"
	if os.Getenv("CI") == "true" {
		users, timeout = 1000, "5s"
	}
	for i := 0; i < b.N; i++ {
		ns := startNATS(b, fmt.Sprintf("n%d", i))
		nats := []string{ns.ClientURL()}
		a := startChatd(b, "-config", writeBenchConfig(b, benchNodeTimed("a.test", timeout, nats)))
		a.waitLog("joined the cluster")
		bPath := writeBenchConfig(b, benchNodeTimed("b.test", timeout, nats))
		nb := startBenchDaemon(b, bPath)
		stopped := false
		defer func() {
			if !stopped {
				nb.stop()
			}
		}()

		start := time.Now()
		conns := make([]net.Conn, users)
		var wg sync.WaitGroup
		next := make(chan int)
		for g := 0; g < 64; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range next {
					bc := benchJoin(b, a.addr, fmt.Sprintf("u%d", k), fmt.Sprintf("#c%d", k%channels))
					conns[k] = bc.c
				}
			}()
		}
		for k := 0; k < users; k++ {
			next <- k
		}
		close(next)
		wg.Wait()
		registered := time.Since(start)
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		waitUsers(b, nb, users)
		b.ReportMetric(float64(users)/registered.Seconds(), "registrations/s")

		var data []byte
		var took time.Duration
		nb.world.Call(func(w *state.World) {
			t0 := time.Now()
			data, _ = w.TakeSnapshot()
			took = time.Since(t0)
		})
		b.ReportMetric(float64(took.Microseconds())/1000, "snapshot-take-ms")
		b.ReportMetric(float64(len(data))/1e6, "snapshot-MB")
		t0 := time.Now()
		if _, err := nb.node.StoreSnapshot(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(t0).Microseconds())/1000, "snapshot-store-ms")

		nb.stop()
		t0 = time.Now()
		nb = startBenchDaemon(b, bPath)
		b.ReportMetric(time.Since(t0).Seconds(), "restart-s")
		waitUsers(b, nb, users)

		t0 = time.Now()
		nc := startBenchDaemon(b, writeBenchConfig(b, benchNodeTimed("c.test", timeout, nats)))
		b.ReportMetric(time.Since(t0).Seconds(), "join-s")
		waitUsers(b, nc, users)
		nc.stop()

		t0 = time.Now()
		if err := a.cmd.Process.Kill(); err != nil {
			b.Fatal(err)
		}
		<-a.exited
		waitUsers(b, nb, 0)
		b.ReportMetric(time.Since(t0).Seconds(), "failover-s")
		nb.stop()
		stopped = true
	}
}

// waitUsers waits until d's world holds n registered users (at most a
// minute), checking every 10 ms.
func waitUsers(b testing.TB, d *daemon, n int) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var got int
		d.world.Call(func(w *state.World) { got = w.UserCount() })
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("the world holds %d users, want %d", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
