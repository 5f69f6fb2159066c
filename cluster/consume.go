package cluster

import (
	"context"
	"errors"
	"time"

	"chatd/state"

	"github.com/nats-io/nats.go/jetstream"
)

// consume hands the stream's events to the world, in order, from startSeq
// on, until Close. An ordered consumer recreates itself after a NATS
// server or the connection was lost, so nothing is skipped or repeated.
func (n *Node) consume() {
	defer n.done.Done()
	for {
		err := n.follow()
		select {
		case <-n.stop:
			return
		default:
		}
		n.log.Warn("following the stream; starting again", "after", n.applied.Load(), "err", err)
		select {
		case <-n.stop:
			return
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// follow reads the stream after what was applied until an error.
func (n *Node) follow() error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-n.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	from := max(n.startSeq, n.applied.Load()+1)
	cons, err := n.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   from,
	})
	if err != nil {
		return err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1024))
	if err != nil {
		return err
	}
	// Stop may block for good: nats.go v1.55's ordered consumer, when its
	// server went away, retries resetting itself forever holding the lock
	// Stop takes. So it is stopped on a goroutine of its own, and the
	// stream followed again with a new consumer meanwhile.
	defer func() { go it.Stop() }()
	// Every node ticks: a stream silent for several ticks means this
	// consumer lost its way (a NATS server went away mid-pull), so it is
	// stopped and made again from the next sequence.
	silence := max(2*time.Second, 5*n.opts.TickEvery)
	go func() {
		last, since := n.applied.Load(), time.Now()
		t := time.NewTicker(silence / 4)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if at := n.applied.Load(); at != last {
				last, since = at, time.Now()
			} else if time.Since(since) > silence {
				n.log.Warn("the stream has been silent; following it again", "after", at)
				cancel()
				return
			}
		}
	}()
	// Next runs on a goroutine of its own: a consumer whose server went
	// away has been seen not to return from it even once stopped, and
	// following the stream must go on regardless.
	msgs := make(chan jetstream.Msg)
	errs := make(chan error, 1)
	go func() {
		for {
			msg, err := it.Next(jetstream.NextMaxWait(silence))
			if err != nil {
				errs <- err
				return
			}
			select {
			case msgs <- msg:
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		var msg jetstream.Msg
		select {
		case msg = <-msgs:
		case err := <-errs:
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			return err
		case <-ctx.Done():
			return errors.New("stopped following the stream")
		}
		md, err := msg.Metadata()
		if err != nil {
			return err
		}
		seq := md.Sequence.Stream
		if seq <= n.applied.Load() {
			continue
		}
		n.deliver(seq, md.Timestamp, msg.Data())
	}
}

// deliver decodes one event of the stream and hands it to the world.
func (n *Node) deliver(seq uint64, at time.Time, data []byte) {
	env, ev, err := decode(data)
	if err != nil {
		// Every node skips it alike: their worlds stay the same.
		n.log.Error("skipping an event of the stream", "seq", seq, "err", err)
		n.applied.Store(seq)
		return
	}
	own := env.Node == n.name
	switch ev := ev.(type) {
	case state.Connect:
		if own {
			n.mu.Lock()
			if out, ok := n.outs[ev.ID]; ok && env.Epoch == n.epoch {
				ev.Out = out
				delete(n.outs, ev.ID)
			}
			n.mu.Unlock()
		}
		// A connection that ended before its Connect came back, or of an
		// earlier life, is not this node's: the world's copy stays remote.
		data := ev
		n.apply(seq, at, env, data)
		n.afterOwn(own, env, ev.ID)
		return
	case state.NodeUp:
		n.apply(seq, at, env, ev)
		if own && env.Boot == n.boot {
			n.mu.Lock()
			if n.epoch == 0 {
				n.epoch, n.up = seq, true
				n.isolated.Store(false)
				close(n.epochSet)
			}
			n.mu.Unlock()
		}
		return
	case state.Tick:
		n.apply(seq, at, env, ev)
		if own {
			n.ownTick.Store(time.Now().UnixNano())
		}
		return
	case state.ConfigChange:
		n.configSet.Store(true)
	case state.Line:
		n.apply(seq, at, env, ev)
		n.afterOwn(own, env, ev.ID)
		return
	case state.BadLine:
		n.apply(seq, at, env, ev)
		n.afterOwn(own, env, ev.ID)
		return
	}
	n.apply(seq, at, env, ev)
}

func (n *Node) apply(seq uint64, at time.Time, env envelope, ev state.Event) {
	n.world.Apply(state.Stamped{Stamp: state.Stamp{Seq: seq, Time: at}, Event: ev, Node: env.Node, Epoch: env.Epoch, LSeq: env.LSeq})
	n.applied.Store(seq)
}

// afterOwn runs the markers that waited for this node's event about
// client id (World.AfterLogged puts them behind it in the inbox).
func (n *Node) afterOwn(own bool, env envelope, id state.ClientID) {
	if !own {
		return
	}
	n.mu.Lock()
	if env.Epoch != n.epoch {
		n.mu.Unlock()
		return
	}
	var due []mark
	list := n.marks[id]
	for len(list) > 0 && list[0].lseq <= env.LSeq {
		due = append(due, list[0])
		list = list[1:]
	}
	if len(list) == 0 {
		delete(n.marks, id)
	} else {
		n.marks[id] = list
	}
	if n.lastOf[id] <= env.LSeq {
		delete(n.lastOf, id)
	}
	n.mu.Unlock()
	for _, m := range due {
		n.world.AfterLogged(id, m.fn)
	}
}

// keepAlive ticks, watches that the node's own ticks come back, and takes
// the snapshots when this node is the one that takes them.
func (n *Node) keepAlive() {
	defer n.done.Done()
	tick := time.NewTicker(n.opts.TickEvery)
	defer tick.Stop()
	nextSnapshot := time.Now().Add(n.opts.SnapshotEvery)
	for {
		select {
		case <-n.stop:
			return
		case <-tick.C:
		}
		n.mu.Lock()
		leaving := n.leaving
		n.mu.Unlock()
		if leaving {
			continue
		}
		if n.isolated.Load() {
			n.rejoin()
			continue
		}
		n.Publish(state.Tick{})
		if silent := time.Since(time.Unix(0, n.ownTick.Load())); silent > n.timeout-n.opts.TickEvery {
			n.isolate(silent)
			continue
		}
		if time.Now().After(nextSnapshot) {
			if n.snapshotter() {
				n.snapshot()
			}
			nextSnapshot = time.Now().Add(n.opts.SnapshotEvery)
		}
	}
}

// isolate stops serving: the node's ticks have not come back through the
// stream for about node_timeout, so the other nodes are about to decide
// (or have decided) that it is gone. Its clients are told and
// disconnected; no new ones are accepted (Publish refuses) until the
// node starts a new life.
func (n *Node) isolate(silent time.Duration) {
	n.log.Error("lost the cluster: this node's ticks are not coming back; closing its clients", "silent_for", silent.Round(time.Millisecond).String(), "applied", n.applied.Load(), "published", n.lseq)
	n.isolated.Store(true)
	n.mu.Lock()
	n.up = false
	n.outs = map[state.ClientID]state.Outbox{}
	n.lastOf = map[state.ClientID]uint64{}
	marks := n.marks
	n.marks = map[state.ClientID][]mark{}
	n.mu.Unlock()
	n.world.Post(func(w *state.World) { w.CloseLocal("Lost contact with the rest of the network; reconnect") })
	for id, list := range marks {
		for _, m := range list {
			n.world.AfterLogged(id, m.fn)
		}
	}
}

// rejoin starts a new life once the stream answers again; the old one's
// clients quit on every node when its NodeUp is applied.
func (n *Node) rejoin() {
	ctx, cancel := context.WithTimeout(context.Background(), n.timeout)
	defer cancel()
	if _, err := n.stream.Info(ctx); err != nil {
		return
	}
	if err := n.startLife(ctx); err != nil {
		n.log.Warn("rejoining the cluster", "err", err)
		return
	}
	n.ownTick.Store(time.Now().UnixNano())
	n.log.Info("rejoined the cluster with a new life")
}
