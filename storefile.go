package main

import (
	"path/filepath"

	"chatd/conf"
	"chatd/state"
	"chatd/store"
)

// storePathFor is the store file of cfg. conf.Load has made a relative
// [store] path relative to the config file's directory; the built-in
// defaults (no config file) keep "chatd.db", which this puts next to
// where the default config file would be, the directory chatd runs in.
// "" stays "" (in memory).
func storePathFor(cfg *conf.Config, configPath string) string {
	p := cfg.Store.Path
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(configPath), p)
}

// attachStore loads the store's accounts and registered groups into world,
// makes it the world's store and has outside changes (chatd account ...)
// reach the world. The caller starts st.Run afterwards.
func attachStore(world *state.World, st *store.Store) error {
	snap, err := st.Load()
	if err != nil {
		return err
	}
	world.LoadAccounts(snap.Accounts)
	world.LoadChannels(snap.Channels)
	world.SetStore(st)
	floor, stored, err := st.HistoryStart()
	if err != nil {
		return err
	}
	world.SetHistoryFloor(floor, stored)
	tops, err := st.HistoryMessageTops()
	if err != nil {
		return err
	}
	world.SetHistoryMessageTops(tops)
	waiting, err := st.OfflineCounts()
	if err != nil {
		return err
	}
	world.LoadOffline(waiting)
	markers, err := st.ReadMarkers()
	if err != nil {
		return err
	}
	world.LoadReadMarkers(markers)
	world.SetHistoryStore(st)
	st.SetHistoryRetention(world.Config.History.Retention.Duration)
	st.OnExternalChange = func(snap store.Snapshot) {
		world.StoreChanged(snap.Accounts, snap.Channels)
	}
	return nil
}
