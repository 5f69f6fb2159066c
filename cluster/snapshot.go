package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"chatd/state"

	"github.com/nats-io/nats.go/jetstream"
)

// Snapshots. The live node with the lowest name serialises the world
// every SnapshotEvery (state.World.TakeSnapshot, at the first moment no
// client waits for slow work) into the object store as "latest", the
// one before it kept as "previous", with the sequence each covers in its
// metadata; the stream is then purged up to the previous one, so a
// restart replays at most two snapshot periods of events and the stream
// does not grow without end. A starting node restores the latest
// snapshot the stream still continues, and replays from the event after
// it.

const (
	latestSnapshot   = "latest"
	previousSnapshot = "previous"
)

// restore loads the newest usable snapshot into the world (not yet
// running) and sets where the node starts reading the stream.
func (n *Node) restore(ctx context.Context, firstSeq, msgs uint64) error {
	n.startSeq = 1
	for _, name := range []string{latestSnapshot, previousSnapshot} {
		info, err := n.snaps.GetInfo(ctx, name)
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("cluster: snapshot %s: %w", name, err)
		}
		seq, _ := strconv.ParseUint(info.Metadata["seq"], 10, 64)
		if msgs > 0 && firstSeq > seq+1 {
			n.log.Warn("snapshot too old for the stream", "snapshot", name, "seq", seq, "stream_first", firstSeq)
			continue
		}
		start := time.Now()
		data, err := n.snaps.GetBytes(ctx, name)
		if err != nil {
			return fmt.Errorf("cluster: snapshot %s: %w", name, err)
		}
		got, err := n.world.RestoreSnapshot(data)
		if err != nil {
			return fmt.Errorf("cluster: snapshot %s: %w", name, err)
		}
		n.startSeq, n.restored = got+1, got
		n.applied.Store(got)
		n.configSet.Store(true)
		if n.opts.Restored != nil {
			if err := n.opts.Restored(got); err != nil {
				return err
			}
		}
		n.log.Info("world restored from a snapshot", "snapshot", name, "seq", got, "bytes", len(data), "took", time.Since(start).Round(time.Millisecond).String())
		return nil
	}
	if msgs > 0 && firstSeq > 1 {
		return fmt.Errorf("cluster: the stream starts at event %d and no snapshot reaches it: this node cannot rebuild the world", firstSeq)
	}
	return nil
}

// snapshotter reports whether this node takes the snapshots: the live
// node with the lowest name (every node agrees on who that is).
func (n *Node) snapshotter() bool {
	var first string
	n.world.Call(func(w *state.World) {
		if nodes := w.Nodes(); len(nodes) > 0 {
			first = nodes[0].Name
		}
	})
	return first == n.name
}

// snapshot takes one (waiting at most a few seconds for a moment when no
// client waits for slow work), stores it, and purges the stream up to
// the previous one.
func (n *Node) snapshot() {
	var data []byte
	var seq uint64
	var err error
	deadline := time.Now().Add(5 * time.Second)
	start := time.Now()
	for data == nil && time.Now().Before(deadline) {
		n.world.Call(func(w *state.World) {
			if w.Quiescent() {
				seq = w.Seq()
				data, err = w.TakeSnapshot()
			}
		})
		if err != nil {
			n.log.Error("snapshot", "err", err)
			return
		}
		if data == nil {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if data == nil {
		n.log.Warn("no snapshot: clients kept waiting for slow work for 5 s; trying again later")
		return
	}
	taken := time.Since(start)
	if err := n.storeSnapshot(seq, data); err != nil {
		n.log.Error("storing a snapshot", "err", err)
		return
	}
	n.log.Info("snapshot stored", "seq", seq, "bytes", len(data), "took", taken.Round(time.Microsecond).String())
}

// StoreSnapshot takes a snapshot now and stores it (tests, tools); it
// fails when the world is not quiescent.
func (n *Node) StoreSnapshot() (uint64, error) {
	var data []byte
	var seq uint64
	var err error
	n.world.Call(func(w *state.World) {
		seq = w.Seq()
		data, err = w.TakeSnapshot()
	})
	if err != nil {
		return 0, err
	}
	return seq, n.storeSnapshot(seq, data)
}

func (n *Node) storeSnapshot(seq uint64, data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	purgeTo := uint64(0)
	if info, err := n.snaps.GetInfo(ctx, latestSnapshot); err == nil {
		prev, err := n.snaps.GetBytes(ctx, latestSnapshot)
		if err != nil {
			return err
		}
		if _, err := n.snaps.Put(ctx, jetstream.ObjectMeta{Name: previousSnapshot, Metadata: info.Metadata}, bytes.NewReader(prev)); err != nil {
			return err
		}
		purgeTo, _ = strconv.ParseUint(info.Metadata["seq"], 10, 64)
	}
	meta := jetstream.ObjectMeta{Name: latestSnapshot, Metadata: map[string]string{"seq": strconv.FormatUint(seq, 10), "node": n.name}}
	if _, err := n.snaps.Put(ctx, meta, bytes.NewReader(data)); err != nil {
		return err
	}
	if purgeTo > 0 {
		if err := n.stream.Purge(ctx, jetstream.WithPurgeSequence(purgeTo+1)); err != nil {
			return fmt.Errorf("purging the stream up to %d: %w", purgeTo, err)
		}
	}
	return nil
}
