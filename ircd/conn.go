package ircd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"chatd/state"

	"gopkg.in/irc.v4"
)

const (
	// maxTagBytes is the room for message tags in one client line, on top of
	// the 512 bytes of the rest (IRCv3 message-tags).
	maxTagBytes = 8191
	// readBufferSize holds the longest acceptable line: tags, a space, and
	// 512 bytes of message including CRLF.
	readBufferSize = maxTagBytes + 1 + state.MaxLineBytes
)

// conn is one client connection. It implements state.Outbox.
type conn struct {
	*sendQueue
	srv  *Server
	id   state.ClientID
	nc   net.Conn
	addr netip.Addr

	registered atomic.Bool
}

// Registered switches the reader from the registration timeout to pings.
func (c *conn) Registered() { c.registered.Store(true) }

// readLoop frames, limits and parses the client's lines and submits them to
// the state goroutine. Its deferred Gone is what removes the client from
// the world however the loop ends, a panic included.
func (c *conn) readLoop() {
	reason := "Connection closed"
	defer func() {
		if r := recover(); r != nil {
			c.srv.log.Error("reader panic", "id", c.id, "panic", r)
			reason = "Internal error"
		}
		c.srv.world.Gone(c.id, reason)
	}()

	cfg := c.srv.cfg.Limits
	br := bufio.NewReaderSize(c.nc, readBufferSize)
	deadline := time.Now().Add(cfg.RegistrationTimeout.Duration)
	pinged := false
	for {
		_ = c.nc.SetReadDeadline(deadline)
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if err := discardLine(br); err != nil {
				reason = readErrorReason(err)
				return
			}
			c.srv.world.LineTooLong(c.id)
			continue
		}
		if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
			if errors.Is(err, os.ErrDeadlineExceeded) && !c.isClosing() {
				switch {
				case !c.registered.Load():
					if time.Now().Before(deadline) {
						continue
					}
					reason = "Registration timed out"
					return
				case !pinged:
					pinged = true
					c.Enqueue(c.srv.pingLine)
					deadline = time.Now().Add(cfg.PingTimeout.Duration)
					continue
				default:
					reason = fmt.Sprintf("Ping timeout: %d seconds", int(cfg.PingTimeout.Seconds()))
					return
				}
			}
			reason = readErrorReason(err)
			return
		}
		if c.registered.Load() {
			pinged = false
			deadline = time.Now().Add(cfg.PingInterval.Duration)
		}
		msg, tooLong := parseLine(line)
		if tooLong {
			c.srv.world.LineTooLong(c.id)
			continue
		}
		if msg != nil {
			c.srv.world.Line(c.id, msg)
		}
		if err != nil { // EOF after a final unterminated line
			reason = readErrorReason(err)
			return
		}
	}
}

// parseLine turns one raw line (terminator included or not) into a message.
// Empty and unparsable lines give nil: RFC 1459 says to ignore them
// silently. tooLong is set when the message part, tags excluded, is over
// 512 bytes with CRLF, or the tags are over their own limit.
func parseLine(raw []byte) (msg *irc.Message, tooLong bool) {
	raw = bytes.TrimRight(raw, "\r\n")
	body := raw
	if len(raw) > 0 && raw[0] == '@' {
		sp := bytes.IndexByte(raw, ' ')
		if sp < 0 {
			return nil, false
		}
		if sp-1 > maxTagBytes {
			return nil, true
		}
		body = raw[sp+1:]
	}
	if len(body)+2 > state.MaxLineBytes {
		return nil, true
	}
	if len(bytes.TrimLeft(body, " ")) == 0 {
		return nil, false
	}
	return parseMessage(string(raw)), false
}

// parseMessage wraps irc.ParseMessage, which panics on some malformed tag
// sections (for example "@a=b "), so a hostile line costs nothing.
func parseMessage(line string) (msg *irc.Message) {
	defer func() {
		if recover() != nil {
			msg = nil
		}
	}()
	m, err := irc.ParseMessage(line)
	if err != nil {
		return nil
	}
	return m
}

// discardLine skips the rest of an over-long line.
func discardLine(br *bufio.Reader) error {
	for {
		_, err := br.ReadSlice('\n')
		if err == nil {
			return nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

func readErrorReason(err error) string {
	switch {
	case errors.Is(err, io.EOF):
		return "Connection closed"
	case errors.Is(err, net.ErrClosed):
		return "Connection closed"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "Connection timed out"
	}
	return "Read error"
}
