package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// TestStall: while one client sends the most expensive lines it can
// against a network of 10,000 users and 5,000 channels (WHO, ONLINE, LIST,
// NAMES and WHO of a 10,000-member channel, JOIN/PART floods, ban-list
// queries, WHOWAS), a canary
// pair keeps exchanging a message every 10 ms over TCP, and no canary
// message may take longer than stallBound to arrive.
//
// The bound is generous on purpose (a busy 2-core machine): the state
// goroutine's budget per event is about a millisecond (slices end after
// 1 ms, README §Performance, BenchmarkWorstLine), and the attacker has at
// most a few dozen lines on their way at once, while the same lines
// handled in one piece each, as before slicing, kept the canary waiting
// for up to half a second at this size (seconds under the race detector,
// which slows everything several times over; CI runs this with -race).
func stallBound() time.Duration {
	if raceEnabled {
		return 600 * time.Millisecond // seen here: 270 ms sliced, 2.3 s unsliced
	}
	return 200 * time.Millisecond // seen here: 90 ms sliced, 130-470 ms unsliced
}

func TestStall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a network of 10,000 users")
	}
	d, _ := startTestDaemon(t, []string{`lobby = ""`}, []string{"[limits]", "max_channels_per_client = 100"})
	addr := d.addrs()[0].String()
	populate(t, d.world, 10000, 5000)

	sender := stallDial(t, addr, "canary1")
	receiver := stallDial(t, addr, "canary2")
	receiver.waitFor(t, " 001 canary2 ")
	sender.waitFor(t, " 001 canary1 ")

	// One round that goes over the bound may be the machine (another
	// process took both cores for a while): a second round must then stay
	// within it. A design that stalls everyone fails both, by far.
	for round := 1; ; round++ {
		worst, p99, sent := stallRound(t, addr, fmt.Sprintf("attacker%d", round), sender, receiver)
		if sent < 20 {
			t.Fatalf("the attacker got only %d lines out: the test measured nothing", sent)
		}
		if worst <= stallBound() {
			return
		}
		if round == 2 {
			t.Fatalf("a canary message took %v (p99 %v): over the %v bound in two rounds", worst, p99, stallBound())
		}
		t.Logf("round 1 over the bound (%v); once more", worst)
	}
}

// stallRound lets a new attacker send the worst lines while the canary
// pair exchanges 200 messages, one every 10 ms, and returns the canary's
// worst and p99 latency and how many lines the attacker got out.
func stallRound(t *testing.T, addr, nick string, sender, receiver *stallClient) (worst, p99 time.Duration, sent int) {
	attacker := stallDial(t, addr, nick)
	go io.Copy(io.Discard, attacker.conn) // reads as fast as it can
	stop := make(chan struct{})
	attackDone := make(chan int)
	go func() {
		lines := stallLines()
		sent := 0
		for {
			select {
			case <-stop:
				attackDone <- sent
				return
			default:
			}
			if _, err := attacker.conn.Write([]byte(lines[sent%len(lines)] + "\r\n")); err != nil {
				attackDone <- sent
				return
			}
			sent++
		}
	}()

	const messages = 200 // two seconds at one every 10 ms
	var latencies []time.Duration
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for i := range messages {
		<-tick.C
		sender.send(t, fmt.Sprintf("PRIVMSG canary2 :%d %d", i, time.Now().UnixNano()))
		for {
			line := receiver.next(t)
			m, err := irc.ParseMessage(line)
			if err != nil || m.Command != "PRIVMSG" || m.Prefix == nil || m.Prefix.Name != "canary1" {
				continue
			}
			f := strings.Fields(m.Trailing())
			sentAt, _ := strconv.ParseInt(f[1], 10, 64)
			latencies = append(latencies, time.Since(time.Unix(0, sentAt)))
			break
		}
	}
	close(stop)
	attacker.conn.Close() // its writes may be blocked: the server reads it only as fast as it answers
	sent = <-attackDone
	slices.Sort(latencies)
	p50, p99, worst := latencies[len(latencies)/2], latencies[len(latencies)*99/100], latencies[len(latencies)-1]
	t.Logf("%s: canary latency over %d messages while the attacker sent %d lines: p50 %v, p99 %v, max %v", nick, len(latencies), sent, p50, p99, worst)
	return worst, p99, sent
}

// stallLines are the attacker's lines: each within 512 bytes and every
// limit, no privileges.
func stallLines() []string {
	repeat := func(item string, limit int) string {
		s := item
		for len(s)+1+len(item) < limit {
			s += "," + item
		}
		return s
	}
	return []string{
		"WHO *",
		"ONLINE",
		"WHO #big",
		"LIST",
		"NAMES " + repeat("#big", 500),
		"WHO *a*",
		"GROUPS",
		"JOIN " + repeat("#big,0", 500),
		"WHO *",
		"WHOWAS " + repeat("ww", 500),
		"WHO #big",
		"MODE #bans " + strings.Repeat("b", 480),
	}
}

// populate adds users registered clients without sockets (their outboxes
// discard), all in #big and each also in one of channels two-member
// channels, 1,000 departed clients called ww, and a channel with 100
// bans. Memberships are made directly rather than by JOIN, whose
// broadcasts would make building #big quadratic.
func populate(t *testing.T, w *state.World, users, channels int) {
	t.Helper()
	id := state.ClientID(1 << 40) // far from the IDs the listener hands out
	connect := func(nick string) state.ClientID {
		id++
		w.Connect(id, discardOutbox{}, netip.MustParseAddr("127.0.0.2"), false)
		w.Line(id, irc.MustParseMessage("NICK "+nick))
		w.Line(id, irc.MustParseMessage("USER "+nick+" 0 * :synthetic user "+nick))
		return id
	}
	for i := range users {
		connect(fmt.Sprintf("s%05d", i))
	}
	for range 1000 {
		w.Gone(connect("ww"), "bye")
	}
	op := connect("banop")
	w.Line(op, irc.MustParseMessage("JOIN #bans"))
	for i := range 100 {
		w.Line(op, irc.MustParseMessage(fmt.Sprintf("MODE #bans +b ban%d!*@*", i)))
	}
	w.Call(func(w *state.World) {
		big := w.CreateChannel("#big")
		small := make([]*state.Channel, channels)
		for i := range small {
			small[i] = w.CreateChannel(fmt.Sprintf("#c%d", i))
		}
		for i := range users {
			c := w.ClientByNick(fmt.Sprintf("s%05d", i))
			w.AddMember(big, c, state.Membership{})
			w.AddMember(small[i%channels], c, state.Membership{})
		}
	})
}

// discardOutbox is a connection that reads everything at once.
type discardOutbox struct{}

func (discardOutbox) Enqueue([]byte) bool          { return true }
func (discardOutbox) Flush()                       {}
func (discardOutbox) Close()                       {}
func (discardOutbox) Registered()                  {}
func (discardOutbox) SetFloodExempt(bool)          {}
func (discardOutbox) Queued() int                  { return 0 }
func (discardOutbox) WhenDrained(_ int, fn func()) { fn() }
func (discardOutbox) Congested() bool              { return false }
func (discardOutbox) WaitFor(state.Outbox)         {}

type stallClient struct {
	conn  net.Conn
	lines chan string
}

func stallDial(t *testing.T, addr, nick string) *stallClient {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &stallClient{conn: conn, lines: make(chan string, 4096)}
	if !strings.HasPrefix(nick, "attacker") {
		go func() {
			sc := bufio.NewScanner(conn)
			for sc.Scan() {
				c.lines <- sc.Text()
			}
			close(c.lines)
		}()
	}
	c.send(t, "NICK "+nick)
	c.send(t, "USER "+nick+" 0 * :"+nick)
	return c
}

func (c *stallClient) send(t *testing.T, line string) {
	if _, err := c.conn.Write([]byte(line + "\r\n")); err != nil {
		t.Fatal(err)
	}
}

func (c *stallClient) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			t.Fatal("connection closed")
		}
		return l
	case <-time.After(10 * time.Second):
		t.Fatal("nothing from the server for 10 s")
	}
	return ""
}

func (c *stallClient) waitFor(t *testing.T, substr string) {
	t.Helper()
	for !strings.Contains(c.next(t), substr) {
	}
}
