package commands_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/commands"
	"chatd/conf"
	"chatd/state"
	"chatd/store"

	"golang.org/x/sys/unix"
	"gopkg.in/irc.v4"
)

// The worst single lines: each is one line (within 512 bytes, no
// privileges) from a client of a large synthetic network, 10,000 users
// (all in the lobby, each also in one of 5,000 two-member channels, every
// realname 100 bytes long), a channel with 100 ban masks made to be slow
// to match, and 1,000 departed clients that were all called "ww". The
// figure that matters is longest-µs/event: the longest the state goroutine
// was busy with one event or one slice of a long reply, i.e. the longest
// any other client had to wait because of this line (the median over the
// runs of each run's longest). longest-cpu-µs/event is the same in CPU
// time of the state goroutine's thread, which the machine's other work
// does not inflate.
//
//	go test -run '^$' -bench WorstLine -benchtime 20x ./commands
func BenchmarkWorstLine(b *testing.B) {
	n := bigNetwork(b)
	for _, line := range worstLines() {
		b.Run(line.name, func(b *testing.B) {
			var worsts, worstCPUs []time.Duration
			var total time.Duration
			events := 0
			for b.Loop() {
				w, c, d, e := n.run(b, line.text)
				worsts, worstCPUs, total, events = append(worsts, w), append(worstCPUs, c), total+d, events+e
			}
			slices.Sort(worsts)
			slices.Sort(worstCPUs)
			// The median over runs of each run's longest event: one run's
			// longest is often a GC pause or the machine's other work.
			b.ReportMetric(float64(worsts[len(worsts)/2].Microseconds()), "longest-µs/event")
			b.ReportMetric(float64(worstCPUs[len(worstCPUs)/2].Microseconds()), "longest-cpu-µs/event")
			b.ReportMetric(float64(total.Microseconds())/float64(b.N), "busy-µs/line")
			b.ReportMetric(float64(events)/float64(b.N), "events/line")
		})
	}
}

type worstLine struct{ name, text string }

func worstLines() []worstLine {
	repeat := func(item string, sep string, limit int) string {
		var sb strings.Builder
		for sb.Len()+len(item)+len(sep) < limit {
			if sb.Len() > 0 {
				sb.WriteString(sep)
			}
			sb.WriteString(item)
		}
		return sb.String()
	}
	slowMask := repeat("*a", "", 240) + "*b"
	return []worstLine{
		{"WHO_star", "WHO *"},
		{"WHO_slowmask", "WHO " + slowMask},
		{"WHO_lobby", "WHO #lobby"},
		{"ONLINE", "ONLINE"},
		{"LIST", "LIST"},
		{"GROUPS", "GROUPS"},
		{"NAMES_lobby_x72", "NAMES " + repeat("#lobby", ",", 500)},
		{"NAMES_10_channels", "NAMES #lobby,#c1,#c2,#c3,#c4,#c5,#c6,#c7,#c8,#c9"},
		{"JOIN_lobby_0_x100", "JOIN " + repeat("#lobby,0", ",", 500)},
		{"JOIN_50_channels", "JOIN " + joinList(50)},
		{"WHOWAS_ww_x168", "WHOWAS " + repeat("ww", ",", 500)},
		{"MODE_bbbb", "MODE #bans " + repeat("b", "", 490)},
		{"PRIVMSG_lobby", "PRIVMSG #lobby :" + strings.Repeat("x", 400)},
		{"PRIVMSG_bans_slowprefix", "PRIVMSG #bans :hello"},
		{"NICK_in_lobby", "NICK attacker2"},
		{"ISON_many", "ISON " + repeat("u0001", " ", 500)},
		{"LIST_filters", "LIST #c1*,!#c12*,>1,<3,C>0,T<1"},
		{"LIST_slowmask", "LIST " + slowMask},
		{"WHOX_star", "WHO * %tcuihsnfdlaor,123"},
		{"WHOX_lobby", "WHO #lobby %cuhsnfdar"},
		{"MONITOR_add_100", "MONITOR + " + monitorList(100)},
		// History: the lobby holds 2,000 messages of 400 bytes, the newest
		// 1,000 in memory; chathistory_max is 1,000, its highest value.
		{"CHATHISTORY_LATEST_1000_memory", "CHATHISTORY LATEST #lobby * 1000"},
		{"CHATHISTORY_BETWEEN_1000_store", "CHATHISTORY BETWEEN #lobby timestamp=2000-01-01T00:00:00.000Z timestamp=2200-01-01T00:00:00.000Z 1000"},
		{"CHATHISTORY_AROUND_1000", "CHATHISTORY AROUND #lobby timestamp=2100-01-01T00:00:00.000Z 1000"},
		{"CHATHISTORY_TARGETS_1000", "CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2200-01-01T00:00:00.000Z 1000"},
		// REDACT of a msgid below the lobby's ring: a read of the store
		// (one chunk at most), then the refusal.
		{"REDACT_store", "REDACT #lobby 1 :" + strings.Repeat("x", 400)},
	}
}

// monitorList names n users of the network, all online, so each gets a
// 730; the attacker's list is cleared after each run (see run).
func monitorList(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("u%04d", i*97%10000)
	}
	return strings.Join(names, ",")
}

func joinList(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("#c%d", i)
	}
	return strings.Join(names, ",")
}

// network is the synthetic world and the attacker's connection.
type network struct {
	w        *state.World
	attacker state.ClientID
	out      *signalOutbox
	// slowPrefix is a client whose nick!user@host is slow to match.
	slowPrefix state.ClientID
	slowOut    *signalOutbox
	mu         sync.Mutex
	worst      time.Duration
	busy       time.Duration
	events     int
	nick       int
	// The state goroutine is locked to its thread, so the thread's CPU
	// clock read at the end of each event, minus its reading at the end
	// of the one before, is what that event cost: wall time on a shared
	// 2-core machine also counts the moments the kernel gave the core to
	// someone else. (The difference also holds the loop's flushes between
	// events, so it errs high.)
	lastCPU  time.Duration
	worstCPU time.Duration
}

// threadCPU is the CPU time of the calling thread.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return time.Duration(ts.Nano())
}

var (
	bigNetworkOnce sync.Once
	bigNetworkVal  *network
)

func bigNetwork(b *testing.B) *network {
	bigNetworkOnce.Do(func() { bigNetworkVal = buildNetwork(10000, 5000) })
	return bigNetworkVal
}

func buildNetwork(users, channels int) *network {
	cfg := conf.Default()
	cfg.Server.Name = "chatd.test"
	cfg.Limits.MaxChannelsPerClient = 100
	cfg.History.ChathistoryMax = 1000
	w := state.New(cfg, commands.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	n := &network{w: w}
	w.ObserveEvents(n.observe)
	// A store (in memory) for history that memory no longer holds.
	st, err := store.Open("", nil)
	if err != nil {
		panic(err)
	}
	w.SetHistoryStore(st)
	go st.Run()
	go w.Run()
	// Pin the state goroutine to one thread, for threadCPU.
	w.Call(func(*state.World) { runtime.LockOSThread() })
	id := state.ClientID(0)
	connect := func(nick, realname string, out state.Outbox) state.ClientID {
		id++
		w.Connect(id, out, netip.MustParseAddr("127.0.0.1"), false)
		w.Line(id, irc.MustParseMessage("NICK "+nick))
		w.Line(id, &irc.Message{Command: "USER", Params: []string{nick, "0", "*", realname}})
		return id
	}
	realname := strings.Repeat("a", 100)
	for i := range users {
		c := connect(fmt.Sprintf("u%04d", i), realname, &countingOutbox{})
		w.Line(c, irc.MustParseMessage(fmt.Sprintf("JOIN #c%d", i%channels)))
	}
	// 1,000 departed clients called ww fill WHOWAS.
	for range cfg.Limits.WhowasLength {
		c := connect("ww", realname, &countingOutbox{})
		w.Gone(c, "bye")
	}
	// #bans: 100 ban masks that are slow to match, none matching.
	op := connect("banop", realname, &countingOutbox{})
	w.Line(op, irc.MustParseMessage("JOIN #bans"))
	for i := range 100 {
		// A long literal run after a star: matching tries it at every
		// position of the prefix.
		mask := "*" + strings.Repeat("a", 150) + fmt.Sprintf("%d!*@*", i)
		w.Line(op, irc.MustParseMessage("MODE #bans +b "+mask))
	}
	// The lobby's history: 2,000 long messages, half of them older than
	// its ring (channel_length 1,000) holds; and 1,000 people who wrote to
	// the attacker, for TARGETS.
	for i := range 2000 {
		w.Line(state.ClientID(1+i%users), irc.MustParseMessage(fmt.Sprintf("PRIVMSG #lobby :%04d %s", i, strings.Repeat("h", 400))))
	}
	n.out = &signalOutbox{}
	n.attacker = connect("attacker", realname, n.out)
	w.Line(n.attacker, irc.MustParseMessage("CAP REQ :batch server-time message-tags draft/chathistory draft/event-playback"))
	w.Line(n.attacker, irc.MustParseMessage("JOIN #bans"))
	for i := range 1000 {
		w.Line(state.ClientID(1+i*7%users), irc.MustParseMessage("PRIVMSG attacker :hello"))
	}
	// The attacker's second client has the prefix that is slowest to
	// match against those masks: a's as far as the limits allow.
	n.slowOut = &signalOutbox{}
	n.slowPrefix = connect(strings.Repeat("a", cfg.Limits.NickLength), realname, n.slowOut)
	w.Line(n.slowPrefix, &irc.Message{Command: "JOIN", Params: []string{"#bans"}})
	w.Call(func(*state.World) {})
	return n
}

func (n *network) observe(d time.Duration) {
	cpu := threadCPU()
	n.mu.Lock()
	defer n.mu.Unlock()
	n.worstCPU = max(n.worstCPU, cpu-n.lastCPU)
	n.lastCPU = cpu
	n.worst = max(n.worst, d)
	n.busy += d
	n.events++
}

// run sends one line from the attacker and waits until its whole reply
// is out (a PING after it is answered only then); it returns the longest
// event, the state goroutine's total busy time and the events counted.
func (n *network) run(b *testing.B, line string) (worst, worstCPU, busy time.Duration, events int) {
	if strings.HasPrefix(line, "NICK ") {
		n.nick++
		line = fmt.Sprintf("NICK attacker%d", n.nick) // a new nick each time
	}
	n.w.Call(func(*state.World) {
		n.mu.Lock()
		n.worst, n.busy, n.events, n.worstCPU = 0, 0, 0, 0
		n.lastCPU = threadCPU()
		n.mu.Unlock()
	})
	from, out := n.attacker, n.out
	if b.Name() == "BenchmarkWorstLine/PRIVMSG_bans_slowprefix" {
		from, out = n.slowPrefix, n.slowOut
	}
	pong := out.expect("PONG")
	n.w.Line(from, irc.MustParseMessage(line))
	n.w.Line(from, irc.MustParseMessage("PING :done"))
	select {
	case <-pong:
	case <-time.After(30 * time.Second):
		b.Fatalf("%q: no PONG after the reply", line)
	}
	if strings.HasPrefix(line, "MONITOR +") {
		n.w.Line(n.attacker, irc.MustParseMessage("MONITOR C"))
		n.w.Call(func(*state.World) {})
	}
	if strings.HasPrefix(line, "JOIN") {
		// Back to where it was: in #bans and the lobby only.
		n.w.Line(n.attacker, irc.MustParseMessage("JOIN 0"))
		n.w.Line(n.attacker, irc.MustParseMessage("JOIN #lobby,#bans"))
		n.w.Call(func(*state.World) {})
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.worst, n.worstCPU, n.busy, n.events
}

// signalOutbox drains at once and signals when a line containing the
// awaited text arrives.
type signalOutbox struct {
	countingOutbox
	mu    sync.Mutex
	want  string
	ready chan struct{}
}

func (o *signalOutbox) expect(text string) <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.want, o.ready = text, make(chan struct{})
	return o.ready
}

func (o *signalOutbox) Enqueue(line []byte) bool {
	o.countingOutbox.Enqueue(line)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ready != nil && strings.Contains(string(line), o.want) {
		close(o.ready)
		o.ready = nil
	}
	return true
}
