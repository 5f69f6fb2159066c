package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type idleConfig struct {
	n           int
	concurrency int
	pid         int
	hold        time.Duration
	settle      time.Duration
}

func idleFlags(fs *flag.FlagSet) runner {
	cfg := &idleConfig{}
	fs.IntVar(&cfg.n, "n", 1000, "connections to open and register")
	fs.IntVar(&cfg.concurrency, "concurrency", 64, "registrations in flight at once")
	fs.IntVar(&cfg.pid, "pid", 0, "server process id; reports its VmRSS before/after")
	fs.DurationVar(&cfg.hold, "hold", 2*time.Second, "how long to hold the connections open")
	fs.DurationVar(&cfg.settle, "settle", time.Second, "wait after the last registration before reading RSS")
	return func(ctx context.Context, e *env) (*outcome, error) {
		return runIdle(ctx, e, cfg)
	}
}

func runIdle(ctx context.Context, e *env, cfg *idleConfig) (*outcome, error) {
	if cfg.n < 1 || cfg.concurrency < 1 {
		return nil, fmt.Errorf("-n and -concurrency must be positive")
	}
	// Idle connections receive almost nothing; keep our own memory small.
	e.readBuf = 4 << 10

	var rssBefore, rssAfter int64
	if cfg.pid > 0 {
		var err error
		if rssBefore, err = readRSS(cfg.pid); err != nil {
			return nil, err
		}
	}

	var (
		closing  atomic.Bool
		readers  sync.WaitGroup
		dropped  atomic.Int64
		errs     syncErrCounts
		clients  = make([]*client, cfg.n)
		regNs    = make([]int64, cfg.n)
		dialNs   = make([]int64, cfg.n)
		lastOK   atomic.Int64
		okCount  atomic.Int64
		idx      = make(chan int)
		workers  sync.WaitGroup
		firstErr atomic.Pointer[string]
	)
	overflow0 := listenOverflows()
	stopping := func() bool { return closing.Load() || ctx.Err() != nil }
	start := time.Now()
	for w := 0; w < cfg.concurrency; w++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for i := range idx {
				t0 := time.Now()
				c, err := connect(ctx, e, i)
				if err != nil {
					e.debugf("idle: client %d: %v", i, err)
					errs.add(err)
					regNs[i] = -1
					continue
				}
				now := time.Now()
				regNs[i] = int64(now.Sub(t0))
				dialNs[i] = int64(c.dial)
				lastOK.Store(now.UnixNano())
				okCount.Add(1)
				clients[i] = c
				readers.Add(1)
				go func() {
					defer readers.Done()
					if err := idleRead(c, stopping); err != nil {
						dropped.Add(1)
						s := err.Error()
						firstErr.CompareAndSwap(nil, &s)
					}
				}()
			}
		}()
	}
	stopLog := make(chan struct{})
	go e.progress(stopLog, func() { e.logf("idle: %d/%d registered", okCount.Load(), cfg.n) })
feed:
	for i := 0; i < cfg.n; i++ {
		select {
		case idx <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(idx)
	workers.Wait()
	close(stopLog)

	ok := okCount.Load()
	regElapsed := time.Since(start)
	if t := lastOK.Load(); t > 0 {
		regElapsed = time.Duration(t - start.UnixNano())
	}
	failed := errs.m.total()
	e.logf("idle: %d/%d registered in %s (%v)", ok, cfg.n, fmtSec(regElapsed), errs.m)
	if errs.first != "" {
		e.logf("idle: first failure: %s", errs.first)
	}

	sleepCtx(ctx, cfg.settle)
	if cfg.pid > 0 {
		var err error
		if rssAfter, err = readRSS(cfg.pid); err != nil {
			e.logf("idle: %v", err)
		}
	}
	sleepCtx(ctx, cfg.hold)

	closing.Store(true)
	quitAll(clients)
	readers.Wait()
	if p := firstErr.Load(); p != nil {
		e.logf("idle: first disconnect while holding: %s", *p)
	}

	var lat, dials []int64
	for i, v := range regNs {
		if v > 0 {
			lat = append(lat, v)
			dials = append(dials, dialNs[i])
		}
	}
	var out outcome
	o := &out.summary
	o.add("scenario", "idle")
	o.add("server", e.addr)
	o.add("n", cfg.n)
	o.add("concurrency", cfg.concurrency)
	o.add("registered", ok)
	o.add("failed", failed)
	o.add("refused", errs.m.byKind("refused"))
	o.add("errors", errs.m.String())
	o.add("elapsed", fmtSec(regElapsed))
	o.add("regs_per_s", perSec(ok, regElapsed))
	o.add("reg_p50", fmtMs(percentile(lat, 0.50)))
	o.add("reg_p99", fmtMs(percentile(lat, 0.99)))
	o.add("reg_max", fmtMs(percentile(lat, 1)))
	o.add("connect_p50", fmtMs(percentile(dials, 0.50)))
	o.add("connect_p99", fmtMs(percentile(dials, 0.99)))
	o.add("listen_overflows", overflowDelta(overflow0))
	if cfg.pid > 0 {
		o.add("pid", cfg.pid)
		o.add("rss_before_kb", rssBefore)
		o.add("rss_after_kb", rssAfter)
		perConn := 0.0
		if ok > 0 && rssAfter > 0 {
			perConn = float64(rssAfter-rssBefore) / float64(ok)
		}
		o.add("rss_per_conn_kb", strconv.FormatFloat(perConn, 'f', 2, 64))
	}
	o.add("dropped_clients", dropped.Load())
	out.complete = ctx.Err() == nil && ok == int64(cfg.n) && dropped.Load() == 0
	return &out, nil
}

// idleRead drains an idle connection, answering PINGs. It returns nil
// when we closed the connection ourselves and an error when the server
// did.
func idleRead(c *client, stopping func() bool) error {
	var serverErr string
	for {
		line, err := c.readLine()
		if err != nil {
			if stopping() {
				return nil
			}
			if serverErr != "" {
				return fmt.Errorf("ERROR: %s", serverErr)
			}
			return stepErr("read", err)
		}
		cmd, params := splitCommand(line)
		switch string(cmd) {
		case "PING":
			c.pong(params)
		case "ERROR":
			serverErr = string(trailingParam(params))
		}
	}
}

// sleepCtx sleeps for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// readRSS returns the VmRSS of process pid in kB.
func readRSS(pid int) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseVmRSS(f)
}
