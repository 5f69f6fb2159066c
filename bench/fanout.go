package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type fanoutConfig struct {
	clients     int
	senders     int
	lines       int
	rate        float64
	channel     string
	idle        time.Duration
	concurrency int
	pad         int
}

func fanoutFlags(fs *flag.FlagSet) runner {
	cfg := &fanoutConfig{}
	fs.IntVar(&cfg.clients, "clients", 200, "channel members (senders included)")
	fs.IntVar(&cfg.senders, "senders", 10, "members that send")
	fs.IntVar(&cfg.lines, "lines", 1000, "PRIVMSGs per sender")
	fs.Float64Var(&cfg.rate, "rate", 0, "lines/s per sender (0: as fast as the socket accepts)")
	fs.StringVar(&cfg.channel, "channel", "#bench", "channel name")
	fs.DurationVar(&cfg.idle, "idle", 10*time.Second, "give up after this long without progress")
	fs.IntVar(&cfg.concurrency, "concurrency", 64, "connections set up in parallel")
	fs.IntVar(&cfg.pad, "pad", 0, "extra payload bytes per message")
	return func(ctx context.Context, e *env) (*outcome, error) {
		return runFanout(ctx, e, cfg)
	}
}

// member is one channel member and its receive-side statistics. Only its
// reader goroutine writes the non-atomic fields; they are read after the
// reader has exited.
type member struct {
	c        *client
	received atomic.Int64
	last     atomic.Int64 // unix nanos of the latest delivery
	lastSeq  []int32      // per sender, -1 before the first
	reorder  int64        // deliveries whose seq was not above the previous one
	h        hist
	dropped  bool
	reason   string
}

// read consumes the member's connection until it is closed. stopping
// reports whether we are closing connections ourselves, in which case a
// read error is not a server-side disconnect.
func (m *member) read(stopping func() bool) {
	for {
		line, err := m.c.readLine()
		if err != nil {
			if !stopping() && !m.dropped {
				m.dropped = true
				m.reason = classify(err) + ": " + err.Error()
			}
			return
		}
		if text, ok := privmsgText(line); ok {
			if ts, s, seq, ok := parsePayload(text); ok {
				now := time.Now().UnixNano()
				m.h.add(now - ts)
				if s >= 0 && s < len(m.lastSeq) {
					if int32(seq) <= m.lastSeq[s] {
						m.reorder++
					}
					m.lastSeq[s] = int32(seq)
				}
				m.last.Store(now)
				m.received.Add(1)
			}
			continue
		}
		cmd, params := splitCommand(line)
		switch string(cmd) {
		case "PING":
			m.c.pong(params)
		case "ERROR":
			if !stopping() && !m.dropped {
				m.dropped = true
				m.reason = "ERROR: " + string(trailingParam(params))
			}
		}
	}
}

func runFanout(ctx context.Context, e *env, cfg *fanoutConfig) (*outcome, error) {
	switch {
	case cfg.clients < 2:
		return nil, fmt.Errorf("-clients must be at least 2")
	case cfg.senders < 1 || cfg.senders > cfg.clients:
		return nil, fmt.Errorf("-senders must be between 1 and -clients")
	case cfg.lines < 1:
		return nil, fmt.Errorf("-lines must be positive")
	case cfg.concurrency < 1:
		return nil, fmt.Errorf("-concurrency must be positive")
	case !strings.ContainsAny(cfg.channel[:min(1, len(cfg.channel))], "#&+!"):
		return nil, fmt.Errorf("-channel %q is not a channel name", cfg.channel)
	}

	// Setup: connect, register and join, cfg.concurrency at a time. Each
	// member starts reading as soon as it has joined, so the JOIN floods
	// of later members never back up.
	var (
		closing   atomic.Bool
		readers   sync.WaitGroup
		errs      syncErrCounts
		members   = make([]*member, cfg.clients)
		setupT0   = time.Now()
		overflow0 = listenOverflows()
		idx       = make(chan int)
		setupWG   sync.WaitGroup
		joinCount atomic.Int64
	)
	// Cancellation closes connections too (see connect); ctx.Err() is set
	// before that happens.
	stopping := func() bool { return closing.Load() || ctx.Err() != nil }
	for w := 0; w < cfg.concurrency; w++ {
		setupWG.Add(1)
		go func() {
			defer setupWG.Done()
			for i := range idx {
				c, err := connect(ctx, e, i)
				if err == nil {
					err = c.join(ctx, e, cfg.channel)
					if err != nil {
						c.close()
					}
				}
				if err != nil {
					e.debugf("fanout: client %d: %v", i, err)
					errs.add(err)
					continue
				}
				m := &member{c: c, lastSeq: make([]int32, cfg.senders)}
				for s := range m.lastSeq {
					m.lastSeq[s] = -1
				}
				members[i] = m
				joinCount.Add(1)
				readers.Add(1)
				go func() {
					defer readers.Done()
					m.read(stopping)
				}()
			}
		}()
	}
	progressDone := make(chan struct{})
	go e.progress(progressDone, func() { e.logf("fanout: setup %d/%d joined", joinCount.Load(), cfg.clients) })
feed:
	for i := 0; i < cfg.clients; i++ {
		select {
		case idx <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(idx)
	setupWG.Wait()
	close(progressDone)
	setupDur := time.Since(setupT0)

	var joined []*member
	for _, m := range members {
		if m != nil {
			joined = append(joined, m)
		}
	}
	joinFailed := cfg.clients - len(joined)
	if joinFailed > 0 {
		e.logf("fanout: %d clients failed setup (%v); first: %s", joinFailed, errs.m, errs.first)
	}
	e.logf("fanout: %d/%d joined %s in %s", len(joined), cfg.clients, cfg.channel, fmtSec(setupDur))

	nSend := min(cfg.senders, len(joined))
	expected := int64(nSend) * int64(cfg.lines) * int64(max(len(joined)-1, 0))

	// Send phase.
	var (
		sent      atomic.Int64
		sendErrs  atomic.Int64
		sendWG    sync.WaitGroup
		sendEnd   atomic.Int64
		sendsLeft atomic.Int64
	)
	start := time.Now()
	sendsLeft.Store(int64(nSend))
	if ctx.Err() == nil && len(joined) >= 2 {
		for s := 0; s < nSend; s++ {
			sendWG.Add(1)
			go func() {
				defer sendWG.Done()
				if err := sendLines(ctx, joined[s].c, s, nSend, cfg, start, &sent); err != nil && !stopping() {
					sendErrs.Add(1)
					e.logf("fanout: sender %s: %v", joined[s].c.nick, err)
				}
				if sendsLeft.Add(-1) == 0 {
					sendEnd.Store(time.Now().UnixNano())
				}
			}()
		}
	}

	// Wait for all deliveries, no progress for cfg.idle, or the deadline.
	end := "complete"
	total := func() int64 {
		var n int64
		for _, m := range joined {
			n += m.received.Load()
		}
		return n
	}
	if len(joined) < 2 {
		end = "setup"
	} else {
		tick := time.NewTicker(50 * time.Millisecond)
		lastRecv, lastSent := int64(-1), int64(-1)
		lastProgress, lastLog := start, start
	wait:
		for {
			var now time.Time
			select {
			case <-ctx.Done():
				end = "timeout"
				break wait
			case now = <-tick.C:
			}
			r, s := total(), sent.Load()
			if r >= expected {
				break
			}
			if r != lastRecv || s != lastSent {
				lastRecv, lastSent, lastProgress = r, s, now
			}
			if now.Sub(lastProgress) > cfg.idle {
				end = "idle"
				break
			}
			if now.Sub(lastLog) >= time.Second {
				lastLog = now
				e.logf("fanout: sent %d/%d received %d/%d (%.1f%%)", s, int64(nSend)*int64(cfg.lines),
					r, expected, 100*float64(r)/float64(max(expected, 1)))
			}
		}
		tick.Stop()
	}
	stopped := time.Now()

	// Tear down. Closing unblocks every reader and any blocked sender.
	closing.Store(true)
	all := make([]*client, len(joined))
	for i, m := range joined {
		all[i] = m.c
	}
	quitAll(all)
	readers.Wait()
	sendWG.Wait()

	// Aggregate.
	var (
		h         hist
		received  int64
		reordered int64
		dropped   int
		lastNs    int64
		reasons   = map[string]int{}
	)
	for _, m := range joined {
		h.merge(&m.h)
		received += m.received.Load()
		reordered += m.reorder
		lastNs = max(lastNs, m.last.Load())
		if m.dropped {
			dropped++
			reasons[m.reason]++
		}
	}
	if dropped > 0 {
		e.logf("fanout: %d clients disconnected by the server: %v", dropped, reasons)
	}
	elapsed := stopped.Sub(start)
	if lastNs > 0 {
		elapsed = time.Duration(lastNs - start.UnixNano())
	}
	sendDur := stopped.Sub(start)
	if t := sendEnd.Load(); t > 0 {
		sendDur = time.Duration(t - start.UnixNano())
	}
	lost := max(expected-received, 0)

	var out outcome
	o := &out.summary
	o.add("scenario", "fanout")
	o.add("server", e.addr)
	o.add("clients", cfg.clients)
	o.add("joined", len(joined))
	o.add("senders", nSend)
	o.add("lines", cfg.lines)
	o.add("rate", cfg.rate)
	o.add("expected", expected)
	o.add("received", received)
	o.add("lost", lost)
	o.add("reordered", reordered)
	o.add("elapsed", fmtSec(elapsed))
	o.add("deliveries_per_s", perSec(received, elapsed))
	o.add("sent", sent.Load())
	o.add("send_elapsed", fmtSec(sendDur))
	o.add("sends_per_s", perSec(sent.Load(), sendDur))
	o.add("p50", fmtMs(h.quantile(0.50)))
	o.add("p90", fmtMs(h.quantile(0.90)))
	o.add("p99", fmtMs(h.quantile(0.99)))
	o.add("max", fmtMs(h.max))
	o.add("dropped_clients", dropped)
	o.add("join_failed", joinFailed)
	o.add("setup_errors", errs.m.String())
	o.add("send_errors", sendErrs.Load())
	o.add("setup", fmtSec(setupDur))
	o.add("listen_overflows", overflowDelta(overflow0))
	o.add("end", end)
	out.complete = end == "complete" && lost == 0 && dropped == 0 && joinFailed == 0 && sendErrs.Load() == 0
	return &out, nil
}

// sendLines sends cfg.lines PRIVMSGs from sender s (of n). With a rate,
// sender s starts s/n of an interval after start so the senders do not
// fire in lockstep, and falls back to sending immediately when behind.
func sendLines(ctx context.Context, c *client, s, n int, cfg *fanoutConfig, start time.Time, sent *atomic.Int64) error {
	buf := make([]byte, 0, 128+cfg.pad)
	head := "PRIVMSG " + cfg.channel + " :"
	pad := strings.Repeat("x", cfg.pad)
	var interval time.Duration
	next := start
	if cfg.rate > 0 {
		interval = time.Duration(float64(time.Second) / cfg.rate)
		next = start.Add(interval * time.Duration(s) / time.Duration(n))
	}
	for seq := 0; seq < cfg.lines; seq++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if interval > 0 {
			if d := time.Until(next); d > 0 {
				time.Sleep(d)
			}
			next = next.Add(interval)
		}
		buf = append(buf[:0], head...)
		buf = appendPayload(buf, time.Now().UnixNano(), s, seq)
		if cfg.pad > 0 {
			buf = append(buf, ' ')
			buf = append(buf, pad...)
		}
		buf = append(buf, '\r', '\n')
		if _, err := c.conn.Write(buf); err != nil {
			return err
		}
		sent.Add(1)
	}
	return nil
}
