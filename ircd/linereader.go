package ircd

import (
	"bytes"
	"io"
	"net"
	"sync"
	"syscall"
)

// lineReader frames a connection's bytes into lines. Unlike bufio, a read
// timeout loses nothing: a partial line stays in the buffer until the rest
// arrives. An idle connection holds no buffer at all: on plain TCP it
// waits for readability through syscall.RawConn and takes a pooled buffer
// only when bytes are there, giving it back once every line is handled.
// The buffer grows only for a long (tagged) line.
type lineReader struct {
	nc   net.Conn
	raw  syscall.RawConn // nil for TLS, which needs its own buffering
	buf  []byte
	r, w int
	max  int // longest line accepted, newline included
	skip bool
}

const smallReadBuffer = 1024

var readBuffers = sync.Pool{New: func() any { return new([smallReadBuffer]byte) }}

func newLineReader(nc net.Conn, max int) *lineReader {
	lr := &lineReader{nc: nc, max: max}
	if tcp, ok := nc.(*net.TCPConn); ok {
		if raw, err := tcp.SyscallConn(); err == nil {
			lr.raw = raw
		}
	}
	return lr
}

// release drops the buffer once every byte in it is handled: a small one
// goes back to the pool, one grown for a long line to the collector.
func (lr *lineReader) release() {
	if lr.r == lr.w && lr.buf != nil {
		if len(lr.buf) == smallReadBuffer && cap(lr.buf) == smallReadBuffer {
			readBuffers.Put((*[smallReadBuffer]byte)(lr.buf))
		}
		lr.buf, lr.r, lr.w = nil, 0, 0
	}
}

// next returns the next line without its "\n" (and "\r"). The slice is
// valid until the following call. An over-long line yields errLineTooLong
// once it has been skipped.
func (lr *lineReader) next() ([]byte, error) {
	for {
		if i := bytes.IndexByte(lr.buf[lr.r:lr.w], '\n'); i >= 0 {
			line := lr.buf[lr.r : lr.r+i]
			lr.r += i + 1
			if lr.skip {
				lr.skip = false
				return nil, errLineTooLong
			}
			return bytes.TrimSuffix(line, []byte{'\r'}), nil
		}
		if lr.skip {
			lr.r, lr.w = 0, 0
		}
		if err := lr.fill(); err != nil {
			return nil, err
		}
	}
}

// fill reads more bytes, making room first: it compacts, grows up to max,
// or, when a line has reached max without a newline, starts skipping it.
func (lr *lineReader) fill() error {
	lr.release()
	if lr.buf == nil {
		if lr.raw != nil && lr.max >= smallReadBuffer {
			return lr.readRaw()
		}
		lr.buf = lr.newBuffer()
	}
	if lr.w == len(lr.buf) {
		switch {
		case lr.r > 0:
			lr.w = copy(lr.buf, lr.buf[lr.r:lr.w])
			lr.r = 0
		case len(lr.buf) < lr.max:
			bigger := make([]byte, min(lr.max, 2*len(lr.buf)))
			copy(bigger, lr.buf[:lr.w])
			lr.buf = bigger
		default:
			lr.skip = true
			lr.r, lr.w = 0, 0
		}
	}
	n, err := lr.nc.Read(lr.buf[lr.w:])
	lr.w += n
	if n > 0 {
		return nil
	}
	return err
}

// newBuffer is a pooled small buffer, or an exact one when max is smaller.
func (lr *lineReader) newBuffer() []byte {
	if lr.max < smallReadBuffer {
		return make([]byte, lr.max)
	}
	return readBuffers.Get().(*[smallReadBuffer]byte)[:]
}

// readRaw waits until the socket is readable (honouring the read
// deadline) and only then takes a buffer and reads.
func (lr *lineReader) readRaw() error {
	var n int
	var rerr error
	err := lr.raw.Read(func(fd uintptr) bool {
		buf := readBuffers.Get().(*[smallReadBuffer]byte)
		for {
			n, rerr = syscall.Read(int(fd), buf[:])
			if rerr != syscall.EINTR {
				break
			}
		}
		if rerr == syscall.EAGAIN {
			readBuffers.Put(buf)
			return false // not readable yet: wait, then try again
		}
		if n > 0 {
			lr.buf, lr.r, lr.w = buf[:], 0, n
		} else {
			readBuffers.Put(buf)
		}
		return true
	})
	switch {
	case err != nil:
		return err
	case rerr != nil:
		return rerr
	case n == 0:
		return io.EOF
	}
	return nil
}

// pending reports whether a partial line is waiting for its end.
func (lr *lineReader) pending() bool { return lr.w > lr.r }
