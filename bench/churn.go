package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type churnConfig struct {
	workers  int
	duration time.Duration
	prefix   string
}

func churnFlags(fs *flag.FlagSet) runner {
	cfg := &churnConfig{}
	fs.IntVar(&cfg.workers, "workers", 32, "concurrent connect/quit loops")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long to keep starting new cycles")
	fs.StringVar(&cfg.prefix, "channel", "#churn", "channel name prefix (worker index is appended)")
	return func(ctx context.Context, e *env) (*outcome, error) {
		return runChurn(ctx, e, cfg)
	}
}

// runChurn has every worker loop connect → NICK/USER → 001 → JOIN →
// 366 → PART+QUIT → server closes, for cfg.duration.
func runChurn(ctx context.Context, e *env, cfg *churnConfig) (*outcome, error) {
	if cfg.workers < 1 || cfg.duration <= 0 {
		return nil, fmt.Errorf("-workers and -duration must be positive")
	}
	e.readBuf = 4 << 10
	var (
		errs    syncErrCounts
		cycles  atomic.Int64
		inTime  atomic.Int64 // cycles that finished before stopAt
		wg      sync.WaitGroup
		lats    = make([][]int64, cfg.workers)
		ovf0    = listenOverflows()
		start   = time.Now()
		stopAt  = start.Add(cfg.duration)
		stopLog = make(chan struct{})
	)
	for w := 0; w < cfg.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nick := e.nickFor(w)
			channel := cfg.prefix + strconv.Itoa(w)
			for k := 0; time.Now().Before(stopAt) && ctx.Err() == nil; k++ {
				t0 := time.Now()
				// Rotate source addresses across cycles as well as workers.
				c, err := connectNick(ctx, e, w+k*cfg.workers, nick)
				if err == nil {
					if err = c.join(ctx, e, channel); err == nil {
						err = c.partQuit(ctx, e, channel)
					}
					c.close()
				}
				if err != nil {
					if ctx.Err() == nil {
						e.debugf("churn: worker %d: %v", w, err)
						errs.add(err)
					}
					sleepCtx(ctx, 10*time.Millisecond) // don't spin on a dead server
					continue
				}
				done := time.Now()
				lats[w] = append(lats[w], int64(done.Sub(t0)))
				cycles.Add(1)
				if done.Before(stopAt) {
					inTime.Add(1)
				}
			}
		}()
	}
	go e.progress(stopLog, func() { e.logf("churn: %d cycles, %d errors", cycles.Load(), errs.count()) })
	wg.Wait()
	close(stopLog)
	elapsed := time.Since(start)

	var all []int64
	for _, l := range lats {
		all = append(all, l...)
	}
	n := cycles.Load()
	if errs.first != "" {
		e.logf("churn: first error: %s", errs.first)
	}
	var out outcome
	o := &out.summary
	o.add("scenario", "churn")
	o.add("server", e.addr)
	o.add("workers", cfg.workers)
	o.add("duration", fmtSec(cfg.duration))
	o.add("cycles", n)
	o.add("elapsed", fmtSec(elapsed))
	o.add("cycles_per_s", perSec(inTime.Load(), cfg.duration))
	o.add("cycle_p50", fmtMs(percentile(all, 0.50)))
	o.add("cycle_p99", fmtMs(percentile(all, 0.99)))
	o.add("cycle_max", fmtMs(percentile(all, 1)))
	o.add("errors", errs.m.total())
	o.add("error_kinds", errs.m.String())
	o.add("listen_overflows", overflowDelta(ovf0))
	out.complete = ctx.Err() == nil && errs.m.total() == 0 && n > 0
	return &out, nil
}
