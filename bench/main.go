// Command bench is a load generator for IRC servers. It speaks plain
// RFC 1459 client protocol (NICK/USER, JOIN, PRIVMSG, PART, QUIT,
// PING/PONG) and nothing server specific, so chatd and other servers
// (e.g. ngircd) can be measured side by side with the same numbers.
//
// Usage:
//
//	go run ./bench [global flags] <scenario> [scenario flags]
//
// Scenarios:
//
//	fanout  C clients join one channel, S of them send M timestamped
//	        PRIVMSGs each; reports deliveries/s and delivery latency.
//	idle    open and register N connections; reports registrations/s
//	        and (with -pid) server RSS per connection.
//	churn   W workers loop connect/register/JOIN/PART/QUIT; reports
//	        cycles/s.
//	operguess  G clients guess an oper password while the real operator
//	        times OPER; reports guesses/s, OPER latency, server CPU.
//	stuck   N members never read while one floods the channel; reports
//	        the kernel send queue the server's sockets held at most.
//	chathistory  the fanout scenario, paced, while one more member times
//	        CHATHISTORY LATEST (draft/chathistory; chatd-specific).
//
// Each run prints exactly one key=value summary line on stdout; progress
// and diagnostics go to stderr. The exit status is 0 for a complete run,
// 1 for a run with losses or failures, 2 for a usage error and 3 when the
// overall -timeout (or an interrupt) cut the run short.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type globals struct {
	addr        string
	timeout     time.Duration
	stepTimeout time.Duration
	spread      bool
	nick        string
	pass        string
	verbose     bool
}

// addGlobalFlags registers the global flags on fs. They are accepted both
// before and after the scenario name.
func addGlobalFlags(fs *flag.FlagSet, g *globals) {
	fs.StringVar(&g.addr, "addr", g.addr, "server `host:port`")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "overall limit; when hit, report what we have and exit 3")
	fs.DurationVar(&g.stepTimeout, "step-timeout", g.stepTimeout, "limit for one connect/register/join/quit step")
	fs.BoolVar(&g.spread, "spread", g.spread, "spread source addresses over 127.0.0.1-250 for loopback targets")
	fs.StringVar(&g.nick, "nick", g.nick, "nick `prefix` (index is appended in base 36)")
	fs.StringVar(&g.pass, "pass", g.pass, "server password sent with PASS, if any")
	fs.BoolVar(&g.verbose, "v", g.verbose, "verbose diagnostics on stderr")
}

// outcome is what a scenario hands back to main.
type outcome struct {
	summary  summary
	complete bool // everything expected happened
}

// runner runs a scenario whose flags have been parsed.
type runner func(ctx context.Context, e *env) (*outcome, error)

type scenario struct {
	help string
	// setup registers the scenario's flags on fs and returns the runner
	// that will use their parsed values.
	setup func(fs *flag.FlagSet) runner
}

var scenarios = map[string]scenario{
	"fanout": {"channel fan-out throughput and latency", fanoutFlags},
	"idle":   {"many idle registered connections: registration rate and server RSS", idleFlags},
	"churn":  {"connect/register/join/part/quit cycles", churnFlags},

	"operguess": {"clients guess an oper password while the real operator times OPER", operGuessFlags},
	"stuck":     {"non-reading members and a fast sender: kernel send queues held, drops", stuckFlags},

	"chathistory": {"CHATHISTORY LATEST latency under the steady fan-out load", historyFlags},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	g := &globals{
		addr:        "127.0.0.1:6667",
		timeout:     120 * time.Second,
		stepTimeout: 30 * time.Second,
		spread:      true,
		nick:        "b",
	}
	top := flag.NewFlagSet("bench", flag.ContinueOnError)
	top.SetOutput(stderr)
	addGlobalFlags(top, g)
	top.Usage = func() {
		fmt.Fprintf(stderr, "usage: bench [global flags] fanout|idle|churn|operguess|stuck|chathistory [scenario flags]\n\nscenarios:\n")
		for _, name := range []string{"fanout", "idle", "churn", "operguess", "stuck", "chathistory"} {
			fmt.Fprintf(stderr, "  %-9s %s\n", name, scenarios[name].help)
		}
		fmt.Fprintf(stderr, "\nglobal flags:\n")
		top.PrintDefaults()
		fmt.Fprintf(stderr, "\nrun 'bench <scenario> -h' for scenario flags\n")
	}
	if err := top.Parse(args); err != nil {
		return 2
	}
	if top.NArg() == 0 {
		top.Usage()
		return 2
	}
	name := top.Arg(0)
	sc, ok := scenarios[name]
	if !ok {
		fmt.Fprintf(stderr, "bench: unknown scenario %q\n", name)
		top.Usage()
		return 2
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addGlobalFlags(fs, g)
	runScenario := sc.setup(fs)
	if err := fs.Parse(top.Args()[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bench %s: unexpected arguments %q\n", name, fs.Args())
		return 2
	}
	e, err := newEnv(g)
	if err != nil {
		fmt.Fprintf(stderr, "bench %s: %v\n", name, err)
		return 2
	}

	raiseNofile(stderr)

	ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
	defer cancel()
	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()

	// Last line of defence against hanging: scenarios stop on ctx, but if
	// one does not return shortly after, exit anyway.
	go func() {
		<-ctx.Done()
		time.Sleep(15 * time.Second)
		fmt.Fprintf(stderr, "bench: scenario did not stop 15s after %v; exiting\n", context.Cause(ctx))
		os.Exit(3)
	}()

	res, err := runScenario(ctx, e)
	if err != nil {
		fmt.Fprintf(stderr, "bench %s: %v\n", name, err)
		return 2
	}
	fmt.Fprintln(stdout, res.summary.String())
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "bench %s: cut short: %v\n", name, context.Cause(ctx))
		return 3
	case !res.complete:
		return 1
	}
	return 0
}

// raiseNofile lifts the soft RLIMIT_NOFILE to the hard limit.
func raiseNofile(stderr io.Writer) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		fmt.Fprintf(stderr, "bench: getrlimit: %v\n", err)
		return
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			fmt.Fprintf(stderr, "bench: setrlimit: %v\n", err)
		}
	}
}
