package ircd

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"chatd/conf"
	"chatd/state"

	"gopkg.in/irc.v4"
)

// newTestQueue is a send queue on one end of a net.Pipe, which buffers
// nothing: a write blocks until the other end reads, so what the queue
// holds is exactly what it accepted and has not handed over.
func newTestQueue(t *testing.T, limit int) (*sendQueue, net.Conn) {
	t.Helper()
	ours, theirs := net.Pipe()
	t.Cleanup(func() { ours.Close(); theirs.Close() })
	limits := &queueLimits{}
	limits.hard.Store(int64(limit))
	limits.stall.Store(int64(time.Minute))
	return &sendQueue{t: newStreamTransport(ours), limits: limits, writeTimeout: time.Minute, flushTimeout: time.Second, onClosing: func() {}}, theirs
}

// TestSendQueueCountsTheBatchInFlight: lines the writer has taken but not
// yet written still count against the limit, so a client that stops
// reading can never have more than sendq_bytes accepted for it (before,
// the writer's batch was forgotten and another limit's worth was taken).
func TestSendQueueCountsTheBatchInFlight(t *testing.T) {
	const limit = 4096
	q, peer := newTestQueue(t, limit)
	line := bytes.Repeat([]byte("x"), 100)
	accepted := 0
	for range 20 {
		if !q.Enqueue(line) {
			t.Fatal("refused below the limit")
		}
		accepted += len(line)
	}
	q.Flush()
	// Reading one byte proves the writer holds the batch and is blocked
	// writing the rest of it.
	if _, err := io.ReadFull(peer, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	for q.Enqueue(line) {
		accepted += len(line)
		if accepted > 2*limit {
			break
		}
	}
	if accepted > limit {
		t.Fatalf("accepted %d bytes for a client that reads nothing; the limit is %d", accepted, limit)
	}
	if queued := q.Queued(); queued != accepted {
		t.Fatalf("Queued() = %d; want %d", queued, accepted)
	}
}

// TestSendQueueCongestionAndWaiters: past half the limit the queue is
// congested and a reader that waits for it is paused; once the client
// has read enough to bring it under the mark the reader is let go.
func TestSendQueueCongestionAndWaiters(t *testing.T) {
	const limit = 4096
	q, peer := newTestQueue(t, limit)
	sender := &conn{wakeCh: make(chan struct{}, 1)}
	line := bytes.Repeat([]byte("y"), 512)
	for range 4 {
		q.Enqueue(line)
	}
	if q.Congested() {
		t.Fatal("congested at exactly half the limit")
	}
	q.addWaiter(sender)
	if sender.paused() {
		t.Fatal("a waiter was paused on a queue that is not congested")
	}
	q.Enqueue(line)
	if !q.Congested() {
		t.Fatal("not congested past half the limit")
	}
	q.addWaiter(sender)
	q.addWaiter(sender) // twice: counted once
	if got := sender.pausedOn.Load(); got != 1 {
		t.Fatalf("pausedOn = %d, want 1", got)
	}
	q.Flush()
	if _, err := io.ReadFull(peer, make([]byte, 5*512)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sender.wakeCh:
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting reader was not woken when the queue drained")
	}
	if sender.paused() || q.Congested() {
		t.Fatalf("after draining: paused %v, congested %v", sender.paused(), q.Congested())
	}
}

// TestSendQueueLimitFollowsRehash: the hard limit is read from the shared
// settings at every Enqueue, so Reconfigure reaches existing connections.
func TestSendQueueLimitFollowsRehash(t *testing.T) {
	cfg := conf.Default()
	cfg.Listen.Plain = []string{"127.0.0.1:0"}
	cfg.Limits.SendQBytes = 8192
	srv, err := New(cfg, state.New(cfg, nil, nil), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	q, _ := newTestQueue(t, 0)
	q.limits = &srv.queues // as startConn does
	line := bytes.Repeat([]byte("z"), 1000)
	for range 5 {
		if !q.Enqueue(line) {
			t.Fatal("refused below sendq_bytes")
		}
	}
	smaller := *cfg
	smaller.Limits.SendQBytes = 4096
	if err := srv.Reconfigure(&smaller); err != nil {
		t.Fatal(err)
	}
	if q.Enqueue(line) {
		t.Fatal("an existing connection kept the old sendq_bytes after Reconfigure")
	}
	if limit := q.limits.hard.Load(); limit != 4096 {
		t.Fatalf("limit %d after Reconfigure, want 4096", limit)
	}
}

// TestAcceptedSocketSendBufferBounded: the server fixes SO_SNDBUF on the
// sockets it accepts, instead of letting the kernel grow it to megabytes
// for a client that stops reading.
func TestAcceptedSocketSendBufferBounded(t *testing.T) {
	cfg := conf.Default()
	cfg.Listen.Plain = []string{"127.0.0.1:0"}
	w := state.New(cfg, func(*state.World, *state.Client, *irc.Message) {}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go w.Run()
	t.Cleanup(func() { w.Shutdown("bye") })
	srv, err := New(cfg, w, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { srv.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	client, err := net.Dial("tcp", srv.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	local := netip.MustParseAddrPort(client.LocalAddr().String())
	var sndbuf int
	for sndbuf == 0 { // the Connect event may still be on its way
		w.Call(func(w *state.World) {
			for _, c := range w.Clients() {
				tc := c.Out.(*conn).t.(*streamTransport).nc.(*net.TCPConn)
				if netip.MustParseAddrPort(tc.RemoteAddr().String()) != local {
					continue
				}
				raw, err := tc.SyscallConn()
				if err != nil {
					t.Fatal(err)
				}
				_ = raw.Control(func(fd uintptr) {
					sndbuf, err = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	// Linux reports twice what was set (and clamps it to wmem_max); an
	// untouched socket reports tcp_wmem's default, which autotuning then
	// grows: only the exact value shows the buffer was fixed.
	want := socketSendBuffer
	if b, err := os.ReadFile("/proc/sys/net/core/wmem_max"); err == nil {
		if max, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			want = min(want, max)
		}
	}
	if sndbuf != 2*want {
		t.Fatalf("SO_SNDBUF of an accepted socket is %d bytes; want %d (%d set)", sndbuf, 2*want, want)
	}
}

// Queued counts the batch being written, and WhenDrained fires once the
// peer has read enough, not before.
func TestSendQueueQueuedAndWhenDrained(t *testing.T) {
	q, client := newTestQueue(t, 1<<20)
	line := []byte("PRIVMSG #c :0123456789012345678901234567890123456789\r\n")
	for range 100 {
		if !q.Enqueue(line) {
			t.Fatal("Enqueue refused under the limit")
		}
	}
	want := 100 * len(line)
	if got := q.Queued(); got != want {
		t.Fatalf("Queued before Flush = %d, want %d", got, want)
	}
	fired := make(chan struct{})
	q.WhenDrained(0, func() { close(fired) })
	q.Flush()
	// net.Pipe is synchronous: the writer is blocked in its batch until we
	// read, so the batch in flight must still be counted.
	buf := make([]byte, len(line))
	if _, err := io.ReadFull(client, buf); err != nil {
		t.Fatal(err)
	}
	if got := q.Queued(); got == 0 {
		t.Fatal("Queued = 0 while the batch is still being written")
	}
	select {
	case <-fired:
		t.Fatal("WhenDrained fired before the queue drained")
	default:
	}
	rest := make([]byte, want-len(line))
	if _, err := io.ReadFull(client, rest); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fired:
	case <-time.After(5 * time.Second):
		t.Fatal("WhenDrained did not fire after the peer read everything")
	}
	if got := q.Queued(); got != 0 {
		t.Fatalf("Queued after draining = %d", got)
	}
	// Already drained: fn runs at once.
	ran := false
	q.WhenDrained(0, func() { ran = true })
	if !ran {
		t.Fatal("WhenDrained on an empty queue did not run fn at once")
	}
	q.Close()
}

// TestStallCountsFromLastProgress: a queue whose writer has been stuck
// for longer than the stall timeout is closed as soon as it crosses the
// soft mark, not given a fresh timeout: clients that stopped reading at
// the same time go together, instead of holding a sender once each.
func TestStallCountsFromLastProgress(t *testing.T) {
	q, peer := newTestQueue(t, 4096) // stall timeout: a minute
	q.Enqueue(bytes.Repeat([]byte("a"), 100))
	q.Flush()
	if _, err := io.ReadFull(peer, make([]byte, 1)); err != nil { // the writer is blocked now
		t.Fatal(err)
	}
	q.mu.Lock()
	q.progressAt = time.Now().Add(-time.Hour) // as if stuck for an hour
	q.mu.Unlock()
	for q.Enqueue(bytes.Repeat([]byte("b"), 100)) && !q.Congested() {
	}
	deadline := time.Now().Add(10 * time.Second)
	for q.failureReason() == "" {
		if time.Now().After(deadline) {
			t.Fatal("a queue stuck for an hour was given a fresh stall timeout when it crossed the mark")
		}
		runtime.Gosched()
	}
	if got := q.failureReason(); got != "SendQ exceeded" {
		t.Fatalf("failure %q, want SendQ exceeded", got)
	}
}
