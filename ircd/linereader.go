package ircd

import (
	"bytes"
	"errors"
	"net"
)

// errLineTooLong reports a line over the limit; the rest of it up to the
// next newline is skipped and reading can go on.
var errLineTooLong = errors.New("line too long")

// lineReader frames a connection's bytes into lines. Unlike bufio, a read
// timeout loses nothing: a partial line stays in the buffer until the rest
// arrives. The buffer starts small and grows only for a long (tagged) line,
// and shrinks back once it is drained, so idle connections stay light.
type lineReader struct {
	nc   net.Conn
	buf  []byte
	r, w int
	max  int // longest line accepted, newline included
	skip bool
}

const smallReadBuffer = 1024

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
	if lr.r == lr.w {
		lr.r, lr.w = 0, 0
		if cap(lr.buf) > smallReadBuffer {
			lr.buf = nil // drop a buffer grown for one long line
		}
	}
	if lr.buf == nil {
		lr.buf = make([]byte, min(smallReadBuffer, lr.max))
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

// pending reports whether a partial line is waiting for its end.
func (lr *lineReader) pending() bool { return lr.w > lr.r }
