package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// stuck: N clients join a channel and stop reading; one more client, which
// reads everything, sends -lines PRIVMSGs to the channel as fast as the
// server takes them. It reports how many bytes the kernel held in the
// send queues of the server's sockets at most (sampled from
// /proc/net/tcp every 50 ms, loopback servers only), how many stuck
// clients were dropped and how long that took: what non-readers can make
// a server hold beyond its own send queues.

type stuckConfig struct {
	clients int
	lines   int
	pad     int
	channel string
}

func stuckFlags(fs *flag.FlagSet) runner {
	cfg := &stuckConfig{}
	fs.IntVar(&cfg.clients, "clients", 200, "members that never read")
	fs.IntVar(&cfg.lines, "lines", 20000, "PRIVMSGs the sender sends")
	fs.IntVar(&cfg.pad, "pad", 380, "payload bytes per message")
	fs.StringVar(&cfg.channel, "channel", "#stuck", "channel name")
	return func(ctx context.Context, e *env) (*outcome, error) {
		return runStuck(ctx, e, cfg)
	}
}

func runStuck(ctx context.Context, e *env, cfg *stuckConfig) (*outcome, error) {
	if cfg.clients < 1 || cfg.lines < 1 {
		return nil, fmt.Errorf("-clients and -lines must be positive")
	}
	e.readBuf = 4 << 10
	stuck := make([]*client, cfg.clients)
	for i := range stuck {
		c, err := connect(ctx, e, i)
		if err == nil {
			err = c.join(ctx, e, cfg.channel)
		}
		if err != nil {
			quitAll(stuck)
			return nil, err
		}
		stuck[i] = c
	}
	defer func() {
		for _, c := range stuck {
			c.close()
		}
	}()
	sender, err := connectNick(ctx, e, cfg.clients, "sender")
	if err == nil {
		err = sender.join(ctx, e, cfg.channel)
	}
	if err != nil {
		return nil, err
	}
	defer sender.quit()

	// The sender reads everything (its own channel's QUITs), counting the
	// stuck members that leave.
	var dropped atomic.Int64
	lastDrop := make(chan time.Time, 1)
	go func() {
		for {
			line, err := sender.readLine()
			if err != nil {
				return
			}
			cmd, params := splitCommand(line)
			switch string(cmd) {
			case "PING":
				sender.pong(params)
			case "QUIT":
				if dropped.Add(1) == int64(cfg.clients) {
					lastDrop <- time.Now()
				}
			}
		}
	}()

	var peak atomic.Int64
	stopSampling := make(chan struct{})
	var sampling sync.WaitGroup
	sampling.Add(1)
	go func() {
		defer sampling.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if n := serverSendQueues(e.addr); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-tick.C:
			case <-stopSampling:
				return
			}
		}
	}()

	start := time.Now()
	w := bufio.NewWriterSize(sender.conn, 64<<10)
	text := strings.Repeat("x", cfg.pad)
	for i := 0; i < cfg.lines && ctx.Err() == nil; i++ {
		fmt.Fprintf(w, "PRIVMSG %s :%06d %s\r\n", cfg.channel, i, text)
	}
	werr := w.Flush()
	sendElapsed := time.Since(start)
	var allGone time.Duration
	select {
	case t := <-lastDrop:
		allGone = t.Sub(start)
	case <-time.After(30 * time.Second):
	case <-ctx.Done():
	}
	close(stopSampling)
	sampling.Wait()

	var out outcome
	o := &out.summary
	o.add("scenario", "stuck")
	o.add("server", e.addr)
	o.add("stuck_clients", cfg.clients)
	o.add("lines", cfg.lines)
	o.add("send_elapsed", fmtSec(sendElapsed))
	o.add("dropped", dropped.Load())
	o.add("all_dropped_after", fmtSec(allGone))
	o.add("peak_kernel_sendq_mb", fmt.Sprintf("%.1f", float64(peak.Load())/(1<<20)))
	o.add("peak_kernel_sendq_per_client_kb", peak.Load()/int64(cfg.clients)>>10)
	if werr != nil {
		o.add("send_error", werr.Error())
	}
	out.complete = ctx.Err() == nil && werr == nil && dropped.Load() == int64(cfg.clients)
	return &out, nil
}

// serverSendQueues sums the kernel send queue (tx_queue in /proc/net/tcp:
// bytes written and not yet taken by the peer) of the sockets whose local
// address is addr (the server's side), or -1. What the clients' kernels
// have received and not read is theirs (on another machine in a real
// attack) and is left out.
func serverSendQueues(addr string) int64 {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return -1
	}
	ip := net.ParseIP(host).To4()
	p, err := strconv.Atoi(port)
	if ip == nil || err != nil {
		return -1
	}
	// /proc/net/tcp shows the address as a little-endian hex word.
	local := strings.ToUpper(hex.EncodeToString([]byte{ip[3], ip[2], ip[1], ip[0]})) + fmt.Sprintf(":%04X", p)
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return -1
	}
	defer f.Close()
	var total int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 || fields[1] != local {
			continue
		}
		queues := strings.SplitN(fields[4], ":", 2)
		if n, err := strconv.ParseInt(queues[0], 16, 64); err == nil {
			total += n
		}
	}
	return total
}
