package main

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"time"

	"chatd/cluster"
	"chatd/commands"
	"chatd/conf"
	"chatd/ircd"
	"chatd/state"
	"chatd/store"
	"chatd/web"
)

// daemon is a running chatd: the state goroutine and the listeners. main
// runs one until a signal; tests run one per test on 127.0.0.1:0.
type daemon struct {
	log       *slog.Logger
	world     *state.World
	srv       *ircd.Server
	web       *web.Server // the chat page, WebSocket, /metrics, /healthz
	cancel    context.CancelFunc
	worldDone chan struct{}
	serveDone chan struct{}

	configPath  string        // re-read by REHASH and SIGHUP; "" if none
	klinePath   string        // where K-lines are kept; "" keeps them in memory only
	klines      *klineFile    // nil without klinePath
	idleHandOff time.Duration // see ircd.Server.SetIdleHandOff
	stall       time.Duration // see ircd.Server.SetStallTimeout; 0 for the default
	reloadMu    sync.Mutex    // one reload at a time (reload.go)

	store     *store.Store // accounts and registered groups; in memory unless withStore
	storeDone chan struct{}
	tune      func(*state.World) // withWorldTuning
	stopHook  func()             // withStopHook
	beforeRun func(*state.World) // withBeforeRun

	node          *cluster.Node // a cluster node's link to the others; nil on a single server
	clusterTiming clusterTiming // withClusterTiming
}

// withStopHook calls fn in the middle of stop, after the world has shut
// down and before the sockets are waited for (tests: a scrape during
// shutdown).
func withStopHook(fn func()) daemonOption { return func(d *daemon) { d.stopHook = fn } }

// daemonOption configures startDaemon.
type daemonOption func(*daemon)

// withConfigPath names the config file that REHASH and SIGHUP re-read.
func withConfigPath(path string) daemonOption { return func(d *daemon) { d.configPath = path } }

// withKlineFile keeps K-lines in the file at path (see klinefile.go).
func withKlineFile(path string) daemonOption { return func(d *daemon) { d.klinePath = path } }

// withStore uses st (already open) for accounts and registered groups;
// without it they are kept in an in-memory database. The daemon closes it
// when it stops.
func withStore(st *store.Store) daemonOption { return func(d *daemon) { d.store = st } }

// withWorldTuning calls fn on the world before it runs (tests: cheaper
// password hashing, short nick-reservation timeouts).
func withWorldTuning(fn func(*state.World)) daemonOption { return func(d *daemon) { d.tune = fn } }

// withBeforeRun calls fn on the world once it is loaded, just before it
// runs (tests: recording its log for a replay).
func withBeforeRun(fn func(*state.World)) daemonOption { return func(d *daemon) { d.beforeRun = fn } }

// withIdleHandOff sets how long a connection stays quiet before its reader
// moves to a fresh goroutine (ircd.DefaultIdleHandOff otherwise).
func withIdleHandOff(after time.Duration) daemonOption {
	return func(d *daemon) { d.idleHandOff = after }
}

// withStallTimeout sets how long a congested send queue may make no
// progress before its client is dropped (ircd.DefaultStallTimeout
// otherwise).
func withStallTimeout(d time.Duration) daemonOption { return func(dm *daemon) { dm.stall = d } }

// startDaemon binds cfg's listeners and starts serving.
func startDaemon(cfg *conf.Config, log *slog.Logger, opts ...daemonOption) (*daemon, error) {
	d := &daemon{log: log, worldDone: make(chan struct{}), serveDone: make(chan struct{}), idleHandOff: ircd.DefaultIdleHandOff}
	for _, o := range opts {
		o(d)
	}
	world := state.New(cfg, commands.New(), log)
	if d.tune != nil {
		d.tune(world)
	}
	srv, err := ircd.New(cfg, world, log)
	if err != nil {
		d.closeStore(false)
		return nil, err
	}
	if d.store == nil {
		if d.store, err = store.Open("", log); err != nil {
			return nil, err
		}
	}
	d.srv = srv
	if !cfg.Clustered() {
		if err := attachStore(world, d.store); err != nil {
			d.closeStore(false)
			return nil, err
		}
	}
	srv.SetIdleHandOff(d.idleHandOff)
	if d.stall > 0 {
		srv.SetStallTimeout(d.stall)
	}
	var klines []state.Kline
	if d.klinePath != "" {
		if klines, err = loadKlineFile(d.klinePath); err != nil {
			d.closeStore(false)
			return nil, err
		}
	}
	// The web side reads only atomics and histograms the state goroutine
	// and the store feed (ObserveEvents and ObserveWrites are set here,
	// before they run).
	metrics := web.NewMetrics(srv.Stats(), world, d.store)
	webSrv, err := web.New(cfg, srv, web.NewWorldProbe(world).Check, log)
	if err != nil {
		d.closeStore(false)
		return nil, err
	}
	webSrv.SetMetrics(metrics.Handler())
	if err := webSrv.Listen(cfg); err != nil {
		d.closeStore(false)
		return nil, err
	}
	if err := srv.Listen(); err != nil {
		webSrv.Close(0)
		d.closeStore(false)
		return nil, err
	}
	d.web = webSrv
	if cfg.Clustered() {
		if err := d.openCluster(world, klines); err != nil {
			closeListeners(srv)
			webSrv.Close(0)
			d.closeStore(false)
			return nil, err
		}
	} else {
		world.LoadKlines(klines)
	}
	if d.klinePath != "" {
		d.klines = newKlineFile(d.klinePath, log)
		world.SetKlineStore(d.klines)
	}
	world.SetReloader(d)
	ctx, cancel := context.WithCancel(context.Background())
	d.world, d.srv, d.cancel = world, srv, cancel
	d.storeDone = make(chan struct{})
	if d.beforeRun != nil {
		d.beforeRun(world)
	}
	go func() { d.store.Run(); close(d.storeDone) }()
	go func() { world.Run(); close(d.worldDone) }()
	if d.node != nil {
		if err := d.joinCluster(); err != nil {
			d.node.Close()
			world.Shutdown("Server shutting down")
			<-d.worldDone
			d.closeStore(true)
			closeListeners(srv)
			webSrv.Close(0)
			return nil, err
		}
	}
	go func() { srv.Serve(ctx); close(d.serveDone) }()
	webSrv.Serve()
	return d, nil
}

// addrs returns the bound listener addresses.
func (d *daemon) addrs() []net.Addr { return d.srv.Addrs() }

// stop closes the listeners, sends every client ERROR, and waits (up to a
// few seconds) for queued lines to be flushed and sockets closed. The web
// side takes no new WebSocket clients from the start, but goes on serving
// /metrics and /healthz until the end.
func (d *daemon) stop() {
	d.cancel()
	<-d.serveDone
	d.web.StopAccepting()
	if d.node != nil {
		d.node.Leave() // this node's clients quit on every node
	}
	d.world.Shutdown("Server shutting down")
	<-d.worldDone
	if d.node != nil {
		d.node.Close()
	}
	if d.klines != nil {
		d.klines.close() // writes the last K-line change, if one is pending
	}
	d.closeStore(true) // commits what was submitted before the world stopped
	if d.stopHook != nil {
		d.stopHook()
	}
	if !d.srv.Wait(4 * time.Second) {
		d.log.Warn("some connections did not close in time")
	}
	d.web.Close(time.Second)
}

// webURLs are the chat page's addresses.
func (d *daemon) webURLs() []string { return d.web.URLs() }

// closeStore closes the store; running says whether its Run was started.
func (d *daemon) closeStore(running bool) {
	if d.store == nil {
		return
	}
	if err := d.store.Close(running); err != nil {
		d.log.Error("closing the store", "err", err)
	}
}

// closeListeners closes srv's bound listeners without ever serving them.
func closeListeners(srv *ircd.Server) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	srv.Serve(ctx)
}
