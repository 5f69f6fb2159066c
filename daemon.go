package main

import (
	"context"
	"log/slog"
	"net"
	"time"

	"chatd/commands"
	"chatd/conf"
	"chatd/ircd"
	"chatd/state"
)

// daemon is a running chatd: the state goroutine and the listeners. main
// runs one until a signal; tests run one per test on 127.0.0.1:0.
type daemon struct {
	log       *slog.Logger
	world     *state.World
	srv       *ircd.Server
	cancel    context.CancelFunc
	worldDone chan struct{}
	serveDone chan struct{}
}

// startDaemon binds cfg's listeners and starts serving.
func startDaemon(cfg *conf.Config, log *slog.Logger) (*daemon, error) {
	world := state.New(cfg, commands.New(), log)
	srv, err := ircd.New(cfg, world, log)
	if err != nil {
		return nil, err
	}
	if err := srv.Listen(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemon{log: log, world: world, srv: srv, cancel: cancel, worldDone: make(chan struct{}), serveDone: make(chan struct{})}
	go func() { world.Run(); close(d.worldDone) }()
	go func() { srv.Serve(ctx); close(d.serveDone) }()
	return d, nil
}

// addrs returns the bound listener addresses.
func (d *daemon) addrs() []net.Addr { return d.srv.Addrs() }

// stop closes the listeners, sends every client ERROR, and waits (up to a
// few seconds) for queued lines to be flushed and sockets closed.
func (d *daemon) stop() {
	d.cancel()
	<-d.serveDone
	d.world.Shutdown("Server shutting down")
	<-d.worldDone
	if !d.srv.Wait(4 * time.Second) {
		d.log.Warn("some connections did not close in time")
	}
}
