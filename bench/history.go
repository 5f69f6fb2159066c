package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"time"
)

// The chathistory scenario: the fanout scenario runs (paced, the steady
// load), and meanwhile one more member of the channel that negotiated
// draft/chathistory asks CHATHISTORY LATEST <channel> * <limit> every
// -every and times each answer, from the request to the end of its
// batch. Whether the answers come from memory or from the store is the
// server's business: chatd answers from memory while its channel_length
// covers the limit, from the store otherwise (bench/README.md shows both).
type historyConfig struct {
	fanout fanoutConfig
	every  time.Duration
	limit  int
	warmup time.Duration
}

func historyFlags(fs *flag.FlagSet) runner {
	cfg := &historyConfig{}
	fs.IntVar(&cfg.fanout.clients, "clients", 200, "channel members (senders included; the reader is one more)")
	fs.IntVar(&cfg.fanout.senders, "senders", 10, "members that send")
	fs.IntVar(&cfg.fanout.lines, "lines", 500, "PRIVMSGs per sender")
	fs.Float64Var(&cfg.fanout.rate, "rate", 100, "lines/s per sender (0: as fast as the socket accepts)")
	fs.StringVar(&cfg.fanout.channel, "channel", "#bench", "channel name")
	fs.DurationVar(&cfg.fanout.idle, "idle", 10*time.Second, "give up after this long without progress")
	fs.IntVar(&cfg.fanout.concurrency, "concurrency", 64, "connections set up in parallel")
	fs.IntVar(&cfg.limit, "limit", 100, "CHATHISTORY LATEST limit")
	fs.DurationVar(&cfg.every, "every", 20*time.Millisecond, "time between two requests")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "time after the senders start before the first request")
	return func(ctx context.Context, e *env) (*outcome, error) {
		return runHistory(ctx, e, cfg)
	}
}

func runHistory(ctx context.Context, e *env, cfg *historyConfig) (*outcome, error) {
	reader, err := connectNick(ctx, e, 1<<20, e.nickPrefix+"hr")
	if err != nil {
		return nil, fmt.Errorf("reader: %v", err)
	}
	defer reader.quit()
	if err := reader.write("CAP REQ :batch draft/chathistory\r\n"); err != nil {
		return nil, fmt.Errorf("reader: %v", err)
	}
	if err := reader.join(ctx, e, cfg.fanout.channel); err != nil {
		return nil, fmt.Errorf("reader: %v", err)
	}
	// The reader keeps reading (live messages, PINGs) while idle; answers
	// to its requests are picked out by their batch.
	lines := make(chan []byte, 4096)
	go func() {
		defer close(lines)
		for {
			l, err := reader.readLine()
			if err != nil {
				return
			}
			cmd, params := splitCommand(l)
			if string(cmd) == "PING" {
				reader.pong(params)
				continue
			}
			if bytes.Contains(l, []byte(" BATCH ")) || bytes.HasPrefix(l, []byte("@batch=")) {
				lines <- append([]byte(nil), l...)
			}
		}
	}()

	done := make(chan *outcome, 1)
	go func() {
		out, err := runFanout(ctx, e, &cfg.fanout)
		if err != nil {
			e.logf("chathistory: fanout: %v", err)
		}
		done <- out
	}()

	var h hist
	queries, returned, failed := 0, 0, 0
	request := fmt.Sprintf("CHATHISTORY LATEST %s * %d\r\n", cfg.fanout.channel, cfg.limit)
	timer := time.NewTimer(cfg.warmup)
	defer timer.Stop()
	var fan *outcome
loop:
	for {
		select {
		case fan = <-done:
			break loop
		case <-ctx.Done():
			break loop
		case <-timer.C:
		}
		t0 := time.Now()
		if err := reader.write(request); err != nil {
			failed++
			break
		}
		n, ok := readBatch(ctx, lines)
		if !ok {
			failed++
			break
		}
		h.add(int64(time.Since(t0)))
		queries++
		returned += n
		timer.Reset(cfg.every)
	}
	if fan == nil {
		fan = <-done
	}
	if fan == nil {
		return nil, fmt.Errorf("the fanout did not run")
	}
	o := &fan.summary
	o.add("ch_limit", cfg.limit)
	o.add("ch_queries", queries)
	o.add("ch_failed", failed)
	o.add("ch_lines_avg", float64(returned)/float64(max(queries, 1)))
	o.add("ch_p50", fmtMs(h.quantile(0.50)))
	o.add("ch_p99", fmtMs(h.quantile(0.99)))
	o.add("ch_max", fmtMs(h.max))
	fan.complete = fan.complete && failed == 0 && queries > 0
	return fan, nil
}

// readBatch reads one chathistory batch's lines and returns how many
// messages it held.
func readBatch(ctx context.Context, lines <-chan []byte) (int, bool) {
	n := 0
	for {
		select {
		case <-ctx.Done():
			return n, false
		case l, ok := <-lines:
			if !ok {
				return n, false
			}
			switch {
			case bytes.Contains(l, []byte(" BATCH +")):
			case bytes.Contains(l, []byte(" BATCH -")):
				return n, true
			default:
				n++
			}
		}
	}
}
