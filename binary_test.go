package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"chatd/commands"
	"chatd/conf"

	"golang.org/x/crypto/bcrypt"
)

// Tests of the chatd binary itself, built once per test run with go build
// (lazily, so `go test -run Transcript` does not pay for it). Every caller
// gets the binary before it starts a timeout: on a busy machine the build
// alone can take longer than a test's whole time limit.

// binTimeout bounds every wait on a chatd process or its clients.
const binTimeout = 10 * time.Second

var (
	binDir      string // made on first use, removed by TestMain
	binOnce     sync.Once
	binPath     string
	binErr      error
	binBuildOut []byte
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// chatdBinary builds the chatd command (this package) into a temporary
// directory on first use and returns its path.
func chatdBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "chatd-bin-"); binErr != nil {
			return
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		binPath = filepath.Join(binDir, "chatd")
		cmd := exec.Command(goTool, "build", "-buildvcs=false", "-o", binPath, ".")
		binBuildOut, binErr = cmd.CombinedOutput()
	})
	if binErr != nil {
		t.Fatalf("go build chatd: %v\n%s", binErr, binBuildOut)
	}
	return binPath
}

// writeConfig writes a chatd.toml for a test binary: server chatd.test on
// 127.0.0.1:0, plus extra lines.
func writeConfig(t testing.TB, extra ...string) string {
	t.Helper()
	text := "[server]\nname = \"chatd.test\"\nlobby = \"#lobby\"\n[listen]\nplain = [\"127.0.0.1:0\"]\n" +
		strings.Join(extra, "\n") + "\n"
	if !strings.Contains(text, "[http]") {
		text += noWebTOML
	}
	path := filepath.Join(t.TempDir(), "chatd.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// watchedOutput collects a process's output and wakes waiters on every
// write, so tests can wait for a log line without polling.
type watchedOutput struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // capacity 1: "something new was written"
}

func newWatchedOutput() *watchedOutput { return &watchedOutput{changed: make(chan struct{}, 1)} }

func (w *watchedOutput) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	select {
	case w.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *watchedOutput) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// chatdProc is a running chatd binary.
type chatdProc struct {
	t      testing.TB
	cmd    *exec.Cmd
	stderr *watchedOutput
	exited chan struct{} // closed once Wait has returned
	addr   string        // the first "listening" address
}

var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startChatd runs the binary with args and waits for it to log the address
// it listens on. The process is killed at cleanup if still running.
func startChatd(t testing.TB, args ...string) *chatdProc {
	t.Helper()
	return startChatdIn(t, "", args...)
}

// startChatdIn is startChatd with dir as the working directory ("" for
// the test's own).
func startChatdIn(t testing.TB, dir string, args ...string) *chatdProc {
	t.Helper()
	bin := chatdBinary(t) // built before any deadline below starts
	p := &chatdProc{t: t, stderr: newWatchedOutput(), exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout = p.stderr
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("chatd output:\n%s", p.stderr.String())
		}
	})
	deadline := time.After(binTimeout)
	for {
		if m := listeningRE.FindStringSubmatch(p.stderr.String()); m != nil {
			p.addr = m[1]
			return p
		}
		select {
		case <-p.stderr.changed:
		case <-p.exited:
			// Wait has copied all output by now.
			if m := listeningRE.FindStringSubmatch(p.stderr.String()); m == nil {
				t.Fatalf("chatd exited (%v) without listening:\n%s", p.cmd.ProcessState, p.stderr.String())
			}
		case <-deadline:
			t.Fatalf("chatd did not log its address within %v:\n%s", binTimeout, p.stderr.String())
		}
	}
}

// signalAndWait sends sig and waits for the process to exit, returning its
// exit code.
func (p *chatdProc) signalAndWait(sig os.Signal, within time.Duration) int {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(within):
		p.t.Fatalf("chatd still running %v after %v", within, sig)
		return -1
	}
}

// runBinary runs chatd to completion with stdin, returning stdout, stderr
// and the exit code.
func runBinary(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	bin := chatdBinary(t) // built before the clock starts: a build is not part of the run
	ctx, cancel := context.WithTimeout(context.Background(), binTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("chatd %q: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("chatd %q did not exit within %v; stderr:\n%s", args, binTimeout, stderr.String())
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

func TestBinaryVersion(t *testing.T) {
	stdout, stderr, code := runBinary(t, "", "-version")
	if code != 0 || stdout != commands.Version+"\n" || stderr != "" {
		t.Errorf("chatd -version: exit %d, stdout %q, stderr %q; want exit 0 and %q", code, stdout, stderr, commands.Version+"\n")
	}
}

func TestBinaryBadFlag(t *testing.T) {
	_, stderr, code := runBinary(t, "", "-no-such-flag")
	if code != 2 || !strings.Contains(stderr, "no-such-flag") {
		t.Errorf("chatd -no-such-flag: exit %d, stderr %q; want exit 2 naming the flag", code, stderr)
	}
}

func TestBinaryMkpasswd(t *testing.T) {
	t.Parallel() // bcrypt is slow under -race
	const password = "correct horse battery staple"
	stdout, stderr, code := runBinary(t, password+"\n", "mkpasswd")
	if code != 0 {
		t.Fatalf("mkpasswd: exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 1 || !strings.HasSuffix(stdout, "\n") {
		t.Fatalf("mkpasswd printed %q, want one line", stdout)
	}
	hash := []byte(lines[0])
	if err := bcrypt.CompareHashAndPassword(hash, []byte(password)); err != nil {
		t.Errorf("hash %q does not verify: %v", hash, err)
	}
	if err := bcrypt.CompareHashAndPassword(hash, []byte(password+"!")); err == nil {
		t.Errorf("hash %q verifies a different password", hash)
	}
	if cost, err := bcrypt.Cost(hash); err != nil || cost < bcrypt.DefaultCost {
		t.Errorf("hash cost = %d, %v; want at least %d", cost, err, bcrypt.DefaultCost)
	}

	// No trailing newline works too; an empty password is refused.
	stdout, _, code = runBinary(t, password, "mkpasswd")
	if code != 0 || bcrypt.CompareHashAndPassword([]byte(strings.TrimSpace(stdout)), []byte(password)) != nil {
		t.Errorf("mkpasswd without a newline: exit %d, %q", code, stdout)
	}
	stdout, stderr, code = runBinary(t, "\n", "mkpasswd")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "empty password") {
		t.Errorf("mkpasswd with an empty password: exit %d, stdout %q, stderr %q; want exit 2", code, stdout, stderr)
	}
}

// A broken config file exits 2 with an error naming the problem, before
// binding any listener.
func TestBinaryBadConfig(t *testing.T) {
	for file, want := range map[string]string{
		"unknown_key.toml":      `line 6: unknown key "limits.nick_lenght"`,
		"unknown_table.toml":    `unknown key "limts"`,
		"bad_cidr.toml":         "limits.limit_exempt",
		"bad_duration.toml":     "limits.ping_interval",
		"bad_lobby.toml":        "server.lobby",
		"bad_nick_length.toml":  "limits.nick_length",
		"bad_oper_hash.toml":    "password_hash",
		"syntax_error.toml":     "syntax error",
		"tls_missing_cert.toml": "listen.tls_cert",
		"wrong_type.toml":       "limits.nick_length",
		"command_clash.toml":    `line 9: command[1].name: JOIN is a built-in command`,
	} {
		t.Run(strings.TrimSuffix(file, ".toml"), func(t *testing.T) {
			path := filepath.Join("testdata", "conf", file)
			stdout, stderr, code := runBinary(t, "", "-config", path)
			if code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if !strings.HasPrefix(stderr, "chatd: ") || !strings.Contains(stderr, path) || !strings.Contains(stderr, want) {
				t.Errorf("stderr %q, want a \"chatd: \" error naming %s and %q", stderr, path, want)
			}
			if strings.Contains(stderr, "listening") || stdout != "" {
				t.Errorf("chatd got as far as listening: stdout %q, stderr %q", stdout, stderr)
			}
		})
	}
}

// -config naming a missing file is an error (exit 2), unlike a missing
// default chatd.toml.
func TestBinaryMissingConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.toml")
	_, stderr, code := runBinary(t, "", "-config", path)
	if code != 2 || !strings.Contains(stderr, "nope.toml") || strings.Contains(stderr, "listening") {
		t.Errorf("chatd -config %s: exit %d, stderr %q; want exit 2 naming the file", path, code, stderr)
	}
}

// With no -config, a missing default file means built-in defaults; with
// -config it is an error. (The binary is not run here: the defaults listen
// on 127.0.0.1:6667, which may be taken.)
func TestBinaryLoadConfigDefaults(t *testing.T) {
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	missing := filepath.Join(t.TempDir(), defaultConfigPath)

	cfg, err := loadConfig(missing, false, log)
	if err != nil {
		t.Fatalf("loadConfig(missing default): %v", err)
	}
	if !reflect.DeepEqual(cfg, conf.Default()) {
		t.Errorf("missing default config gave %+v, want conf.Default() %+v", cfg, conf.Default())
	}
	if !strings.Contains(logBuf.String(), "built-in defaults") {
		t.Errorf("log %q does not say defaults are used", logBuf.String())
	}

	if _, err := loadConfig(missing, true, log); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("loadConfig(missing, explicit) = %v, want a not-exist error", err)
	}

	// A present default-path file is read, not replaced by defaults.
	if _, err := loadConfig(filepath.Join("testdata", "conf", "unknown_key.toml"), false, log); err == nil {
		t.Errorf("loadConfig of a broken file at the default path succeeded")
	}

	// The shipped chatd.toml documents the defaults: loading it gives them.
	cfg, err = loadConfig(defaultConfigPath, false, log)
	if err != nil {
		t.Fatalf("shipped %s: %v", defaultConfigPath, err)
	}
	if !reflect.DeepEqual(cfg, conf.Default()) {
		t.Errorf("shipped %s differs from conf.Default():\n got %+v\nwant %+v", defaultConfigPath, cfg, conf.Default())
	}
}

// SIGTERM: every registered client gets ERROR and the process exits 0.
func TestBinarySIGTERM(t *testing.T) {
	p := startChatd(t, "-config", writeConfig(t))
	c := dialRaw(t, p.addr)
	c.send("NICK sigterm")
	c.send("USER sig 0 * :Signal Test")
	c.expect("end of MOTD", func(l string) bool {
		return strings.Contains(l, " 376 sigterm ") || strings.Contains(l, " 422 sigterm ")
	})
	c.expect("lobby JOIN", func(l string) bool { return strings.HasPrefix(l, ":sigterm!") && strings.HasSuffix(l, " JOIN #lobby") })
	// A PING round trip: the server has finished with everything before it.
	c.send("PING :ready")
	c.expect("PONG", func(l string) bool { return strings.HasSuffix(l, " :ready") || strings.HasSuffix(l, " ready") })

	if code := p.signalAndWait(syscall.SIGTERM, 5*time.Second); code != 0 {
		// "signal: terminated" means SIGTERM came before chatd installed
		// its handler, which must happen before it logs "listening".
		t.Errorf("after SIGTERM chatd ended with %v, want exit status 0", p.cmd.ProcessState)
	}
	c.expect("ERROR on shutdown", func(l string) bool { return l == "ERROR :Server shutting down" })
	c.expectClosed()
	if out := p.stderr.String(); !strings.Contains(out, "shutting down") {
		t.Errorf("chatd did not log its shutdown:\n%s", out)
	}
}

// rawClient is a plain TCP IRC client for the binary and ii tests: a
// goroutine reads lines into a channel, closed at EOF.
type rawClient struct {
	t     testing.TB
	conn  net.Conn
	lines chan string
	seen  []string
}

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, binTimeout)
	if err != nil {
		t.Fatal(err)
	}
	return newRawClient(t, conn)
}

// newRawClient reads conn's lines (TLS tests pass a *tls.Conn).
func newRawClient(t testing.TB, conn net.Conn) *rawClient {
	c := &rawClient{t: t, conn: conn, lines: make(chan string, 1024)}
	t.Cleanup(func() { conn.Close() })
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(conn)
		for sc.Scan() {
			c.lines <- strings.TrimSuffix(sc.Text(), "\r")
		}
	}()
	return c
}

func (c *rawClient) send(line string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(binTimeout))
	if _, err := c.conn.Write([]byte(line + "\r\n")); err != nil {
		c.t.Fatalf("send %q: %v", line, err)
	}
}

// expect reads lines until one matches, failing after binTimeout or EOF.
// The lines skipped are kept for failure messages.
func (c *rawClient) expect(what string, match func(string) bool) string {
	c.t.Helper()
	deadline := time.After(binTimeout)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("connection closed before %s; last lines:\n%s", what, c.recent())
			}
			c.seen = append(c.seen, l)
			if match(l) {
				return l
			}
		case <-deadline:
			c.t.Fatalf("no %s within %v; last lines:\n%s", what, binTimeout, c.recent())
		}
	}
}

// expectClosed reads to EOF, which must come within binTimeout.
func (c *rawClient) expectClosed() {
	c.t.Helper()
	deadline := time.After(binTimeout)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				return
			}
			c.seen = append(c.seen, l)
		case <-deadline:
			c.t.Fatalf("connection still open after %v; last lines:\n%s", binTimeout, c.recent())
		}
	}
}

func (c *rawClient) recent() string {
	s := c.seen
	if len(s) > 30 {
		s = s[len(s)-30:]
	}
	return strings.Join(s, "\n")
}

// -h prints the usage, which names the mkpasswd subcommand, and exits 0.
func TestBinaryHelp(t *testing.T) {
	stdout, stderr, code := runBinary(t, "", "-h")
	if code != 0 || stdout != "" || !strings.Contains(stderr, "chatd mkpasswd") || !strings.Contains(stderr, "-config") {
		t.Errorf("chatd -h: exit %d, stdout %q, stderr %q; want exit 0 and a usage naming mkpasswd and the flags", code, stdout, stderr)
	}
}
