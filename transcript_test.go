package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/state"
)

// Transcript tests: each testdata/transcripts/*.txt file is a conversation
// run against a real chatd over loopback TCP. The format:
//
//	# comment
//	% lobby = ""              TOML for the [server] table (before any client line)
//	%% [limits]               a raw TOML line (for other tables)
//	alice> NICK alice         alice sends a line (her connection opens on first use)
//	alice< :chatd.test 001 alice :Welcome...   alice must receive exactly this next
//	alice! register           macro: NICK alice, USER, read through the welcome burst
//	alice! register bob       the same with another nick
//	alice! closed             alice's connection must be closed by the server next
//	alice! close              alice closes her socket
//	alice! send USER a 0 * :A alice sends a line without the sync PING (for a
//	                          line after which the server closes the connection)
//	%clock                    the server's clock moves on 1 ms at every event, so
//	                          that every event has a time of its own
//
// In expected lines, {*} matches any text and {n} a run of digits; tags
// are compared as a set, in any order. {=name} matches a batch reference,
// msgid or timestamp (letters, digits, '-', ':', '.') and binds name to
// it for the rest of the transcript: a later {=name} must be the same
// text, so that a batch's start, its lines and its end are seen to belong
// together. In lines a client sends, {=name} is replaced by its value
// (CHATHISTORY BEFORE #c msgid={=m1} ...).
//
// After every line a client sends, the harness sends "PING :sync" and
// buffers that client's lines until the PONG. The server handles one
// client's lines in order on one goroutine, so by then everything the line
// caused has been queued for every recipient: no sleeps, and the order of
// lines across clients in a transcript is the order they are processed in.
// At the end each client must have received nothing it did not expect.
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/transcripts/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts found: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			t.Parallel()
			runTranscript(t, f)
		})
	}
}

type transcriptClient struct {
	name    string
	conn    net.Conn
	lines   chan string // lines read from the server, closed at EOF
	pending []string    // lines read ahead (while waiting for a sync PONG)
	syncs   int
}

type transcriptRun struct {
	t       *testing.T
	file    string
	lineNo  int
	addr    string
	clients map[string]*transcriptClient
	lobby   string
	binds   map[string]string // {=name} bindings
}

const transcriptTimeout = 5 * time.Second

func runTranscript(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var serverTOML, rawTOML []string
	var tune func(*state.World)
	body := len(lines)
	for i, l := range lines {
		switch {
		case strings.TrimSpace(l) == "%clock":
			tune = func(w *state.World) { w.SetClock(steppingClock()) }
		case strings.HasPrefix(l, "%%"):
			rawTOML = append(rawTOML, strings.TrimSpace(l[2:]))
		case strings.HasPrefix(l, "%"):
			serverTOML = append(serverTOML, strings.TrimSpace(l[1:]))
		case strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#"):
		default:
			body = i
		}
		if body < len(lines) {
			break
		}
	}
	d, cfgLobby := startTestDaemonTuned(t, serverTOML, rawTOML, tune)
	r := &transcriptRun{t: t, file: file, addr: d.addrs()[0].String(), clients: map[string]*transcriptClient{}, lobby: cfgLobby, binds: map[string]string{}}
	defer r.closeAll()
	for i := body; i < len(lines); i++ {
		r.lineNo = i + 1
		l := strings.TrimRight(lines[i], "\r")
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "%") {
			continue
		}
		m := transcriptLine.FindStringSubmatch(l)
		if m == nil {
			r.fatalf("cannot parse transcript line %q", l)
		}
		name, op, text := m[1], m[2], m[3]
		switch op {
		case ">":
			r.send(r.client(name), text)
		case "<":
			r.expect(r.client(name), text)
		case "!":
			r.action(r.client(name), text)
		}
	}
	for _, name := range sortedKeys(r.clients) {
		c := r.clients[name]
		if c.conn == nil {
			continue
		}
		r.lineNo = len(lines)
		r.sync(c)
		if len(c.pending) > 0 {
			r.fatalf("%s received unexpected lines: %q", c.name, c.pending)
		}
	}
	checkReplay(t, d)
}

var transcriptLine = regexp.MustCompile(`^([A-Za-z0-9_]+)([<>!]) ?(.*)$`)

func (r *transcriptRun) fatalf(format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("%s:%d: %s", r.file, r.lineNo, fmt.Sprintf(format, args...))
}

func (r *transcriptRun) client(name string) *transcriptClient {
	c := r.clients[name]
	if c != nil && c.conn != nil {
		return c
	}
	conn, err := net.Dial("tcp", r.addr)
	if err != nil {
		r.fatalf("dial: %v", err)
	}
	c = &transcriptClient{name: name, conn: conn, lines: make(chan string, 1024)}
	go func() {
		sc := bufio.NewScanner(conn)
		sc.Buffer(make([]byte, 16384), 16384)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	r.clients[name] = c
	return c
}

func (r *transcriptRun) closeAll() {
	for _, c := range r.clients {
		if c.conn != nil {
			c.conn.Close()
		}
	}
}

// send writes one line and, unless it ends the session, waits for a PING
// round trip so that the server has handled it before the next step.
func (r *transcriptRun) send(c *transcriptClient, text string) {
	r.write(c, text)
	if strings.HasPrefix(strings.ToUpper(text), "QUIT") {
		return
	}
	r.sync(c)
}

func (r *transcriptRun) write(c *transcriptClient, text string) {
	text = boundReference.ReplaceAllStringFunc(text, func(ref string) string {
		v, ok := r.binds[ref[2:len(ref)-1]]
		if !ok {
			r.fatalf("%s: %s is not bound yet", c.name, ref)
		}
		return v
	})
	if _, err := c.conn.Write([]byte(text + "\r\n")); err != nil {
		r.fatalf("%s: write: %v", c.name, err)
	}
}

// sync sends a PING and reads ahead until its PONG, keeping what came before.
func (r *transcriptRun) sync(c *transcriptClient) {
	c.syncs++
	token := fmt.Sprintf("sync%d", c.syncs)
	r.write(c, "PING :"+token)
	for {
		line, ok := r.read(c)
		if !ok {
			r.fatalf("%s: connection closed while waiting for PONG %s (pending %q)", c.name, token, c.pending)
		}
		if strings.HasSuffix(line, " PONG chatd.test "+token) || strings.HasSuffix(line, " PONG chatd.test :"+token) {
			return
		}
		c.pending = append(c.pending, line)
	}
}

func (r *transcriptRun) read(c *transcriptClient) (string, bool) {
	select {
	case line, ok := <-c.lines:
		return line, ok
	case <-time.After(transcriptTimeout):
		r.fatalf("%s: no line from the server within %v (pending %q)", c.name, transcriptTimeout, c.pending)
	}
	return "", false
}

// next returns the client's next unmatched line.
func (r *transcriptRun) next(c *transcriptClient) (string, bool) {
	if len(c.pending) > 0 {
		line := c.pending[0]
		c.pending = c.pending[1:]
		return line, true
	}
	return r.read(c)
}

func (r *transcriptRun) expect(c *transcriptClient, want string) {
	r.t.Helper()
	got, ok := r.next(c)
	if !ok {
		r.fatalf("%s: expected %q, connection closed", c.name, want)
	}
	if !lineMatches(want, got, r.binds) {
		r.fatalf("%s:\n  want %s\n  got  %s", c.name, want, got)
	}
}

// lineMatches compares a received line with an expected one. The tag
// sections ("@a=1;b=2 ") are compared as sets, as servers may send tags in
// any order; each expected value may use {*}, {n} and {=name}. New
// bindings are added to binds only when the whole line matches.
func lineMatches(want, got string, binds map[string]string) bool {
	wantTags, wantRest := splitTags(want)
	gotTags, gotRest := splitTags(got)
	if len(wantTags) != len(gotTags) {
		return false
	}
	found := map[string]string{}
	if !matchExpected(wantRest, gotRest, binds, found) {
		return false
	}
	for k, v := range wantTags {
		g, ok := gotTags[k]
		if !ok || !matchExpected(v, g, binds, found) {
			return false
		}
	}
	for k, v := range found {
		binds[k] = v
	}
	return true
}

// matchExpected matches got against one expected text, recording in found
// the values of {=name} not yet bound (a name found twice in one line must
// match the same text).
func matchExpected(want, got string, binds, found map[string]string) bool {
	re, names := expectedLine(want, binds, found)
	m := re.FindStringSubmatch(got)
	if m == nil {
		return false
	}
	for i, name := range names {
		v := m[i+1]
		if prev, ok := found[name]; ok && prev != v {
			return false
		}
		found[name] = v
	}
	return true
}

// splitTags separates a line's tag section, as a key → raw value map.
func splitTags(line string) (map[string]string, string) {
	if !strings.HasPrefix(line, "@") {
		return nil, line
	}
	sp := strings.IndexByte(line, ' ')
	if sp < 0 {
		return nil, line
	}
	tags := map[string]string{}
	for _, kv := range strings.Split(line[1:sp], ";") {
		k, v, _ := strings.Cut(kv, "=")
		tags[k] = v
	}
	return tags, line[sp+1:]
}

// expectedLine turns an expected line into a regexp: literal text with {*}
// for any text, {n} for digits and {=name} for a bound value (or, when
// unbound, a reference captured as the next group; names lists them).
func expectedLine(want string, binds, found map[string]string) (*regexp.Regexp, []string) {
	var b strings.Builder
	var names []string
	b.WriteString("^")
	for len(want) > 0 {
		switch {
		case strings.HasPrefix(want, "{*}"):
			b.WriteString(".*")
			want = want[3:]
		case strings.HasPrefix(want, "{n}"):
			b.WriteString("[0-9]+")
			want = want[3:]
		case strings.HasPrefix(want, "{=") && strings.Contains(want, "}"):
			end := strings.IndexByte(want, '}')
			name := want[2:end]
			want = want[end+1:]
			if v, ok := binds[name]; ok {
				b.WriteString(regexp.QuoteMeta(v))
			} else if v, ok := found[name]; ok {
				b.WriteString(regexp.QuoteMeta(v))
			} else {
				b.WriteString("([A-Za-z0-9:.-]+)")
				names = append(names, name)
			}
		default:
			b.WriteString(regexp.QuoteMeta(want[:1]))
			want = want[1:]
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String()), names
}

func (r *transcriptRun) action(c *transcriptClient, text string) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		r.fatalf("empty action")
	}
	switch fields[0] {
	case "register":
		nick := c.name
		if len(fields) > 1 {
			nick = fields[1]
		}
		r.write(c, "NICK "+nick)
		r.write(c, "USER "+nick+" 0 * :"+nick+" Example")
		r.skipWelcome(c, nick)
		r.sync(c)
	case "closed":
		for {
			line, ok := r.next(c)
			if !ok {
				c.conn.Close()
				c.conn = nil
				return
			}
			r.fatalf("%s: expected the connection to close, got %q", c.name, line)
		}
	case "close":
		c.conn.Close()
		c.conn = nil
	case "send":
		r.write(c, strings.TrimSpace(strings.TrimPrefix(text, "send")))
	default:
		r.fatalf("unknown action %q", fields[0])
	}
}

// skipWelcome reads the registration burst (checked in full by the
// registration transcript) through the MOTD and the lobby's NAMES.
func (r *transcriptRun) skipWelcome(c *transcriptClient, nick string) {
	endMOTD := regexp.MustCompile(`^:chatd\.test (376|422) ` + regexp.QuoteMeta(nick) + ` `)
	for {
		line, ok := r.next(c)
		if !ok {
			r.fatalf("%s: closed during registration", c.name)
		}
		if strings.Contains(line, " 433 ") || strings.Contains(line, " 432 ") {
			r.fatalf("%s: registration refused: %s", c.name, line)
		}
		if endMOTD.MatchString(line) {
			break
		}
	}
	if r.lobby == "" {
		return
	}
	for {
		line, ok := r.next(c)
		if !ok {
			r.fatalf("%s: closed while joining the lobby", c.name)
		}
		if strings.Contains(line, " 366 "+nick+" ") {
			return
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	return keys
}

// boundReference is {=name} in a line a client sends.
var boundReference = regexp.MustCompile(`\{=[A-Za-z0-9_]+\}`)

// steppingClock is a clock that starts now and moves on one millisecond
// every time it is read (the state goroutine reads it once per event).
func steppingClock() func() time.Time {
	var mu sync.Mutex
	now := time.Now().Truncate(time.Millisecond)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Millisecond)
		return now
	}
}
