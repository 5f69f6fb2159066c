package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"chatd/state"
)

// Hostile input tests: what a client sends that no well-behaved client
// would, over real loopback TCP. Every wait is a read with a deadline or a
// PING/PONG round trip; nothing sleeps to synchronise.
//
// The helpers here (hostileDaemon, hclient) are shared by limits_test.go,
// flood_test.go, slowconsumer_test.go and leak_test.go.

// hTimeout bounds every wait for a line from the server.
const hTimeout = 5 * time.Second

// hostileDaemon is a chatd for one test, like startTestDaemon's, plus a log
// that is checked at the end (no ERROR records: in chatd every one is a
// bug, such as a handler panic or a line that could not be encoded) and a
// stop that may be called more than once.
type hostileDaemon struct {
	*daemon
	addr string
	log  *hLogBuffer
	stop func()
}

// startHostileDaemon is startTestDaemon with a checked log and an
// idempotent stop (daemon.stop may only run once, and the leak and
// shutdown tests stop the daemon themselves).
func startHostileDaemon(t *testing.T, serverTOML, rawTOML []string, opts ...daemonOption) *hostileDaemon {
	t.Helper()
	cfg := testConfig(t, serverTOML, rawTOML)
	logs := &hLogBuffer{}
	var out io.Writer = logs
	if testing.Verbose() {
		out = io.MultiWriter(logs, os.Stderr)
	}
	d, err := startDaemon(cfg, slog.New(slog.NewTextHandler(out, nil)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	hd := &hostileDaemon{daemon: d, addr: d.addrs()[0].String(), log: logs, stop: sync.OnceFunc(d.stop)}
	t.Cleanup(func() {
		hd.stop()
		hd.checkLog(t)
	})
	return hd
}

// checkLog fails the test for every ERROR record logged so far.
func (hd *hostileDaemon) checkLog(t *testing.T) {
	t.Helper()
	for _, l := range strings.Split(hd.log.String(), "\n") {
		if strings.Contains(l, "level=ERROR") {
			t.Errorf("server logged an error: %s", l)
		}
	}
}

// hLogBuffer is a bytes.Buffer safe for the daemon's goroutines.
type hLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *hLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *hLogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// hclient is a raw IRC connection. Unless made with hdialSilent, a reader
// goroutine collects the server's lines into an unbounded queue, so a
// client that the test is not looking at still drains its socket (only the
// slow consumer must not). Every line received is checked to end in CRLF
// and to be at most 512 bytes without its tags.
type hclient struct {
	t    *testing.T
	name string
	conn *net.TCPConn
	br   *bufio.Reader // used by hand (readByHand) until startReading

	autoPong bool         // answer the server's PINGs (set before reading starts)
	pongs    atomic.Int32 // PINGs answered

	mu      sync.Mutex
	queue   []string
	closed  bool  // the reader saw EOF or an error
	readErr error // why it stopped
	bad     []string
	notify  chan struct{}
	done    chan struct{}
	reading bool
	syncs   int

	shutOnce sync.Once
}

// hdial connects and starts reading.
func hdial(t *testing.T, addr, name string) *hclient {
	t.Helper()
	c := hdialSilent(t, addr, name)
	c.startReading()
	return c
}

// hdialSilent connects without reading anything yet.
func hdialSilent(t *testing.T, addr, name string) *hclient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, hTimeout)
	if err != nil {
		t.Fatalf("%s: dial: %v", name, err)
	}
	c := &hclient{t: t, name: name, conn: nc.(*net.TCPConn), br: bufio.NewReaderSize(nc, 16384), notify: make(chan struct{}, 1), done: make(chan struct{})}
	t.Cleanup(c.shut)
	return c
}

// shut closes the socket, waits for the reader goroutine and reports any
// malformed line it received. It may be called more than once.
func (c *hclient) shut() { c.shutOnce.Do(c.doShut) }

func (c *hclient) doShut() {
	c.conn.Close()
	c.mu.Lock()
	reading := c.reading
	c.mu.Unlock()
	if reading {
		<-c.done
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.bad {
		c.t.Errorf("%s: malformed line from the server: %q", c.name, b)
	}
}

// readByHand reads one line (CRLF removed) on the test goroutine, for a
// client whose reader has not been started.
func (c *hclient) readByHand() string {
	c.t.Helper()
	if err := c.conn.SetReadDeadline(time.Now().Add(hTimeout)); err != nil {
		c.t.Fatal(err)
	}
	defer c.conn.SetReadDeadline(time.Time{})
	line, err := c.br.ReadString('\n')
	if err != nil {
		c.t.Fatalf("%s: read: %v (after %q)", c.name, err, line)
	}
	return strings.TrimSuffix(line, "\r\n")
}

// registerByHand is register for a client whose reader has not been
// started; it leaves nothing read ahead.
func (c *hclient) registerByHand(nick string) {
	c.t.Helper()
	c.send("NICK " + nick)
	c.send("USER " + nick + " 0 * :" + nick + " Example")
	c.send("PING :registered")
	welcomed := false
	for {
		line := c.readByHand()
		if strings.HasPrefix(line, ":chatd.test 001 "+nick+" ") {
			welcomed = true
		}
		if line == ":chatd.test PONG chatd.test registered" {
			break
		}
	}
	if !welcomed {
		c.t.Fatalf("%s: registration as %s failed", c.name, nick)
	}
	if n := c.br.Buffered(); n > 0 {
		c.t.Fatalf("%s: %d bytes read ahead after registering", c.name, n)
	}
}

func (c *hclient) startReading() {
	c.mu.Lock()
	c.reading = true
	c.mu.Unlock()
	go c.readLoop()
}

func (c *hclient) readLoop() {
	defer close(c.done)
	for {
		raw, err := c.br.ReadString('\n')
		if err != nil {
			c.mu.Lock()
			c.closed, c.readErr = true, err
			c.mu.Unlock()
			c.wake()
			return
		}
		line, ok := strings.CutSuffix(raw, "\r\n")
		body := line
		if strings.HasPrefix(body, "@") {
			if i := strings.IndexByte(body, ' '); i >= 0 {
				body = body[i+1:]
			}
		}
		if !ok || len(body)+2 > state.MaxLineBytes || strings.ContainsAny(line, "\r\x00") || !utf8.ValidString(line) {
			c.mu.Lock()
			c.bad = append(c.bad, raw)
			c.mu.Unlock()
		}
		if c.autoPong && strings.HasPrefix(line, "PING ") {
			token := strings.TrimPrefix(strings.TrimPrefix(line, "PING "), ":")
			if _, err := c.conn.Write([]byte("PONG :" + token + "\r\n")); err == nil {
				c.pongs.Add(1)
			}
			c.wake()
			continue
		}
		c.mu.Lock()
		c.queue = append(c.queue, line)
		c.mu.Unlock()
		c.wake()
	}
}

func (c *hclient) wake() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// write sends raw bytes.
func (c *hclient) write(b []byte) {
	c.t.Helper()
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatalf("%s: write: %v", c.name, err)
	}
}

// send sends one line, CRLF appended.
func (c *hclient) send(line string) {
	c.t.Helper()
	c.write([]byte(line + "\r\n"))
}

// nextWithin returns the next line, or false at EOF; it fails the test if
// neither comes within d.
func (c *hclient) nextWithin(d time.Duration) (string, bool) {
	c.t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			line := c.queue[0]
			c.queue[0] = ""
			c.queue = c.queue[1:]
			c.mu.Unlock()
			return line, true
		}
		if c.closed {
			c.mu.Unlock()
			return "", false
		}
		c.mu.Unlock()
		select {
		case <-c.notify:
		case <-deadline.C:
			c.t.Fatalf("%s: nothing from the server within %v", c.name, d)
		}
	}
}

func (c *hclient) next() (string, bool) {
	c.t.Helper()
	return c.nextWithin(hTimeout)
}

// expect requires the next line to be exactly want.
func (c *hclient) expect(want string) {
	c.t.Helper()
	got, ok := c.next()
	if !ok {
		c.t.Fatalf("%s: expected %q, connection closed (%v)", c.name, want, c.readErr)
	}
	if got != want {
		c.t.Fatalf("%s:\n  want %q\n  got  %q", c.name, want, got)
	}
}

// waitFor skips lines until one is exactly want, returning those skipped.
func (c *hclient) waitFor(want string) []string {
	c.t.Helper()
	var skipped []string
	for {
		got, ok := c.next()
		if !ok {
			c.t.Fatalf("%s: connection closed while waiting for %q (after %q)", c.name, want, hTail(skipped))
		}
		if got == want {
			return skipped
		}
		skipped = append(skipped, got)
	}
}

// sync sends a PING and returns every line that came before its PONG: by
// then the server has handled everything this client sent before it.
func (c *hclient) sync() []string {
	c.t.Helper()
	c.syncs++
	token := fmt.Sprintf("hsync%d", c.syncs)
	c.send("PING :" + token)
	return c.waitFor(":chatd.test PONG chatd.test " + token)
}

// syncQuiet is sync that requires nothing to have come before the PONG.
func (c *hclient) syncQuiet() {
	c.t.Helper()
	if extra := c.sync(); len(extra) > 0 {
		c.t.Fatalf("%s: unexpected lines: %q", c.name, extra)
	}
}

// register sends NICK and USER and reads through the welcome burst and the
// lobby join.
func (c *hclient) register(nick string) {
	c.t.Helper()
	c.send("NICK " + nick)
	c.send("USER " + nick + " 0 * :" + nick + " Example")
	lines := c.sync()
	joined := false
	for _, l := range lines {
		if strings.HasPrefix(l, ":chatd.test 366 "+nick+" #lobby ") {
			joined = true
		}
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], ":chatd.test 001 "+nick+" ") || !joined {
		c.t.Fatalf("%s: registration as %s failed: %q", c.name, nick, lines)
	}
}

// expectClosed reads until the server closes the connection, within d, and
// returns what came before.
func (c *hclient) expectClosed(d time.Duration) []string {
	c.t.Helper()
	deadline := time.Now().Add(d)
	var got []string
	for {
		line, ok := c.nextWithin(max(time.Until(deadline), time.Millisecond))
		if !ok {
			return got
		}
		got = append(got, line)
	}
}

// expectClosedWith requires the connection to end with exactly the lines
// in want (after any lines matching skip).
func (c *hclient) expectClosedWith(d time.Duration, skip *regexp.Regexp, want ...string) {
	c.t.Helper()
	got := c.expectClosed(d)
	for len(got) > 0 && skip != nil && skip.MatchString(got[0]) {
		got = got[1:]
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		c.t.Fatalf("%s: last lines before the server closed the connection:\n  want %q\n  got  %q", c.name, want, got)
	}
}

// awaitPongs waits until the client has answered n PINGs, failing if it
// receives any other line or is disconnected first.
func (c *hclient) awaitPongs(n int32, d time.Duration) {
	c.t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for c.pongs.Load() < n {
		c.mu.Lock()
		queue, closed := c.queue, c.closed
		c.mu.Unlock()
		switch {
		case len(queue) > 0:
			c.t.Fatalf("%s: unexpected lines %q while waiting for PINGs", c.name, queue)
		case closed:
			c.t.Fatalf("%s: disconnected after answering %d PINGs: %v", c.name, c.pongs.Load(), c.readErr)
		}
		select {
		case <-c.notify:
		case <-deadline.C:
			c.t.Fatalf("%s: answered only %d PINGs within %v", c.name, c.pongs.Load(), d)
		}
	}
}

func hTail(s []string) []string {
	if len(s) > 5 {
		return s[len(s)-5:]
	}
	return s
}

// --- line hygiene ---

// TestHostileLongLines: an over-long line is refused with 417 and skipped
// up to its newline; the connection stays usable and nothing of it reaches
// anyone else. 512 bytes (CRLF included, tags excluded) is the limit.
func TestHostileLongLines(t *testing.T) {
	d := startHostileDaemon(t, nil, nil)
	alice := hdial(t, d.addr, "alice")
	alice.register("alice")
	bob := hdial(t, d.addr, "bob")
	bob.register("bob")
	alice.waitFor(":bob!bob@127.0.0.1 JOIN #lobby")
	const tooLong = ":chatd.test 417 alice :Input line was too long"

	alice.send("PRIVMSG #lobby :" + strings.Repeat("x", 600))
	alice.expect(tooLong)
	alice.syncQuiet()

	// The boundary: 510 bytes and CRLF is accepted, 511 is not.
	fill := func(prefix string, n int) string { return prefix + strings.Repeat("y", n-len(prefix)) }
	alice.send(fill("PRIVMSG nobody :", 510))
	alice.expect(":chatd.test 401 alice nobody :No such nick/channel")
	alice.send(fill("PRIVMSG nobody :", 511))
	alice.expect(tooLong)
	// With a bare LF terminator the limit is the same.
	alice.write([]byte(fill("PRIVMSG nobody :", 511) + "\n"))
	alice.expect(tooLong)
	alice.syncQuiet()

	// Tags have their own room: 4094 bytes of tag data from a client ('@'
	// and the space excluded) is fine, 4095 is refused, and so are 9000
	// bytes (beyond what the reader buffers for one line).
	tags := func(n int) string { return "@+example=" + strings.Repeat("t", n-len("+example=")) }
	alice.send(tags(4094) + " PING :tagged")
	alice.expect(":chatd.test PONG chatd.test tagged")
	alice.send(tags(4095) + " PING :tags4095")
	alice.expect(tooLong)
	alice.send(tags(9000) + " PING :tags9000")
	alice.expect(tooLong)
	// The longest line there is: 4094 bytes of tags and a 510-byte body.
	alice.send(tags(4094) + " " + fill("PRIVMSG nobody :", 510))
	alice.expect(":chatd.test 401 alice nobody :No such nick/channel")
	alice.send(tags(4094) + " " + fill("PRIVMSG nobody :", 511))
	alice.expect(tooLong)
	// Tags do not count against the 512: a tagged line with a 510-byte body.
	alice.send("@+example=1 " + fill("PRIVMSG nobody :", 510))
	alice.expect(":chatd.test 401 alice nobody :No such nick/channel")

	// A huge line followed, in the same write, by a good one: the good one
	// is handled after the 417.
	alice.write([]byte("PRIVMSG #lobby :" + strings.Repeat("z", 20000) + "\r\nPING :after\r\n"))
	alice.expect(tooLong)
	alice.expect(":chatd.test PONG chatd.test after")
	alice.syncQuiet()

	// bob saw nothing of any of it.
	bob.syncQuiet()
}

// TestHostileBadBytes: NUL, invalid UTF-8 and too many parameters are each
// refused with their own reply, in order with the client's other replies,
// and nothing of the line is acted on.
func TestHostileBadBytes(t *testing.T) {
	d := startHostileDaemon(t, nil, nil)
	alice := hdial(t, d.addr, "alice")
	alice.register("alice")
	bob := hdial(t, d.addr, "bob")
	bob.register("bob")
	alice.waitFor(":bob!bob@127.0.0.1 JOIN #lobby")

	alice.send("PRIVMSG #lobby :nul\x00here")
	alice.expect(":chatd.test 400 alice PRIVMSG :Line contains a NUL byte")
	alice.send("PRIVMSG #lobby :latin1 caf\xe9")
	alice.expect(":chatd.test FAIL PRIVMSG INVALID_UTF8 :Message rejected, your IRC software MUST use UTF-8 encoding on this network")
	alice.send("PRIVMSG #lobby :overlong \xc0\xaf and surrogate \xed\xa0\x80")
	alice.expect(":chatd.test FAIL PRIVMSG INVALID_UTF8 :Message rejected, your IRC software MUST use UTF-8 encoding on this network")
	// The command itself is not echoed back as it came (the reader checks
	// that every line received is valid UTF-8 without NUL or CR).
	alice.send("PRIV\xffMSG #lobby :x")
	if got, _ := alice.next(); !strings.HasPrefix(got, ":chatd.test FAIL ") || !strings.HasSuffix(got, " INVALID_UTF8 :Message rejected, your IRC software MUST use UTF-8 encoding on this network") {
		t.Errorf("alice: invalid UTF-8 in the command: got %q", got)
	}
	alice.send("PRIV\x00MSG #lobby :x")
	alice.expect(":chatd.test 400 alice * :Line contains a NUL byte")

	params := func(n int) string {
		p := make([]string, n)
		for i := range p {
			p[i] = fmt.Sprintf("p%d", i)
		}
		return strings.Join(p, " ")
	}
	alice.send("FOO " + params(15))
	alice.expect(":chatd.test 421 alice FOO :Unknown command")
	alice.send("FOO " + params(16))
	alice.expect(":chatd.test 400 alice FOO :Too many parameters")
	alice.send("PRIVMSG #lobby " + params(15) + " :sixteen")
	alice.expect(":chatd.test 400 alice PRIVMSG :Too many parameters")
	alice.syncQuiet()

	// A CR inside a line is not a line break and cannot be relayed: it is
	// refused, never passed on to others, and the server logs no error
	// (checked at cleanup).
	alice.send("PRIVMSG #lobby :one\rtwo")
	alice.expect(":chatd.test 400 alice PRIVMSG :Line contains a CR byte")
	alice.send("PRIVMSG #lobby :two CRs\r\r")
	alice.expect(":chatd.test 400 alice PRIVMSG :Line contains a CR byte")
	alice.send("PRIV\rMSG #lobby :x")
	alice.expect(":chatd.test 400 alice * :Line contains a CR byte")
	alice.syncQuiet()

	// bob got none of those messages; a good one still goes through.
	bob.syncQuiet()
	alice.send("PRIVMSG #lobby :fine day")
	bob.expect(":alice!alice@127.0.0.1 PRIVMSG #lobby :fine day")
}

// TestHostileFraming: empty lines and lines of spaces are ignored, a bare
// LF ends a line, a line may arrive a byte at a time, and garbage that does
// not parse (including a tag section that panics gopkg.in/irc.v4) is
// dropped without hurting the connection.
func TestHostileFraming(t *testing.T) {
	d := startHostileDaemon(t, nil, nil)
	alice := hdial(t, d.addr, "alice")
	alice.register("alice")

	alice.write([]byte("\r\n\n   \r\n \n\r\n"))
	alice.syncQuiet()

	alice.write([]byte("PING :lf\n"))
	alice.expect(":chatd.test PONG chatd.test lf")
	alice.write([]byte("PING :one\nPING :two\r\nPING :three\n"))
	alice.expect(":chatd.test PONG chatd.test one")
	alice.expect(":chatd.test PONG chatd.test two")
	alice.expect(":chatd.test PONG chatd.test three")

	for _, b := range []byte("PING :slowly\r\n") {
		alice.write([]byte{b})
	}
	alice.expect(":chatd.test PONG chatd.test slowly")

	for _, garbage := range []string{"@a=b ", "@a=b  ", "@", "@a", ":", ":prefix", "@a=b :prefix", ":a :b", "@;;; ", "@=;= "} {
		alice.send(garbage)
		if extra := alice.sync(); len(extra) > 0 {
			t.Errorf("alice: %q: want it ignored, got %q", garbage, extra)
		}
	}
}

// TestHostileFinalLineWithoutNewline: a last line the client sends without
// a newline before closing its side is still acted on.
func TestHostileFinalLineWithoutNewline(t *testing.T) {
	d := startHostileDaemon(t, nil, nil)
	alice := hdial(t, d.addr, "alice")
	alice.register("alice")
	bob := hdial(t, d.addr, "bob")
	bob.register("bob")
	alice.waitFor(":bob!bob@127.0.0.1 JOIN #lobby")

	alice.write([]byte("QUIT :bye"))
	if err := alice.conn.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	bob.expect(":alice!alice@127.0.0.1 QUIT :Quit: bye")
	alice.expectClosedWith(hTimeout, nil, "ERROR :Closing Link: 127.0.0.1 (Quit: bye)")

	// The same with a CR but no LF.
	carol := hdial(t, d.addr, "carol")
	carol.register("carol")
	bob.waitFor(":carol!carol@127.0.0.1 JOIN #lobby")
	carol.write([]byte("QUIT :cr only\r"))
	if err := carol.conn.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	bob.expect(":carol!carol@127.0.0.1 QUIT :Quit: cr only")
}

// --- clients that stall ---

// TestHostileRegistrationTimeout: with registration_timeout = 1s, a client
// that sends nothing, one that sends half a line and stalls, one that
// dribbles a byte at a time, and one that keeps sending PINGs but never
// registers are all closed; a registered client is not.
func TestHostileRegistrationTimeout(t *testing.T) {
	d := startHostileDaemon(t, nil, []string{"[limits]", `registration_timeout = "1s"`})
	reg := hdial(t, d.addr, "registered")
	reg.register("registered")

	start := time.Now()
	silent := hdial(t, d.addr, "silent")
	half := hdial(t, d.addr, "half")
	half.write([]byte("NICK hal"))
	dribbler := hdial(t, d.addr, "dribbler")
	pinger := hdial(t, d.addr, "pinger")
	stopPacing := make(chan struct{})
	var pacing sync.WaitGroup
	pace := func(c *hclient, chunk func(i int) []byte) {
		pacing.Add(1)
		go func() {
			defer pacing.Done()
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				if _, err := c.conn.Write(chunk(i)); err != nil {
					return
				}
				select {
				case <-tick.C:
				case <-stopPacing:
					return
				}
			}
		}()
	}
	pace(dribbler, func(int) []byte { return []byte("A") })
	pace(pinger, func(i int) []byte { return []byte(fmt.Sprintf("PING :p%d\r\n", i)) })
	defer pacing.Wait()
	defer close(stopPacing)

	const timedOut = "ERROR :Closing Link: 127.0.0.1 (Registration timed out)"
	pong := regexp.MustCompile(`^:chatd\.test PONG chatd\.test p[0-9]+$`)
	for _, c := range []*hclient{silent, half, dribbler, pinger} {
		c.expectClosedWith(hTimeout, pong, timedOut)
		if el := time.Since(start); el < 900*time.Millisecond {
			t.Errorf("%s: closed after %v, before the 1s registration timeout", c.name, el)
		}
	}
	reg.syncQuiet()
}

// TestHostileHugeLine: a megabytes-long line without a newline costs the
// server a bounded buffer, gets a single 417 when it ends, and the
// connection, and the server, stay usable.
func TestHostileHugeLine(t *testing.T) {
	d := startHostileDaemon(t, nil, nil)
	alice := hdial(t, d.addr, "alice")
	alice.register("alice")

	huge := bytes.Repeat([]byte("A"), 16<<20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	alice.write(huge)
	// The server is still reading it all (the write returned), holding at
	// most one line's worth; measure while the connection is open.
	alice.send("")
	alice.send("PING :after")
	alice.expect(":chatd.test 417 alice :Input line was too long")
	alice.expect(":chatd.test PONG chatd.test after")
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(huge)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 4<<20 {
		t.Errorf("heap grew by %d bytes while a 16 MiB line was skipped", grew)
	}
	alice.syncQuiet()

	bob := hdial(t, d.addr, "bob")
	bob.register("bob")
	alice.expect(":bob!bob@127.0.0.1 JOIN #lobby")
}

// TestHostilePingTimeout: with ping_interval and ping_timeout 1s, an idle
// registered client is sent PING; one that never answers is dropped and
// its channel peers see why, one that answers stays.
func TestHostilePingTimeout(t *testing.T) {
	d := startHostileDaemon(t, nil, []string{"[limits]", `ping_interval = "1s"`, `ping_timeout = "1s"`})
	bob := hdialSilent(t, d.addr, "bob")
	bob.autoPong = true
	bob.startReading()
	bob.register("bob")
	alice := hdial(t, d.addr, "alice")
	alice.register("alice")
	bob.waitFor(":alice!alice@127.0.0.1 JOIN #lobby")

	alice.expect("PING chatd.test")
	alice.expectClosedWith(hTimeout, nil, "ERROR :Closing Link: 127.0.0.1 (Ping timeout: 1 seconds)")
	bob.expect(":alice!alice@127.0.0.1 QUIT :Ping timeout: 1 seconds")

	// bob, who answers, outlives several ping rounds.
	bob.awaitPongs(3, hTimeout)
	bob.syncQuiet()
}
