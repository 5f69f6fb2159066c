package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// env is what every scenario needs to know about the target server.
type env struct {
	addr        string
	spread      bool // spread source addresses over 127.0.0.1-250
	loopback    bool // addr is an IPv4 loopback address
	nickPrefix  string
	pass        string
	stepTimeout time.Duration // limit for one dial/register/join/quit step
	readBuf     int           // bufio.Reader size per connection
	verbose     bool
}

func newEnv(g *globals) (*env, error) {
	host, _, err := net.SplitHostPort(g.addr)
	if err != nil {
		return nil, fmt.Errorf("bad -addr %q: %v", g.addr, err)
	}
	e := &env{
		addr:        g.addr,
		spread:      g.spread,
		nickPrefix:  g.nick,
		pass:        g.pass,
		stepTimeout: g.stepTimeout,
		readBuf:     64 << 10,
		verbose:     g.verbose,
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		return nil, fmt.Errorf("resolve %q: %v", host, err)
	}
	if len(ips) > 0 && ips[0].To4() != nil && ips[0].IsLoopback() {
		e.loopback = true
		// Dial the address we checked so "localhost" cannot pick ::1.
		_, port, _ := net.SplitHostPort(g.addr)
		e.addr = net.JoinHostPort(ips[0].String(), port)
	}
	return e, nil
}

// nickFor returns the base nick of connection i: prefix + base36 index,
// which stays within the RFC 2812 limit of 9 for prefixes of up to 4
// characters and any realistic connection count.
func (e *env) nickFor(i int) string {
	return e.nickPrefix + strconv.FormatInt(int64(i), 36)
}

// progress calls report once a second until stop is closed.
func (e *env) progress(stop <-chan struct{}, report func()) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			report()
		}
	}
}

func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

func (e *env) debugf(format string, args ...any) {
	if e.verbose {
		e.logf(format, args...)
	}
}

// dial opens TCP connection number i. Against a loopback target it binds
// the source address to 127.0.0.(1+i%250) so that tens of thousands of
// connections (and TIME_WAIT leftovers from churn) do not exhaust the
// ephemeral ports of a single source address.
func (e *env) dial(ctx context.Context, i int) (net.Conn, error) {
	d := net.Dialer{Timeout: e.stepTimeout}
	if e.spread && e.loopback {
		d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i%250))}
	}
	return d.DialContext(ctx, "tcp", e.addr)
}

// stepError describes why a connection failed, grouped by phase
// (connect, register, join, quit, read) and kind (refused, timeout,
// closed, server-error, rejected, nick, join, io).
type stepError struct {
	phase, kind, msg string
}

func (e *stepError) Error() string { return e.phase + ": " + e.kind + ": " + e.msg }

func (e *stepError) key() string { return e.phase + "_" + e.kind }

// classify maps a network error to a short kind.
func classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, net.ErrClosed):
		return "closed"
	}
	return "io"
}

func stepErr(phase string, err error) *stepError {
	return &stepError{phase: phase, kind: classify(err), msg: err.Error()}
}

// client is one IRC connection.
type client struct {
	idx  int
	nick string
	conn net.Conn
	r    *bufio.Reader
	stop func() bool // unregisters the close-on-cancel hook
	dial time.Duration
}

func (c *client) write(s string) error {
	_, err := io.WriteString(c.conn, s)
	return err
}

// readLine returns the next line without CR/LF. The slice is only valid
// until the next read. Over-long lines are skipped.
func (c *client) readLine() ([]byte, error) {
	for {
		line, err := c.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			for err == bufio.ErrBufferFull {
				_, err = c.r.ReadSlice('\n')
			}
			if err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return trimCRLF(line), nil
	}
}

// pong answers a PING whose parameter list is params.
func (c *client) pong(params []byte) error {
	b := make([]byte, 0, len(params)+8)
	b = append(b, "PONG "...)
	b = append(b, params...)
	b = append(b, '\r', '\n')
	_, err := c.conn.Write(b)
	return err
}

// close drops the connection without saying goodbye.
func (c *client) close() {
	c.stop()
	c.conn.Close()
}

// quit sends QUIT (best effort, never blocking for long) and closes.
func (c *client) quit() {
	c.conn.SetWriteDeadline(time.Now().Add(time.Second))
	c.write("QUIT :bench done\r\n")
	c.close()
}

// deadline returns now+d, or the context deadline if that is earlier.
func deadline(ctx context.Context, d time.Duration) time.Time {
	t := time.Now().Add(d)
	if cd, ok := ctx.Deadline(); ok && cd.Before(t) {
		return cd
	}
	return t
}

// connect dials connection i and registers it (NICK/USER, answering PINGs
// and retrying on nick collisions) until 001 arrives. Everything a server
// sends before 001 (NOTICEs, ident/DNS chatter) is skipped.
func connect(ctx context.Context, e *env, i int) (*client, error) {
	return connectNick(ctx, e, i, e.nickFor(i))
}

// connectNick is connect with an explicit nick; i only selects the source
// address.
func connectNick(ctx context.Context, e *env, i int, nick string) (*client, error) {
	t0 := time.Now()
	conn, err := e.dial(ctx, i)
	if err != nil {
		return nil, stepErr("connect", err)
	}
	c := &client{
		idx:  i,
		dial: time.Since(t0),
		nick: nick,
		conn: conn,
		r:    bufio.NewReaderSize(conn, e.readBuf),
	}
	// Whatever the scenario is doing, cancellation unblocks it.
	c.stop = context.AfterFunc(ctx, func() { conn.Close() })
	if err := c.register(ctx, e); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *client) register(ctx context.Context, e *env) error {
	c.conn.SetDeadline(deadline(ctx, e.stepTimeout))
	var hello string
	if e.pass != "" {
		hello = "PASS " + e.pass + "\r\n"
	}
	hello += "NICK " + c.nick + "\r\nUSER " + c.nick + " 0 * :chatd bench\r\n"
	if err := c.write(hello); err != nil {
		return stepErr("register", err)
	}
	for {
		line, err := c.readLine()
		if err != nil {
			return stepErr("register", err)
		}
		cmd, params := splitCommand(line)
		switch string(cmd) {
		case "PING":
			if err := c.pong(params); err != nil {
				return stepErr("register", err)
			}
		case "001":
			if n := firstParam(params); len(n) > 0 {
				c.nick = string(n)
			}
			c.conn.SetDeadline(time.Time{})
			return nil
		case "433", "436", "437": // nick in use / collision / unavailable
			e.debugf("%s: %s, retrying as %s_", c.nick, cmd, c.nick)
			c.nick += "_"
			if err := c.write("NICK " + c.nick + "\r\n"); err != nil {
				return stepErr("register", err)
			}
		case "431", "432":
			return &stepError{"register", "nick", string(line)}
		case "ERROR":
			return &stepError{"register", "server-error", string(trailingParam(params))}
		case "463", "464", "465":
			return &stepError{"register", "rejected", string(line)}
		}
	}
}

// join sends JOIN and waits for the end of the NAMES list (366).
func (c *client) join(ctx context.Context, e *env, channel string) error {
	c.conn.SetDeadline(deadline(ctx, e.stepTimeout))
	defer c.conn.SetDeadline(time.Time{})
	if err := c.write("JOIN " + channel + "\r\n"); err != nil {
		return stepErr("join", err)
	}
	for {
		line, err := c.readLine()
		if err != nil {
			return stepErr("join", err)
		}
		cmd, params := splitCommand(line)
		switch string(cmd) {
		case "PING":
			if err := c.pong(params); err != nil {
				return stepErr("join", err)
			}
		case "366":
			return nil
		case "403", "405", "437", "471", "473", "474", "475", "476", "477", "479":
			return &stepError{"join", "join", string(line)}
		case "ERROR":
			return &stepError{"join", "server-error", string(trailingParam(params))}
		}
	}
}

// partQuit leaves channel, quits and waits until the server closes the
// connection (it normally sends ERROR first).
func (c *client) partQuit(ctx context.Context, e *env, channel string) error {
	c.conn.SetDeadline(deadline(ctx, e.stepTimeout))
	if err := c.write("PART " + channel + "\r\nQUIT :bench\r\n"); err != nil {
		return stepErr("quit", err)
	}
	for {
		line, err := c.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
				return nil
			}
			return stepErr("quit", err)
		}
		if cmd, params := splitCommand(line); string(cmd) == "PING" {
			c.pong(params)
		}
	}
}

// errCounts tallies failures by stepError key.
type errCounts map[string]int

func (m errCounts) add(err error) {
	var se *stepError
	if errors.As(err, &se) {
		m[se.key()]++
		return
	}
	m["other"]++
}

func (m errCounts) total() int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// quitAll sends QUIT on every non-nil client and closes them, in parallel
// so that a server that stopped reading cannot stall us for long.
func quitAll(clients []*client) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, c := range clients {
		if c == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			c.quit()
			<-sem
		}()
	}
	wg.Wait()
}

// String renders the counts as "phase_kind:n,..." in key order, or
// "none", so it fits in one key=value field.
func (m errCounts) String() string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s:%d", k, m[k])
	}
	return b.String()
}

// byKind sums the counts whose kind (the part after the phase) is kind.
func (m errCounts) byKind(kind string) int {
	n := 0
	for k, v := range m {
		if strings.HasSuffix(k, "_"+kind) {
			n += v
		}
	}
	return n
}

// syncErrCounts is an errCounts shared between goroutines.
type syncErrCounts struct {
	mu    sync.Mutex
	m     errCounts
	first string
}

func (s *syncErrCounts) add(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = errCounts{}
	}
	s.m.add(err)
	if s.first == "" {
		s.first = err.Error()
	}
}

func (s *syncErrCounts) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m.total()
}
