package main

import (
	"context"
	"fmt"
	"time"

	"chatd/cluster"
	"chatd/state"
	"chatd/store"
)

// A cluster node ([cluster] nats set) differs from a single server in
// where its world comes from: the network's latest snapshot and stream,
// not its own store and K-line file. Its store and K-line file become
// projections of the log (every node writes the same), and only a new
// network is seeded from them.

// clusterTiming is how often a node ticks and snapshots (tests shorten
// them).
type clusterTiming struct{ tick, snapshot time.Duration }

// withClusterTiming sets how often a cluster node ticks and snapshots.
func withClusterTiming(tick, snapshot time.Duration) daemonOption {
	return func(d *daemon) { d.clusterTiming = clusterTiming{tick: tick, snapshot: snapshot} }
}

// openCluster connects a node and restores its world; klines are the
// node's K-line file, for seeding a new network.
func (d *daemon) openCluster(world *state.World, klines []state.Kline) error {
	st := d.store
	world.SetStore(st)
	world.SetHistoryStore(st)
	st.SetHistoryRetention(world.Config.History.Retention.Duration)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := world.Config
	node, err := cluster.Open(ctx, cluster.Options{
		Config:        cfg,
		World:         world,
		Log:           d.log,
		Info:          cfg.Server.Network + " server",
		Seed:          func() (state.Seed, error) { return seedFrom(st, klines) },
		Restored:      func(seq uint64) error { return projectSnapshot(st, world, seq) },
		SetIDBase:     d.srv.SetClientIDBase,
		TickEvery:     d.clusterTiming.tick,
		SnapshotEvery: d.clusterTiming.snapshot,
	})
	if err != nil {
		return err
	}
	d.node = node
	return nil
}

// joinCluster follows the stream until caught up and starts this node's
// life; the world runs.
func (d *daemon) joinCluster() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := d.node.Join(ctx); err != nil {
		return err
	}
	return nil
}

// seedFrom is what a single server kept, for a new network.
func seedFrom(st *store.Store, klines []state.Kline) (state.Seed, error) {
	snap, err := st.Load()
	if err != nil {
		return state.Seed{}, err
	}
	floor, stored, err := st.HistoryStart()
	if err != nil {
		return state.Seed{}, err
	}
	offline, err := st.OfflineCounts()
	if err != nil {
		return state.Seed{}, err
	}
	markers, err := st.ReadMarkers()
	if err != nil {
		return state.Seed{}, err
	}
	return state.Seed{Accounts: snap.Accounts, Channels: snap.Channels, Klines: klines, HistoryFloor: floor, Stored: stored, Offline: offline, Markers: markers}, nil
}

// projectSnapshot brings the store up to a snapshot newer than what it
// has projected (the node was down while the network moved on).
func projectSnapshot(st *store.Store, world *state.World, seq uint64) error {
	at, err := st.ProjectedSeq()
	if err != nil || at >= seq {
		return err
	}
	var channels []state.ChannelRecord
	for _, ch := range world.RegisteredChannels() {
		channels = append(channels, world.ChannelRecord(ch))
	}
	if err := st.ReplaceWorld(seq, world.AllAccounts(), channels); err != nil {
		return fmt.Errorf("cluster: bringing the store up to the snapshot: %w", err)
	}
	return nil
}
