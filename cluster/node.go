package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"chatd/conf"
	"chatd/state"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Options configure a node.
type Options struct {
	Config *conf.Config // the node's file: [cluster] and the keys that must agree
	World  *state.World // made with state.New, not yet running
	Log    *slog.Logger
	Info   string // what LINKS and WHOIS say of the node
	// Seed is what a new network starts with (the first node's store and
	// K-lines); nil for nothing.
	Seed func() (state.Seed, error)
	// Restored is called, before the world runs, once it was restored
	// from the snapshot at seq (the store catches up with it:
	// store.ReplaceWorld); may be nil.
	Restored func(seq uint64) error
	// SetIDBase is told the high bits of the IDs this node must give its
	// clients, at each life it starts (ircd.Server.SetClientIDBase).
	SetIDBase func(base uint64)
	// Replicas of the stream and the snapshot bucket (0: as many as the
	// NATS cluster has servers, at most 3).
	Replicas int
	// TickEvery (1 s) and SnapshotEvery (1 min) are shorter in tests.
	TickEvery     time.Duration
	SnapshotEvery time.Duration
}

// Node is this chatd as a node of a cluster; it is the world's
// state.EventLog.
type Node struct {
	opts    Options
	name    string
	boot    string // unique to this process: message IDs of a life not known yet
	subject string
	log     *slog.Logger
	world   *state.World
	timeout time.Duration

	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	snaps  jetstream.ObjectStore

	startSeq uint64 // the first event of the stream the world has not applied
	restored uint64 // the snapshot's sequence, 0 for none

	mu       sync.Mutex
	epoch    uint64 // the sequence of this life's NodeUp; 0 while it is not known
	lives    int    // NodeUps published, for their message IDs
	lseq     uint64 // events published in this life
	up       bool   // this life's NodeUp has been applied: the node may publish
	leaving  bool
	outs     map[state.ClientID]state.Outbox // connections whose Connect is on its way
	lastOf   map[state.ClientID]uint64       // a client's last event published (lseq)
	marks    map[state.ClientID][]mark       // markers waiting for those events
	epochSet chan struct{}                   // closed when this life's epoch is known

	pub       *publisher
	applied   atomic.Uint64 // the last stream sequence handed to the world
	ownTick   atomic.Int64  // when the node last saw its own Tick applied (Unix ns)
	configSet atomic.Bool   // the log has set the network's config (a ConfigChange or a snapshot)
	caughtUp  chan struct{}
	stop      chan struct{}
	done      sync.WaitGroup
	isolated  atomic.Bool
}

type mark struct {
	lseq uint64
	fn   func()
}

// Open connects to NATS, makes sure the stream and the snapshot bucket
// exist, and restores the world from the latest snapshot. Call it before
// the world runs.
func Open(ctx context.Context, opts Options) (*Node, error) {
	cfg := opts.Config.Cluster
	if opts.TickEvery <= 0 {
		opts.TickEvery = time.Second
	}
	if opts.SnapshotEvery <= 0 {
		opts.SnapshotEvery = time.Minute
	}
	boot := make([]byte, 6)
	rand.Read(boot)
	n := &Node{
		opts: opts, name: cfg.Node, boot: hex.EncodeToString(boot), subject: cfg.Stream + ".ev." + cfg.Node,
		log: opts.Log.With("node", cfg.Node), world: opts.World, timeout: cfg.NodeTimeout.Duration,
		outs: map[state.ClientID]state.Outbox{}, lastOf: map[state.ClientID]uint64{}, marks: map[state.ClientID][]mark{},
		epochSet: make(chan struct{}), caughtUp: make(chan struct{}), stop: make(chan struct{}),
	}
	nc, err := nats.Connect(strings.Join(cfg.NATS, ","), nats.Name("chatd "+cfg.Node), nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond), nats.ReconnectBufSize(64<<20))
	if err != nil {
		return nil, fmt.Errorf("cluster: connecting to NATS (%s): %w", strings.Join(cfg.NATS, ", "), err)
	}
	n.nc = nc
	// A publish not acknowledged in time (a stream leader lost on the
	// way) fails and is sent again with the same Nats-Msg-Id.
	if n.js, err = jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(2*time.Second)); err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: JetStream: %w", err)
	}
	// A NATS cluster that is still electing the leaders of the stream or
	// the bucket answers "no responders" for a while: try again until ctx
	// ends.
	for {
		err := n.setUp(ctx)
		if err == nil {
			break
		}
		if !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrJetStreamNotEnabled) {
			nc.Close()
			return nil, err
		}
		n.log.Warn("JetStream not ready yet", "err", err)
		select {
		case <-ctx.Done():
			nc.Close()
			return nil, err
		case <-time.After(250 * time.Millisecond):
		}
	}
	opts.World.SetMode(state.Clustered, n)
	return n, nil
}

// setUp creates or finds the stream and bucket and restores the world.
func (n *Node) setUp(ctx context.Context) error {
	cfg := n.opts.Config.Cluster
	replicas := n.opts.Replicas
	if replicas <= 0 {
		replicas = min(3, max(1, len(n.nc.Servers())))
	}
	var err error
	n.stream, err = n.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "chatd: the network's events, in order",
		Subjects:    []string{cfg.Stream + ".ev.>"},
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		Duplicates:  2 * time.Minute, // a retried publish inside it is stored once (Nats-Msg-Id)
	})
	if err != nil {
		return fmt.Errorf("cluster: stream %q: %w", cfg.Stream, err)
	}
	n.snaps, err = n.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      cfg.Stream + "-snapshots",
		Description: "chatd: snapshots of the world",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return fmt.Errorf("cluster: snapshot bucket: %w", err)
	}
	info, err := n.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("cluster: stream %q: %w", cfg.Stream, err)
	}
	// The network began when its stream was made (RPL_CREATED); a
	// snapshot says so too.
	n.world.Started = info.Created.UTC().Round(0)
	if err := n.restore(ctx, info.State.FirstSeq, info.State.Msgs); err != nil {
		return err
	}
	return nil
}

// Join follows the stream until the world has caught up with it, checks
// that this node's config agrees with the network's, seeds a new network,
// and starts this node's life. It returns the slot of the node (the high
// bits of its clients' IDs: ircd.Server.SetClientIDBase). Call it once the
// world runs, before accepting clients.
func (n *Node) Join(ctx context.Context) (uint64, error) {
	info, err := n.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("cluster: stream: %w", err)
	}
	last := info.State.LastSeq
	first := last == 0 && n.restored == 0
	n.done.Add(1)
	go n.consume()
	if err := n.waitApplied(ctx, last); err != nil {
		return 0, err
	}
	if !first && n.configSet.Load() {
		var cur *conf.Config
		n.world.Call(func(w *state.World) { cur = w.Config })
		if diff := conf.WorldDiff(n.opts.Config, cur); len(diff) > 0 {
			return 0, fmt.Errorf("cluster: this node's config differs from the network's in %s; every node needs the same values there (see [cluster] in chatd.toml)", strings.Join(diff, ", "))
		}
	}
	n.pub = newPublisher(n)
	n.done.Add(1)
	go n.pub.run()
	if err := n.startLife(ctx); err != nil {
		return 0, err
	}
	if first {
		if err := n.seed(); err != nil {
			return 0, err
		}
	}
	node := n.life()
	n.ownTick.Store(time.Now().UnixNano())
	n.done.Add(1)
	go n.keepAlive()
	n.log.Info("joined the cluster", "epoch", node.Epoch, "slot", node.Slot, "from_seq", n.startSeq, "caught_up_to", last)
	return node.Slot << state.SlotBits, nil
}

// seed publishes the network's first config and what the first node kept.
func (n *Node) seed() error {
	n.Publish(state.ConfigChange{Config: n.opts.Config})
	if n.opts.Seed == nil {
		return nil
	}
	seed, err := n.opts.Seed()
	if err != nil {
		return fmt.Errorf("cluster: seeding the network: %w", err)
	}
	n.Publish(seed)
	n.log.Info("seeded a new network", "accounts", len(seed.Accounts), "groups", len(seed.Channels), "klines", len(seed.Klines))
	return nil
}

// startLife publishes a NodeUp and waits until the world has applied it.
func (n *Node) startLife(ctx context.Context) error {
	n.mu.Lock()
	n.lives++
	n.epoch, n.lseq, n.up = 0, 0, false
	n.epochSet = make(chan struct{})
	wait := n.epochSet
	id := fmt.Sprintf("%s-%s-up%d", n.name, n.boot, n.lives)
	n.mu.Unlock()
	data, err := encode(envelope{Node: n.name, Boot: n.boot}, state.NodeUp{Info: n.opts.Info})
	if err != nil {
		return err
	}
	n.pub.enqueue(id, data)
	timer := time.NewTimer(n.timeout)
	defer timer.Stop()
	select {
	case <-wait:
		n.life()
		return nil
	case <-timer.C:
		return errors.New("cluster: this node's NodeUp did not come back from the stream in time")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// life returns this node as the world knows it and passes its slot on.
func (n *Node) life() state.Node {
	var node state.Node
	n.world.Call(func(w *state.World) { node, _ = w.NodeInfo(n.name) })
	if n.opts.SetIDBase != nil {
		n.opts.SetIDBase(node.Slot << state.SlotBits)
	}
	return node
}

// waitApplied waits until the world has applied the stream up to seq.
func (n *Node) waitApplied(ctx context.Context, seq uint64) error {
	for n.applied.Load() < seq {
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: catching up with the stream (at %d of %d): %w", n.applied.Load(), seq, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	n.world.Call(func(*state.World) {}) // and handled what it was handed
	return nil
}

// Publish implements state.EventLog: ev joins the log as this node's next
// event. False while the node has no life (joining, cut off from NATS).
func (n *Node) Publish(ev state.Event) bool {
	n.mu.Lock()
	if !n.up || n.pub == nil {
		n.mu.Unlock()
		return false
	}
	n.lseq++
	env := envelope{Node: n.name, Epoch: n.epoch, LSeq: n.lseq}
	id := fmt.Sprintf("%s-%d-%d", n.name, n.epoch, n.lseq)
	if c, ok := ev.(state.Connect); ok && c.Out != nil {
		n.outs[c.ID] = c.Out
	}
	if cid := clientOf(ev); cid != 0 {
		n.lastOf[cid] = n.lseq
	}
	n.mu.Unlock()
	data, err := encode(env, ev)
	if err != nil {
		n.log.Error("event not published", "err", err)
		return false
	}
	n.pub.enqueue(id, data)
	return true
}

// Marker implements state.EventLog: fn runs once the lines published so
// far for client id have been handed to the world.
func (n *Node) Marker(id state.ClientID, fn func()) bool {
	n.mu.Lock()
	last, pending := n.lastOf[id]
	if !pending || n.isolated.Load() {
		n.mu.Unlock()
		return n.world.AfterLogged(id, fn)
	}
	n.marks[id] = append(n.marks[id], mark{lseq: last, fn: fn})
	n.mu.Unlock()
	return true
}

// clientOf is the client an event is about (0 for none).
func clientOf(ev state.Event) state.ClientID {
	switch ev := ev.(type) {
	case state.Line:
		return ev.ID
	case state.BadLine:
		return ev.ID
	case state.Connect:
		return ev.ID
	}
	return 0
}

// Isolated reports whether the node has lost the log: it accepts no
// clients and has closed its own.
func (n *Node) Isolated() bool { return n.isolated.Load() }

// Leave ends this node's life: its clients quit on every node ("Server
// shutting down"), which the world applies before Leave returns (at most
// a few seconds). Call it before World.Shutdown.
func (n *Node) Leave() {
	n.mu.Lock()
	n.leaving = true
	up := n.up
	n.mu.Unlock()
	if !up {
		return
	}
	if !n.Publish(state.NodeDown{Reason: "Server shutting down"}) {
		return
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		gone := true
		if !n.world.Call(func(w *state.World) { _, alive := w.NodeInfo(n.name); gone = !alive }) || gone {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	n.log.Warn("leaving: NodeDown did not come back in time")
}

// Close stops following the stream and closes the NATS connection,
// after the events already published have been stored (at most a few
// seconds).
func (n *Node) Close() {
	select {
	case <-n.stop:
		return
	default:
	}
	if n.pub != nil {
		n.pub.close(3 * time.Second)
	}
	close(n.stop)
	n.nc.Close()
	n.done.Wait()
}
