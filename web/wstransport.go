package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"chatd/ircd"

	"github.com/coder/websocket"
)

// wsTransport is a WebSocket connection as an ircd.Transport: one IRC line
// per message, without CRLF (IRCv3 WebSocket). Everything else a client
// connection does (limits, flood control, keepalive, the send queue,
// push-back) is ircd's, shared with TCP.
//
// The library cancels a connection whose read is cancelled, so reads
// cannot take deadlines directly: a pump goroutine reads messages and
// hands them over one at a time (it reads the next only once the reader
// has taken this one, so a paused reader pushes back on the client), and
// ReadLine waits for the pump or for its deadline.
type wsTransport struct {
	ws     *websocket.Conn
	raw    net.Conn  // the hijacked connection, to end it without the close handshake
	cork   *corkConn // what the library writes to: batches leave in one write
	remote net.Addr
	typ    websocket.MessageType // of the messages we send

	incoming chan wsMessage // from the pump; unbuffered
	done     chan struct{}  // closed by Close
	closing  sync.Once
	// handshake: the close handshake starts once, with the status of
	// whatever ended the connection first (1007 from the reader must not
	// be overtaken by Close's 1000 when the world lets the client go).
	handshake sync.Once
	reason    atomic.Pointer[string] // why the transport ended the connection itself

	// Read side, the connection's reader only.
	readDL  *deadline
	current *[]byte // the message being split into lines, from wsBuffers
	rest    []byte  // its lines not yet returned
	readErr error   // sticky: the connection is over

	// Write side.
	writeDL *deadline
	writing atomic.Bool
	cut     atomic.Bool // a write deadline passed mid-write and cut the connection
}

// wsMessage is one message from the pump, or the error that ended it.
type wsMessage struct {
	buf     *[]byte
	data    []byte
	tooLong bool
	err     error
}

const (
	// wsReadLimit is the largest message read at all; a bigger one
	// closes the connection (1009). Messages between ircd.MaxLineBytes and
	// this are skipped and answered with 417, as an over-long line is on
	// TCP.
	wsReadLimit = 64 << 10
	// wsCloseGrace bounds the close handshake before the socket is cut.
	wsCloseGrace = 2 * time.Second
)

var wsBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// wsError ends a connection with a QUIT reason of its own.
type wsError struct {
	reason string
	err    error
}

func (e *wsError) Error() string      { return e.reason + ": " + e.err.Error() }
func (e *wsError) Unwrap() error      { return e.err }
func (e *wsError) QuitReason() string { return e.reason }

func newWSTransport(ws *websocket.Conn, raw net.Conn, cork *corkConn, remote net.Addr, text bool) *wsTransport {
	t := &wsTransport{
		ws:       ws,
		raw:      raw,
		cork:     cork,
		remote:   remote,
		typ:      websocket.MessageBinary,
		incoming: make(chan wsMessage),
		done:     make(chan struct{}),
	}
	if text {
		t.typ = websocket.MessageText
	}
	t.readDL = newDeadline(nil)
	// A write deadline passing during a write cuts the connection, which
	// is what a failed write leads to anyway. (Writes take a context that
	// never ends: with one that can, the library arms a timer per message.)
	t.writeDL = newDeadline(func() {
		if t.writing.Load() {
			t.cut.Store(true)
			_ = t.raw.Close()
		}
	})
	ws.SetReadLimit(wsReadLimit)
	go t.pump()
	return t
}

// pump reads messages until the connection ends. Its context is never
// cancelled: that would cut the connection without a close handshake;
// Close ends it instead.
func (t *wsTransport) pump() {
	for {
		m := t.readMessage()
		select {
		case t.incoming <- m:
		case <-t.done:
			if m.buf != nil {
				wsBuffers.Put(m.buf)
			}
			return
		}
		if m.err != nil {
			return
		}
	}
}

// readMessage reads one whole message, or the error that ends the
// connection. A text message must be UTF-8 (RFC 6455 8.1): one that is
// not fails the connection with 1007.
func (t *wsTransport) readMessage() wsMessage {
	typ, r, err := t.ws.Reader(context.Background())
	if err != nil {
		return wsMessage{err: t.readFailure(err)}
	}
	buf := wsBuffers.Get().(*[]byte)
	data, tooLong, err := readUpTo((*buf)[:0], r, ircd.MaxLineBytes)
	*buf = data[:0]
	if err != nil {
		wsBuffers.Put(buf)
		return wsMessage{err: t.readFailure(err)}
	}
	if tooLong {
		wsBuffers.Put(buf)
		return wsMessage{tooLong: true}
	}
	if typ == websocket.MessageText && !utf8.Valid(data) {
		wsBuffers.Put(buf)
		const why = "Invalid UTF-8 in a text message"
		t.reason.CompareAndSwap(nil, ptr(why))
		t.closeWith(websocket.StatusInvalidFramePayloadData, "text messages must be UTF-8")
		return wsMessage{err: &wsError{reason: why, err: io.EOF}}
	}
	return wsMessage{buf: buf, data: data}
}

// readUpTo reads r to its end into buf, keeping at most max bytes; the
// rest of a longer message is read and dropped, and tooLong reports it.
func readUpTo(buf []byte, r io.Reader, max int) (data []byte, tooLong bool, err error) {
	b := bytes.NewBuffer(buf)
	if _, err := b.ReadFrom(io.LimitReader(r, int64(max)+1)); err != nil {
		return nil, false, err
	}
	if b.Len() > max {
		_, err := io.Copy(io.Discard, r)
		return b.Bytes()[:0], true, err
	}
	return b.Bytes(), false, nil
}

// readFailure turns the library's error into the connection's end: a
// close from the client is an orderly end (io.EOF), a message over
// wsReadLimit says so, and an end the transport caused keeps its reason.
func (t *wsTransport) readFailure(err error) error {
	if why := t.reason.Load(); why != nil {
		return &wsError{reason: *why, err: err}
	}
	switch websocket.CloseStatus(err) {
	case -1:
		return fmt.Errorf("websocket read: %w", err)
	case websocket.StatusMessageTooBig:
		return &wsError{reason: "WebSocket message too big", err: err}
	default:
		return fmt.Errorf("websocket: %w (%w)", io.EOF, err)
	}
}

// ReadLine returns the next line of the current message, or waits for the
// next message. A message is meant to hold one line without CRLF; one
// that holds several (LF-separated, as older gateways send) gives them one
// by one, and a CRLF at its end is dropped.
func (t *wsTransport) ReadLine() ([]byte, error) {
	for {
		if t.rest != nil {
			line := t.rest
			if i := bytes.IndexByte(line, '\n'); i >= 0 {
				line, t.rest = line[:i], line[i+1:]
				if len(t.rest) == 0 {
					t.rest = nil
				}
			} else {
				t.rest = nil
			}
			return bytes.TrimSuffix(line, []byte{'\r'}), nil
		}
		if t.current != nil {
			wsBuffers.Put(t.current)
			t.current = nil
		}
		if t.readErr != nil {
			return nil, t.readErr
		}
		select {
		case m := <-t.incoming:
			switch {
			case m.err != nil:
				t.readErr = m.err
				if t.cut.Load() {
					// The writer cut the connection and is about to say
					// why (SendQ exceeded); the reader reports the end
					// only after that, as it would on TCP.
					<-t.done
				}
			case m.tooLong:
				return nil, ircd.ErrLineTooLong
			default:
				t.current, t.rest = m.buf, m.data
				if len(t.rest) == 0 {
					t.rest = nil
					return []byte{}, nil // an empty message is one empty line
				}
			}
		case <-t.readDL.wait():
			return nil, fmt.Errorf("websocket read: %w", os.ErrDeadlineExceeded)
		case <-t.done:
			t.readErr = t.closedError()
		}
	}
}

func (t *wsTransport) closedError() error {
	if why := t.reason.Load(); why != nil {
		return &wsError{reason: *why, err: net.ErrClosed}
	}
	return fmt.Errorf("websocket: %w", net.ErrClosed)
}

func (t *wsTransport) SetReadDeadline(d time.Time) error  { t.readDL.set(d); return nil }
func (t *wsTransport) SetWriteDeadline(d time.Time) error { t.writeDL.set(d); return nil }
func (t *wsTransport) RemoteAddr() net.Addr               { return t.remote }

// WriteLines sends each line as one message, without its CRLF, and lets
// up to wsBatchBytes of them leave in one write (corkConn), as TCP
// clients get a buffer-full of lines per write. Text messages must be
// UTF-8: a line that is not (chatd relays only UTF-8, so this is a
// safeguard) has its bad bytes replaced with U+FFFD.
func (t *wsTransport) WriteLines(lines [][]byte, wrote func(int)) error {
	t.writing.Store(true)
	defer t.writing.Store(false)
	pending := 0 // bytes of lines gathered but not yet written
	flush := func() error {
		err := t.cork.uncork()
		if err != nil {
			return t.writeError(err)
		}
		if pending > 0 {
			wrote(pending)
			pending = 0
		}
		return nil
	}
	defer t.cork.release()
	for _, line := range lines {
		if pending == 0 {
			t.cork.cork()
		}
		payload := bytes.TrimSuffix(bytes.TrimSuffix(line, []byte{'\n'}), []byte{'\r'})
		if t.typ == websocket.MessageText && !utf8.Valid(payload) {
			payload = bytes.ToValidUTF8(payload, []byte("\uFFFD"))
		}
		if isClosed(t.writeDL.wait()) {
			_ = t.cork.uncork()
			return fmt.Errorf("websocket write: %w", os.ErrDeadlineExceeded)
		}
		if err := t.ws.Write(context.Background(), t.typ, payload); err != nil {
			_ = t.cork.uncork()
			return t.writeError(err)
		}
		pending += len(line)
		if pending >= wsBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// wsBatchBytes is how much of a batch of lines is gathered into one write.
const wsBatchBytes = 16 << 10

func (t *wsTransport) writeError(err error) error {
	if isClosed(t.writeDL.wait()) {
		return fmt.Errorf("websocket write: %w (%w)", os.ErrDeadlineExceeded, err)
	}
	return fmt.Errorf("websocket write: %w", err)
}

// Close ends the connection: a close frame, and the socket is cut if the
// client does not answer it within wsCloseGrace. It does not wait.
func (t *wsTransport) Close() error {
	t.closing.Do(func() {
		close(t.done)
		t.readDL.stop()
		t.writeDL.stop()
		t.closeWith(websocket.StatusNormalClosure, "")
	})
	return nil
}

// closeWith starts the close handshake in the background, the first time
// it is called; the socket is cut after wsCloseGrace if the client does
// not answer.
func (t *wsTransport) closeWith(code websocket.StatusCode, reason string) {
	t.handshake.Do(func() {
		go func() {
			cut := time.AfterFunc(wsCloseGrace, func() { _ = t.raw.Close() })
			_ = t.ws.Close(code, reason)
			cut.Stop()
			_ = t.raw.Close()
		}()
	})
}

// fail ends the connection for reason, which becomes the client's QUIT
// reason.
func (t *wsTransport) fail(reason string) {
	t.reason.CompareAndSwap(nil, ptr(reason))
	_ = t.raw.Close()
}

// keepalive pings the client every interval (WebSocket ping frames, which
// browsers answer without the page's help, and which keep proxies from
// closing a quiet connection) and ends the connection when a pong does
// not come back within timeout.
func (t *wsTransport) keepalive(interval, timeout time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-t.done:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		err := t.ws.Ping(ctx)
		cancel()
		if err != nil {
			select {
			case <-t.done:
			default:
				t.fail(fmt.Sprintf("Ping timeout: %d seconds", int(timeout.Seconds())))
			}
			return
		}
	}
}

func ptr[T any](v T) *T { return &v }
