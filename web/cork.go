package web

import (
	"bufio"
	"net"
	"sync"
)

// corkConn lets a batch of WebSocket messages leave in one write. The
// library flushes every message to the socket on its own, one write (one
// syscall) per IRC line per recipient, where TCP clients get a
// buffer-full of lines per write. While corked, what the library writes
// (messages, and any control frame it sends meanwhile, in the order it
// sent them) is gathered, and uncork writes it at once.
type corkConn struct {
	net.Conn
	mu     sync.Mutex
	corked bool
	buf    []byte
}

// corkLimit bounds what a cork gathers; past it, it is written at once.
const corkLimit = 64 << 10

func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.corked && len(c.buf)+len(p) <= corkLimit {
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	if err := c.flushLocked(); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

func (c *corkConn) cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// uncork writes what was gathered.
func (c *corkConn) uncork() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked = false
	return c.flushLocked()
}

func (c *corkConn) flushLocked() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	if cap(c.buf) > corkLimit {
		c.buf = nil
	} else {
		c.buf = c.buf[:0]
	}
	return err
}

// release drops the buffer of an idle connection.
func (c *corkConn) release() {
	c.mu.Lock()
	if len(c.buf) == 0 {
		c.buf = nil
	}
	c.mu.Unlock()
}

// corkHijack wraps a hijacked connection for the library: its writes go
// through a corkConn, its reads through what the server had buffered.
func corkHijack(nc net.Conn, brw *bufio.ReadWriter) (*corkConn, *bufio.ReadWriter, error) {
	if err := brw.Writer.Flush(); err != nil {
		return nil, nil, err
	}
	cc := &corkConn{Conn: nc}
	return cc, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(cc, 4096)), nil
}
