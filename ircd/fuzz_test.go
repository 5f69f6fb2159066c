package ircd

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// Fuzz targets for the reader's hostile-input handling. Seeds live in
// testdata/fuzz/<FuzzName>/; run one with, for example,
//
//	go test -run '^$' -fuzz '^FuzzClassify$' -fuzztime=20s ./ircd

// FuzzClassify: classify never panics (gopkg.in/irc.v4 does on some tag
// sections), and a line it accepts (non-nil msg) is within the limits,
// valid UTF-8 without NUL or CR, has at most 15 parameters, and has
// parameters that can be relayed as they are.
func FuzzClassify(f *testing.F) {
	f.Add([]byte("PRIVMSG #a :hello"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if bytes.IndexByte(raw, '\n') >= 0 {
			return // the line reader never hands classify a newline
		}
		in := classify(raw)
		if in.problem != state.LineOK && in.msg != nil {
			t.Fatalf("classify(%q): both a problem (%d) and a message", raw, in.problem)
		}
		body, tags := raw, []byte(nil)
		if len(raw) > 0 && raw[0] == '@' {
			if sp := bytes.IndexByte(raw, ' '); sp >= 0 {
				body, tags = raw[sp+1:], raw[1:sp]
			}
		}
		if in.problem == state.LineTooLong && len(body)+2 <= state.MaxLineBytes && len(tags) <= maxTagBytes {
			t.Fatalf("classify(%q): refused as too long (body %d bytes, tags %d)", raw, len(body), len(tags))
		}
		if len(raw) > 0 && raw[0] != '@' && len(raw)+2 > state.MaxLineBytes && in.problem != state.LineTooLong {
			t.Fatalf("classify(%d bytes): an untagged line over 510 bytes was not refused as too long (problem %d)", len(raw), in.problem)
		}
		m := in.msg
		if m == nil {
			return
		}
		switch {
		case len(body)+2 > state.MaxLineBytes:
			t.Fatalf("classify(%q): accepted a %d-byte body", raw, len(body))
		case len(tags) > maxTagBytes:
			t.Fatalf("classify(%q): accepted %d bytes of tags", raw, len(tags))
		case !utf8.Valid(raw):
			t.Fatalf("classify(%q): accepted invalid UTF-8", raw)
		case bytes.ContainsAny(raw, "\x00\r"):
			t.Fatalf("classify(%q): accepted NUL or CR", raw)
		case len(m.Params) > maxParams:
			t.Fatalf("classify(%q): accepted %d params", raw, len(m.Params))
		case m.Command == "" || m.Command[0] == ':':
			t.Fatalf("classify(%q): accepted command %q", raw, m.Command)
		}
		if _, err := state.Encode(&irc.Message{Command: "X", Params: m.Params}); err != nil {
			t.Fatalf("classify(%q): accepted params that cannot be relayed: %v", raw, err)
		}
	})
}

// FuzzLineReader: a byte stream cut into arbitrary reads, with read
// timeouts in between, comes out of lineReader exactly as a model says:
// every complete line of at most max bytes (newline included), without its
// "\n" and one "\r"; errLineTooLong once for each longer one; and at EOF
// the unterminated rest, if shorter than max. No line handed out is longer
// than max or holds a newline.
//
// schedule gives the reads' sizes, byte by byte and cyclically; a 0 is a
// read that times out. The stream goes through a fake net.Conn, which
// takes lineReader's buffered path; FuzzLineReaderTCP covers the other.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("PING :a\r\nPING :b\n\nlast"), []byte{3, 0, 200}, uint16(maxLineBytes))
	f.Fuzz(func(t *testing.T, data, schedule []byte, maxSel uint16) {
		max := 2 + int(maxSel)%(2*maxLineBytes)
		if !bytes.ContainsFunc(schedule, func(r rune) bool { return r != 0 }) {
			schedule = []byte{255}
		}
		got := readAllLines(t, newLineReader(&chunkConn{data: data, schedule: schedule}, max), max, true)
		if want := lineModel(data, max); !equalResults(got, want) {
			t.Fatalf("max %d, schedule %v, stream %q:\n  got  %q\n  want %q", max, schedule, data, got, want)
		}
	})
}

// FuzzLineReaderTCP is FuzzLineReader over real loopback TCP, where
// lineReader waits for readability before it takes a buffer. A connection
// per input makes it slow to fuzz; its seeds run with the other tests.
func FuzzLineReaderTCP(f *testing.F) {
	f.Add([]byte("PING :a\r\nPING :b\n\nlast"), uint16(maxLineBytes))
	f.Fuzz(func(t *testing.T, data []byte, maxSel uint16) {
		max := 2 + int(maxSel)%(2*maxLineBytes)
		server, client := tcpPair(t)
		go func() {
			_, _ = client.Write(data)
			_ = client.(*net.TCPConn).CloseWrite()
		}()
		_ = server.SetReadDeadline(time.Now().Add(10 * time.Second))
		got := readAllLines(t, newLineReader(server, max), max, false)
		if want := lineModel(data, max); !equalResults(got, want) {
			t.Fatalf("max %d, stream %q:\n  got  %q\n  want %q", max, data, got, want)
		}
	})
}

// lineResult is one thing lineReader gave: a line, errLineTooLong, or the
// rest at EOF.
type lineResult struct {
	kind string // "line", "toolong", "rest"
	text string
}

func equalResults(a, b []lineResult) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// lineModel is what lineReader should make of data.
func lineModel(data []byte, max int) []lineResult {
	var out []lineResult
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		if i+1 <= max {
			out = append(out, lineResult{"line", string(bytes.TrimSuffix(data[:i], []byte{'\r'}))})
		} else {
			out = append(out, lineResult{"toolong", ""})
		}
		data = data[i+1:]
	}
	if len(data) > 0 && len(data) < max {
		out = append(out, lineResult{"rest", string(data)})
	}
	return out
}

// readAllLines runs lr to EOF as readLoop does, checking each line.
func readAllLines(t *testing.T, lr *lineReader, max int, timeoutsOK bool) []lineResult {
	t.Helper()
	var out []lineResult
	for {
		line, err := lr.next()
		switch {
		case err == nil:
			if len(line)+1 > max || bytes.IndexByte(line, '\n') >= 0 {
				t.Fatalf("line of %d bytes (max %d) or with a newline: %q", len(line), max, line)
			}
			out = append(out, lineResult{"line", string(line)})
		case errors.Is(err, errLineTooLong):
			out = append(out, lineResult{"toolong", ""})
		case errors.Is(err, os.ErrDeadlineExceeded) && timeoutsOK:
			// a timeout loses nothing: carry on
		case errors.Is(err, io.EOF):
			if lr.pending() {
				out = append(out, lineResult{"rest", string(lr.buf[lr.r:lr.w])})
			}
			return out
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
}

// chunkConn is a net.Conn whose reads return data in the sizes schedule
// gives, a 0 being a read that times out; then io.EOF for ever.
type chunkConn struct {
	net.Conn // nil: only Read is used
	data     []byte
	schedule []byte
	i        int
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	size := int(c.schedule[c.i%len(c.schedule)])
	c.i++
	if size == 0 {
		return 0, os.ErrDeadlineExceeded
	}
	n := copy(p[:min(len(p), size)], c.data)
	c.data = c.data[n:]
	return n, nil
}

var (
	fuzzListenerOnce sync.Once
	fuzzListener     net.Listener
	fuzzListenErr    error
)

// tcpPair returns the two ends of a fresh loopback TCP connection.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	fuzzListenerOnce.Do(func() { fuzzListener, fuzzListenErr = net.Listen("tcp", "127.0.0.1:0") })
	if fuzzListenErr != nil {
		t.Fatal(fuzzListenErr)
	}
	client, err := net.Dial("tcp", fuzzListener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = fuzzListener.Accept()
	if err != nil {
		client.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// No TIME_WAIT: a fuzzing run makes tens of thousands of these.
		_ = client.(*net.TCPConn).SetLinger(0)
		_ = server.(*net.TCPConn).SetLinger(0)
		client.Close()
		server.Close()
	})
	return server, client
}

// The seeds include the lines the daemon tests send; make sure the corpus
// keeps the one gopkg.in/irc.v4 panics on.
func TestFuzzSeedsPresent(t *testing.T) {
	for _, dir := range []string{"testdata/fuzz/FuzzClassify", "testdata/fuzz/FuzzLineReader", "testdata/fuzz/FuzzLineReaderTCP", "testdata/fuzz/FuzzDispatch"} {
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) == 0 {
			t.Fatalf("no seed corpus in %s: %v", dir, err)
		}
	}
	seed, err := os.ReadFile("testdata/fuzz/FuzzClassify/irc_v4_panic")
	if err != nil || !strings.Contains(string(seed), `"@a=b "`) {
		t.Fatalf("the irc.v4 panic seed is missing: %v", err)
	}
}
