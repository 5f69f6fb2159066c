package ircd

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Transport carries one client's IRC lines: a line in, lines out. The
// reader and the send queue, which hold everything else a connection does
// (limits, flood control, keepalive, push-back, the send queue's
// accounting), are the same for every transport; only the framing differs.
// A byte stream (TCP, TLS: streamTransport) splits lines on LF and may
// join queued lines into one write; a message transport (WebSocket, in
// package web) carries one line per message.
//
// ReadLine and SetReadDeadline are called by the connection's reader only
// (one goroutine at a time); WriteLines by its writer only;
// SetWriteDeadline by the writer and by whoever queues lines, under the
// queue's lock; Close once, by the writer, after the last write.
type Transport interface {
	// ReadLine returns the next line without its terminator (no CR or LF
	// at the end). The slice is valid until the next call. A line over
	// the limit gives ErrLineTooLong once it has been skipped, and reading
	// can go on. When the read deadline passes it returns an error that
	// wraps os.ErrDeadlineExceeded, and reading can go on after the
	// deadline is moved; any other error ends the connection (io.EOF for
	// an orderly end; an error with a QuitReason method names the QUIT
	// reason).
	ReadLine() ([]byte, error)
	SetReadDeadline(t time.Time) error

	// WriteLines writes lines, each an encoded IRC line ending in CRLF,
	// in order, and calls wrote with the number of those bytes each time
	// some of them have been handed to the network, so that the send
	// queue can account for them as they go. When the write deadline
	// passes it fails with an error wrapping os.ErrDeadlineExceeded.
	WriteLines(lines [][]byte, wrote func(n int)) error
	SetWriteDeadline(t time.Time) error

	// Close ends the connection; a blocked ReadLine returns.
	Close() error
	RemoteAddr() net.Addr
}

// ErrLineTooLong reports a line over the limit; the rest of it was
// skipped and reading can go on. The state goroutine answers it with 417.
var ErrLineTooLong = errors.New("line too long")

// errLineTooLong is the name the line reader has always used.
var errLineTooLong = ErrLineTooLong

// MaxLineBytes is the longest line a client may send, '@', tags, the
// space after them and the 512 bytes of the rest (CRLF included). A
// message transport may refuse messages much longer than this outright.
const MaxLineBytes = maxLineBytes

// Kind names a connection's transport in logs and metrics.
type Kind uint8

const (
	KindTCP Kind = iota
	KindTLS
	KindWebSocket
	numKinds
)

func (k Kind) String() string {
	switch k {
	case KindTCP:
		return "tcp"
	case KindTLS:
		return "tls"
	case KindWebSocket:
		return "websocket"
	}
	return "unknown"
}

// streamTransport frames a byte stream (TCP, TLS) into lines and writes
// queued lines joined, a buffer-full per write.
type streamTransport struct {
	nc net.Conn
	lr *lineReader
}

func newStreamTransport(nc net.Conn) *streamTransport {
	return &streamTransport{nc: nc, lr: newLineReader(nc, maxLineBytes)}
}

func (t *streamTransport) ReadLine() ([]byte, error) {
	line, err := t.lr.next()
	if err != nil && errors.Is(err, io.EOF) && t.lr.pending() {
		// A last line without its newline still counts; EOF comes next.
		lr := t.lr
		last := bytes.TrimSuffix(lr.buf[lr.r:lr.w], []byte{'\r'})
		lr.r = lr.w
		return last, nil
	}
	return line, err
}

func (t *streamTransport) SetReadDeadline(d time.Time) error  { return t.nc.SetReadDeadline(d) }
func (t *streamTransport) SetWriteDeadline(d time.Time) error { return t.nc.SetWriteDeadline(d) }
func (t *streamTransport) Close() error                       { return t.nc.Close() }
func (t *streamTransport) RemoteAddr() net.Addr               { return t.nc.RemoteAddr() }

// writeBufferSize is the most one write call carries; every line (512
// bytes plus tags) fits.
const writeBufferSize = 16 << 10

var writeBuffers = sync.Pool{New: func() any { return new([writeBufferSize]byte) }}

// WriteLines copies lines into a buffer and writes it, a buffer-full at a
// time, accounting for each write as it completes. Copying a few hundred
// bytes costs less than the syscall it saves, and unlike writev it leaves
// no iovec array cached on every socket.
func (t *streamTransport) WriteLines(lines [][]byte, wrote func(int)) error {
	pooled := writeBuffers.Get().(*[writeBufferSize]byte)
	defer writeBuffers.Put(pooled)
	buf := pooled[:]
	n := 0
	write := func(b []byte) error {
		if _, err := t.nc.Write(b); err != nil {
			return err
		}
		wrote(len(b))
		return nil
	}
	for _, line := range lines {
		if n+len(line) > len(buf) {
			if err := write(buf[:n]); err != nil {
				return err
			}
			n = 0
		}
		if len(line) > len(buf) {
			if err := write(line); err != nil {
				return err
			}
			continue
		}
		n += copy(buf[n:], line)
	}
	if n == 0 {
		return nil
	}
	return write(buf[:n])
}
