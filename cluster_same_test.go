package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/irc.v4"
)

// TestClusterSameAsOneNode: users on two nodes cannot tell they are on
// different nodes except by the server name (issue 15, item 7). One
// scripted session (lobby, a channel with modes, a kick, a key and a
// limit, a course group, private messages, NICK, MONITOR, WHOIS, WHOWAS,
// AWAY, TOPIC, history replayed on JOIN and read with CHATHISTORY, QUIT)
// runs twice on a two-node cluster: once with every client on node a,
// once with bob on node b. Every line each client receives is compared,
// in order, after normalising only what names or times the server: the
// node names, server-time, msgids, batch references, timestamps in
// numerics, WHOIS idle time and LUSERS' count of the node's own clients.
func TestClusterSameAsOneNode(t *testing.T) {
	one := runSameScenario(t, map[string]string{"alice": "a", "bob": "a", "carol": "a"})
	two := runSameScenario(t, map[string]string{"alice": "a", "bob": "b", "carol": "a"})
	for _, nick := range []string{"alice", "bob", "carol"} {
		x, y := one[nick], two[nick]
		for i := 0; i < max(len(x), len(y)); i++ {
			var lx, ly string
			if i < len(x) {
				lx = x[i]
			}
			if i < len(y) {
				ly = y[i]
			}
			if lx != ly {
				from := max(0, i-8)
				t.Fatalf("%s's line %d differs when bob is on another node:\n one node: %q\n two nodes: %q\nlines before it:\n  %s",
					nick, i+1, lx, ly, strings.Join(x[from:i], "\n  "))
			}
		}
		t.Logf("%s: %d lines alike", nick, len(x))
		if len(x) < 40 {
			t.Fatalf("%s received only %d lines: the scenario did not run", nick, len(x))
		}
	}
}

// sameClient is a client of the scenario and the normalised lines it has
// received so far.
type sameClient struct {
	*rawClient
	nick    string
	got     []string
	batches map[string]string // batch reference → its place among the client's batches
	pings   int
}

// sync sends a PING and takes every line up to its PONG. Every client
// syncing after a step's sender, in turn, is the barrier that makes the
// session deterministic: a node publishes a client's PING after all it
// has applied, so the PONG comes after every line the step caused.
func (c *sameClient) sync() {
	c.t.Helper()
	c.pings++
	token := fmt.Sprintf("sync%d", c.pings)
	c.send("PING " + token)
	c.take(func(l string) bool { return strings.Contains(l, " PONG ") && strings.HasSuffix(l, token) })
}

// take records lines until done matches one (recorded too) or the
// connection closes (done nil).
func (c *sameClient) take(done func(string) bool) {
	c.t.Helper()
	deadline := time.After(binTimeout)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				if done != nil {
					c.t.Fatalf("%s: connection closed; last lines:\n%s", c.nick, c.recent())
				}
				return
			}
			c.seen = append(c.seen, l)
			c.got = append(c.got, c.normalise(l))
			if done != nil && done(l) {
				return
			}
		case <-deadline:
			c.t.Fatalf("%s: nothing more within %v; last lines:\n%s", c.nick, binTimeout, c.recent())
		}
	}
}

var (
	nodeNames = regexp.MustCompile(`\b[ab]\.test\b`)
	unixTime  = regexp.MustCompile(`^[0-9]{9,}$`)
	dateTime  = regexp.MustCompile(`[0-9]{2}:[0-9]{2}:[0-9]{2}`)
	localUser = regexp.MustCompile(`[0-9]+ clients`)
)

// normalise rewrites what differs between two runs of one session
// without saying anything about where the users are.
func (c *sameClient) normalise(line string) string {
	m, err := irc.ParseMessage(line)
	if err != nil {
		c.t.Fatalf("%s: unparsable line %q: %v", c.nick, line, err)
	}
	for k := range m.Tags {
		switch k {
		case "time", "msgid":
			m.Tags[k] = "*"
		case "batch":
			m.Tags[k] = c.batch(m.Tags[k])
		}
	}
	if m.Command == "BATCH" && len(m.Params) > 0 && len(m.Params[0]) > 1 {
		m.Params[0] = m.Params[0][:1] + c.batch(m.Params[0][1:])
	}
	for i, p := range m.Params {
		m.Params[i] = nodeNames.ReplaceAllString(p, "NODE")
		if i > 0 && unixTime.MatchString(p) {
			m.Params[i] = "TS"
		}
		if dateTime.MatchString(p) { // WHOWAS's 312: when the nick left
			m.Params[i] = "DATE"
		}
	}
	switch m.Command {
	case irc.RPL_CREATED: // when the network (its stream) was made
		m.Params = m.Params[:1]
	case irc.RPL_WHOISIDLE: // idle seconds and sign-on time
		m.Params = []string{m.Params[0], m.Params[1]}
	case irc.RPL_LUSERME, "265": // the node's own clients
		for i, p := range m.Params {
			m.Params[i] = localUser.ReplaceAllString(p, "N clients")
			if p != "" && strings.Trim(p, "0123456789") == "" {
				m.Params[i] = "N"
			}
			if strings.HasPrefix(p, "Current local users") {
				m.Params[i] = "Current local users"
			}
		}
	}
	// Tags print in map order: sort them into the text.
	keys := make([]string, 0, len(m.Tags))
	for k, v := range m.Tags {
		keys = append(keys, k+"="+v)
	}
	sort.Strings(keys)
	m.Tags = nil
	return strings.Join(keys, ";") + " " + m.String()
}

// batch names a batch reference by the order the client first saw it.
func (c *sameClient) batch(ref string) string {
	if c.batches[ref] == "" {
		c.batches[ref] = fmt.Sprintf("B%d", len(c.batches)+1)
	}
	return c.batches[ref]
}

// runSameScenario runs the session on a fresh two-node cluster with each
// client on the node placed names, and returns each client's lines.
func runSameScenario(t *testing.T, placed map[string]string) map[string][]string {
	t.Helper()
	ns := startNATS(t, "n1")
	nats := []string{ns.ClientURL()}
	extra := []string{"[history]", "replay_lines = 5"}
	nodes := map[string]*daemon{"a": startNode(t, "a.test", nats, extra...), "b": startNode(t, "b.test", nats, extra...)}
	var all []*sameClient
	connect := func(nick string, caps ...string) *sameClient {
		c := &sameClient{rawClient: dialRaw(t, nodeAddr(nodes[placed[nick]])), nick: nick, batches: map[string]string{}}
		if len(caps) > 0 {
			c.send("CAP REQ :" + strings.Join(caps, " "))
			c.send("CAP END")
		}
		c.send("NICK " + nick)
		c.send("USER " + nick + " 0 * :" + nick + " the tester")
		all = append(all, c)
		return c
	}
	// step: from sends lines, then every client takes what they caused.
	step := func(from *sameClient, lines ...string) {
		t.Helper()
		for _, l := range lines {
			from.send(l)
		}
		from.sync()
		for _, c := range all {
			if c != from {
				c.sync()
			}
		}
	}

	alice := connect("alice", "server-time", "message-tags", "batch", "echo-message", "labeled-response",
		"draft/chathistory", "away-notify", "extended-join", "multi-prefix", "invite-notify", "account-notify", "setname", "draft/event-playback", "userhost-in-names")
	step(alice)
	bob := connect("bob", "server-time", "batch", "draft/chathistory", "away-notify")
	step(bob)

	// The lobby, both ways.
	step(alice, "PRIVMSG #lobby :hello from alice", "NOTICE #lobby :a notice")
	step(bob, "PRIVMSG #lobby :hello from bob")

	// MONITOR: bob watches carol before she comes.
	step(bob, "MONITOR + carol,dave", "MONITOR L", "MONITOR S")
	carol := connect("carol")
	step(carol)

	// A channel with modes, a topic, a kick, a key and a limit.
	step(alice, "JOIN #room", "MODE #room +nt")
	step(bob, "JOIN #room")
	step(alice, "MODE #room +o bob", "TOPIC #room :the first topic")
	step(bob, "TOPIC #room :bob's topic", "TOPIC #room", "MODE #room +m")
	step(carol, "JOIN #room", "PRIVMSG #room :may I speak", "TOPIC #room :not allowed", "NAMES #room")
	step(bob, "MODE #room +v carol")
	step(carol, "PRIVMSG #room :now I may", "MODE #room")
	step(alice, "KICK #room carol :enough", "MODE #room +kl secret 3", "INVITE dave #room")
	step(carol, "JOIN #room", "JOIN #room wrong", "JOIN #room secret")
	step(bob, "MODE #room -k secret", "MODE #room +b carol!*@*", "MODE #room +b", "WHO #room")
	step(carol, "PART #room :gone", "JOIN #room")
	step(alice, "MODE #room -b carol!*@*", "INVITE carol #room")
	step(carol, "JOIN #room")

	// A course group.
	step(bob, "CG study", "GROUPS")
	step(alice, "JG study", "GC study :a question", "ONLINE")
	step(carol, "JG study", "LG study")

	// Privately, in both directions, and to someone not there.
	step(alice, "PRIVMSG bob :psst", "PM bob :and a PM")
	step(bob, "PRIVMSG alice :back at you", "NOTICE alice :a private notice", "PRIVMSG nobody :hello?")
	step(carol, "PRIVMSG alice,bob :to both")

	// AWAY, seen by a WHOIS and a message, and by away-notify.
	step(bob, "AWAY :at lunch")
	step(alice, "PRIVMSG bob :are you there", "WHOIS bob", "USERHOST bob", "ISON bob carol nobody")
	step(bob, "AWAY", "WHOIS alice", "WHOIS nobody")
	step(carol, "WHOIS bob bob", "WHO bob")

	// NICK: seen in shared channels and by MONITOR.
	step(bob, "NICK bobby")
	step(carol, "NICK carla")
	step(alice, "PRIVMSG bob :old nick", "PRIVMSG bobby :new nick", "WHOWAS bob", "WHOIS carla")
	step(carol, "NICK carol")

	// History: replayed on JOIN, read with CHATHISTORY.
	step(bob, "PART #room", "JOIN #room")
	step(bob, "CHATHISTORY LATEST #room * 20", "CHATHISTORY LATEST alice * 10", "CHATHISTORY TARGETS * * 10")
	step(alice, "CHATHISTORY LATEST #lobby * 5", "@label=x1 CHATHISTORY BEFORE #room * 3")

	// QUIT: seen by the channels and by MONITOR.
	carol.send("QUIT :bye for now")
	carol.take(nil)
	all = all[:2]
	step(alice, "LUSERS")
	step(bob, "MONITOR L", "LUSERS")

	if testing.Verbose() {
		for _, c := range append(all, carol) {
			t.Logf("%v %s:\n%s", placed, c.nick, strings.Join(c.got, "\n"))
		}
	}
	out := map[string][]string{}
	for _, c := range append(all, carol) {
		out[c.nick] = c.got
	}
	return out
}
