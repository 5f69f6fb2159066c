package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// operguess: G clients guess an operator's password as fast as the server
// answers, while one more client, the real operator, sends the right
// password once per -every (from -warmup on: the attack is under way when
// it comes) and times the answer. With -pid it reports the
// server's CPU use over the run (from /proc/PID/stat).

type operGuessConfig struct {
	guessers int
	duration time.Duration
	every    time.Duration
	warmup   time.Duration
	name     string
	password string
	pid      int
}

func operGuessFlags(fs *flag.FlagSet) runner {
	cfg := &operGuessConfig{}
	fs.IntVar(&cfg.guessers, "guessers", 40, "clients guessing in parallel (each from its own address with -spread, all from 127.0.0.1 without)")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long to guess")
	fs.DurationVar(&cfg.every, "every", time.Second, "how often the real operator sends OPER")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "guessing before the real operator's first OPER")
	fs.StringVar(&cfg.name, "oper", "bench", "oper `name`")
	fs.StringVar(&cfg.password, "password", "benchpass", "the right password")
	fs.IntVar(&cfg.pid, "pid", 0, "server process id; reports its CPU use")
	return func(ctx context.Context, e *env) (*outcome, error) {
		return runOperGuess(ctx, e, cfg)
	}
}

// operAnswer waits for the answer to OPER: 381 (true) or 464 (false,
// with its text), answering PINGs and skipping everything else.
func (c *client) operAnswer(ctx context.Context, e *env) (ok bool, text string, err error) {
	c.conn.SetDeadline(deadline(ctx, e.stepTimeout))
	defer c.conn.SetDeadline(time.Time{})
	for {
		line, err := c.readLine()
		if err != nil {
			return false, "", stepErr("oper", err)
		}
		cmd, params := splitCommand(line)
		switch string(cmd) {
		case "PING":
			if err := c.pong(params); err != nil {
				return false, "", stepErr("oper", err)
			}
		case "381":
			return true, "", nil
		case "464", "491":
			return false, string(trailingParam(params)), nil
		case "ERROR":
			return false, "", &stepError{"oper", "server-error", string(trailingParam(params))}
		}
	}
}

func runOperGuess(ctx context.Context, e *env, cfg *operGuessConfig) (*outcome, error) {
	if cfg.guessers < 1 || cfg.duration <= 0 || cfg.every <= 0 {
		return nil, fmt.Errorf("-guessers, -duration and -every must be positive")
	}
	e.readBuf = 4 << 10
	// The operator dials from the last spread address (also without
	// -spread, when all guessers share 127.0.0.1), the guessers from the
	// first ones.
	spread := e.spread
	e.spread = true
	oper, err := connectNick(ctx, e, 249, "realop")
	e.spread = spread
	if err != nil {
		return nil, err
	}
	defer oper.quit()
	guessers := make([]*client, cfg.guessers)
	for i := range guessers {
		if guessers[i], err = connect(ctx, e, i); err != nil {
			quitAll(guessers[:i])
			return nil, err
		}
	}
	defer quitAll(guessers)

	var (
		errs      syncErrCounts
		answered  atomic.Int64
		refused   atomic.Int64 // answers saying the attempt was not checked
		cracked   atomic.Int64
		wg        sync.WaitGroup
		cpuBefore = cpuTicks(cfg.pid)
		start     = time.Now()
		stopAt    = start.Add(cfg.duration)
	)
	for i, c := range guessers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; time.Now().Before(stopAt) && ctx.Err() == nil; k++ {
				if err := c.write("OPER " + cfg.name + " wrong" + strconv.Itoa(i) + "x" + strconv.Itoa(k) + "\r\n"); err != nil {
					errs.add(stepErr("oper", err))
					return
				}
				ok, text, err := c.operAnswer(ctx, e)
				if err != nil {
					if ctx.Err() == nil {
						errs.add(err)
					}
					return
				}
				answered.Add(1)
				if ok {
					cracked.Add(1)
				}
				if strings.Contains(strings.ToLower(text), "too many") {
					refused.Add(1)
				}
			}
		}()
	}

	var lats []int64
	operFailed := 0
	for t := start.Add(cfg.warmup); t.Before(stopAt) && ctx.Err() == nil; t = t.Add(cfg.every) {
		sleepCtx(ctx, time.Until(t))
		t0 := time.Now()
		if err := oper.write("OPER " + cfg.name + " " + cfg.password + "\r\n"); err != nil {
			errs.add(stepErr("oper", err))
			break
		}
		ok, _, err := oper.operAnswer(ctx, e)
		if err != nil {
			errs.add(err)
			break
		}
		lats = append(lats, int64(time.Since(t0)))
		if !ok {
			operFailed++
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpuAfter := cpuTicks(cfg.pid)

	var out outcome
	o := &out.summary
	o.add("scenario", "operguess")
	o.add("server", e.addr)
	o.add("guessers", cfg.guessers)
	o.add("elapsed", fmtSec(elapsed))
	o.add("guesses", answered.Load())
	o.add("guesses_per_s", perSec(answered.Load(), elapsed))
	o.add("refused", refused.Load())
	o.add("cracked", cracked.Load())
	o.add("oper_attempts", len(lats))
	o.add("oper_failed", operFailed)
	o.add("oper_p50", fmtMs(percentile(lats, 0.50)))
	o.add("oper_max", fmtMs(percentile(lats, 1)))
	if cpuBefore >= 0 && cpuAfter >= 0 {
		// Linux reports CPU time in clock ticks of 1/100 s (USER_HZ).
		o.add("server_cpu_pct", int64(float64(cpuAfter-cpuBefore)/elapsed.Seconds()+0.5))
	}
	o.add("errors", errs.m.total())
	o.add("error_kinds", errs.m.String())
	out.complete = ctx.Err() == nil && errs.m.total() == 0 && operFailed == 0 && cracked.Load() == 0
	return &out, nil
}

// cpuTicks returns the user+system CPU time of process pid in clock ticks
// (/proc/PID/stat fields 14 and 15), or -1.
func cpuTicks(pid int) int64 {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The command name (field 2) may hold spaces; count from after it.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return -1
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return utime + stime
}
