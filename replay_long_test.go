package main

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/state"

	"golang.org/x/crypto/bcrypt"
)

// TestReplayLongSession records a long, varied session (a dozen clients
// sending a few thousand lines picked at random from most of what chatd
// understands: channels, modes, messages, labels, MONITOR, long replies,
// accounts, SASL, NickServ, operators, redactions, quits and
// reconnections) and checks that replaying its log gives the same world,
// also from a snapshot taken half way (checkReplay). The order in which the server
// interleaves the clients is whatever it is: the recording is what the
// replay must reproduce.
func TestReplayLongSession(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("operpass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := startTestDaemon(t, nil, []string{
		"[[oper]]", `name = "boss"`, fmt.Sprintf("password_hash = %q", hash),
		"[accounts]", `nick_timeout = "20ms"`,
		// Short rings, so that history reads go to the store.
		"[history]", "channel_length = 4", "private_length = 3",
	})
	addr := d.addrs()[0].String()
	rng := rand.New(rand.NewPCG(15, 2026))
	const clients = 12
	cs := make([]*sessionClient, clients)
	for i := range cs {
		cs[i] = dialSession(t, addr, i)
	}
	pick := func(format string, n int) string { return fmt.Sprintf(format, rng.IntN(n)) }
	lines := 0
	for step := 0; step < 3000; step++ {
		i := rng.IntN(clients)
		c := cs[i]
		if rng.IntN(400) == 0 { // hang up and come back
			c.send("QUIT :back soon")
			c.close()
			cs[i] = dialSession(t, addr, i)
			continue
		}
		ch, ch2, u := pick("#c%d", 6), pick("#c%d", 6), pick("u%d", clients)
		own := fmt.Sprintf("#o%d", i) // where the client is operator, so that its modes and topics take
		if rng.IntN(3) > 0 {
			ch2 = own
		}
		var line string
		switch rng.IntN(40) {
		case 0, 1, 2:
			line = "JOIN " + ch + "," + ch2
		case 3:
			line = "PART " + ch + " :bye"
		case 4, 5, 6, 7:
			line = "PRIVMSG " + ch + " :hello " + pick("%d", 1000)
		case 8, 9:
			line = "PRIVMSG " + u + " :psst " + pick("%d", 1000)
		case 10:
			line = "@label=" + pick("l%d", 99) + " NOTICE " + ch + " :note"
		case 11:
			line = "@+typing=active TAGMSG " + ch
		case 12:
			line = "TOPIC " + ch2 + " :topic " + pick("%d", 50)
		case 13:
			line = "MODE " + ch2 + " " + []string{"+o", "+v", "-o", "-v"}[rng.IntN(4)] + " " + u
		case 14:
			line = "MODE " + ch2 + " " + []string{"+b *!*@x" + pick("%d", 5), "+b *!*@y" + pick("%d", 5), "-b *!*@x" + pick("%d", 5), "+k key", "-k key", "+l 9", "-l", "+i", "-i", "+m", "-m", "+s", "-s", "+t", "-t", "b"}[rng.IntN(16)]
		case 15:
			line = "INVITE " + u + " " + ch2
		case 16:
			line = "KICK " + ch2 + " " + u + " :out"
		case 17:
			line = "NICK " + []string{fmt.Sprintf("u%d", i), fmt.Sprintf("u%dx", i), u}[rng.IntN(3)]
		case 18:
			line = []string{"AWAY :lunch", "AWAY"}[rng.IntN(2)]
		case 19:
			line = "MONITOR " + []string{"+ " + u + "," + pick("u%d", clients), "- " + u, "L", "S", "C"}[rng.IntN(5)]
		case 20:
			line = []string{"WHO " + ch2, "WHO *", "NAMES " + ch2, "LIST", "WHO u* %tnuhaf,42", "ONLINE", "GROUPS"}[rng.IntN(7)]
		case 21:
			line = []string{"WHOIS " + u, "WHOWAS " + u, "ISON u1 u2 u3", "USERHOST " + u, "LUSERS", "MOTD", "TIME"}[rng.IntN(7)]
		case 22:
			line = "SETNAME :Name " + pick("%d", 9)
		case 23:
			line = fmt.Sprintf("REGISTER acct%d * secret%d", i, i)
		case 24:
			line = "PRIVMSG NickServ :IDENTIFY " + pick("acct%d", clients) + " " + []string{"wrong", fmt.Sprintf("secret%d", i)}[rng.IntN(2)]
		case 25:
			c.send("AUTHENTICATE PLAIN")
			line = "AUTHENTICATE " + saslPlain(pick("acct%d", clients), []string{"wrong", fmt.Sprintf("secret%d", i)}[rng.IntN(2)])
		case 26:
			line = "OPER boss " + []string{"operpass", "nope"}[rng.IntN(2)]
		case 27:
			line = []string{"KLINE 1m nobody!*@10.9.9.9 :test", "UNKLINE nobody!*@10.9.9.9", "WALLOPS :hi", "STATS k"}[rng.IntN(4)]
		case 28:
			line = []string{"CG " + pick("g%d", 4), "JG " + pick("g%d", 4), "LG " + pick("g%d", 4), "GC " + pick("g%d", 4) + " :to the group", "PM " + u + " :hi", "LISTG"}[rng.IntN(6)]
		case 29:
			line = "MODE " + fmt.Sprintf("u%d", i) + " " + []string{"+i", "-i", "+w", "+B", "-B"}[rng.IntN(5)]
		case 30:
			line = "PRIVMSG ChanServ :" + []string{"REGISTER " + ch, "INFO " + ch, "ACCESS " + ch + " ADD " + pick("acct%d", clients) + " op", "DROP " + ch}[rng.IntN(4)]
		case 31:
			line = "PRIVMSG NickServ :" + []string{"INFO " + pick("acct%d", clients), "SET PASSWORD newsecret", "GHOST " + u}[rng.IntN(3)]
		case 32:
			line = []string{"JOIN 0", "JOIN " + own}[rng.IntN(2)]
		case 33:
			line = "BADCOMMAND x"
		case 36:
			// The last message the client was sent (its own echo, or
			// someone else's): taken back, deleted by an operator, or
			// refused.
			if target, sender, msgid := c.lastMessage(); msgid != "" {
				if !strings.HasPrefix(target, "#") && rng.IntN(2) == 0 {
					target = sender // a private message to it: the other party
				}
				line = "REDACT " + target + " " + msgid + " :" + []string{"oops", "spam"}[rng.IntN(2)]
			} else {
				line = "REDACT " + ch + " 1"
			}
		case 34, 35:
			line = []string{"CHATHISTORY LATEST " + ch + " * 10", "CHATHISTORY LATEST " + u + " * 5", "CHATHISTORY BEFORE " + ch2 + " timestamp=2099-01-01T00:00:00.000Z 20", "CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2099-01-01T00:00:00.000Z 10"}[rng.IntN(4)]
		default:
			line = "PRIVMSG " + ch + " :" + strings.Repeat("chat ", rng.IntN(20))
		}
		c.send(line)
		lines++
		if step%100 == 99 {
			c.sync()
		}
	}
	for _, c := range cs {
		c.sync()
	}
	redacts := 0
	for _, c := range cs {
		redacts += c.redacts()
	}
	if redacts == 0 {
		t.Error("the session deleted no message (no REDACT was sent to anyone)")
	}
	if lines < 2500 {
		t.Fatalf("only %d lines sent", lines)
	}
	// The session must have reached what it is meant to cover, or the
	// replay proves little.
	d.world.Call(func(w *state.World) {
		dump := w.Dump()
		for what, pattern := range map[string]string{"topics": `.Topic = "topic`, "accounts": `.PasswordHash = "$2`, "bans": `.Bans[0].Mask`, "monitors": `world.watchers[`, "away": `.Away = "lunch"`, "history": `history.lastOrd`} {
			if !strings.Contains(dump, pattern) {
				t.Errorf("the session left no %s in the world", what)
			}
		}
	})
	checkReplay(t, d)
}

// sessionClient is a connection that reads everything it is sent (so
// nobody is dropped for not reading) and can wait for a PING round trip.
type sessionClient struct {
	t     *testing.T
	conn  net.Conn
	pongs chan string
	n     int

	mu          sync.Mutex
	lastTarget  string // of the last PRIVMSG with a msgid it was sent
	lastSender  string
	lastMsgid   string
	redactsSeen int
}

// lastMessage is the target, sender and msgid of the last PRIVMSG c
// was sent.
func (c *sessionClient) lastMessage() (target, sender, msgid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastTarget, c.lastSender, c.lastMsgid
}

// redacts is how many REDACT lines c was sent.
func (c *sessionClient) redacts() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.redactsSeen
}

// note remembers what REDACT needs of a line c was sent.
func (c *sessionClient) note(line string) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "@") {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch f[2] {
	case "REDACT":
		c.redactsSeen++
	case "PRIVMSG":
		if id := tagValue(line, "msgid"); id != "" {
			c.lastTarget, c.lastMsgid = f[3], id
			c.lastSender = strings.TrimPrefix(strings.SplitN(f[1], "!", 2)[0], ":")
		}
	}
}

func dialSession(t *testing.T, addr string, i int) *sessionClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c := &sessionClient{t: t, conn: conn, pongs: make(chan string, 16)}
	t.Cleanup(c.close)
	go func() {
		defer close(c.pongs)
		sc := bufio.NewScanner(conn)
		sc.Buffer(make([]byte, 0, 64<<10), 64<<10)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) >= 4 && f[1] == "PONG" {
				c.pongs <- strings.TrimPrefix(f[3], ":")
			}
			c.note(sc.Text())
		}
	}()
	c.send("CAP LS 302")
	c.send("CAP REQ :message-tags echo-message labeled-response batch server-time away-notify extended-join multi-prefix account-notify extended-monitor sasl setname invite-notify draft/chathistory draft/event-playback draft/message-redaction")
	c.send(fmt.Sprintf("NICK u%d", i))
	c.send(fmt.Sprintf("USER u%d 0 * :User %d", i, i))
	c.send("CAP END")
	c.send(fmt.Sprintf("JOIN #o%d", i))
	c.sync()
	return c
}

func (c *sessionClient) send(line string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.conn.Write([]byte(line + "\r\n")); err != nil {
		c.t.Fatalf("send %q: %v", line, err)
	}
}

// sync waits until the server has handled everything sent so far (or the
// connection ended: a KILL, a K-line).
func (c *sessionClient) sync() {
	c.t.Helper()
	c.n++
	token := fmt.Sprintf("s%d", c.n)
	c.send("PING " + token)
	timeout := time.After(20 * time.Second)
	for {
		select {
		case p, ok := <-c.pongs:
			if !ok || p == token {
				return
			}
		case <-timeout:
			c.t.Fatalf("no PONG %s within 20s", token)
		}
	}
}

func (c *sessionClient) close() { c.conn.Close() }

// saslPlain is a SASL PLAIN response, base64.
func saslPlain(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}
