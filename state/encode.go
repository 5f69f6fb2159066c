package state

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/irc.v4"
)

// MaxLineBytes is the longest line, CRLF included and tags excluded, that
// chatd sends or accepts (RFC 1459 section 2.3).
const MaxLineBytes = 512

// ErrBadLine means a message could not be encoded safely.
var ErrBadLine = errors.New("unsafe line")

// Encode validates m and encodes it with gopkg.in/irc.v4, CRLF appended.
// It refuses anything that would let a parameter escape into another line or
// another parameter: CR, LF or NUL anywhere, and a middle parameter that is
// empty, holds a space or starts with ':'. irc.v4 checks none of this.
func Encode(m *irc.Message) ([]byte, error) {
	if m.Command == "" || strings.ContainsAny(m.Command, " \r\n\x00:") {
		return nil, fmt.Errorf("%w: command %q", ErrBadLine, m.Command)
	}
	if m.Prefix != nil && strings.ContainsAny(m.Prefix.String(), " \r\n\x00") {
		return nil, fmt.Errorf("%w: prefix %q", ErrBadLine, m.Prefix.String())
	}
	for i, p := range m.Params {
		if strings.ContainsAny(p, "\r\n\x00") {
			return nil, fmt.Errorf("%w: %s param %d holds CR, LF or NUL", ErrBadLine, m.Command, i)
		}
		if i < len(m.Params)-1 && (p == "" || p[0] == ':' || strings.IndexByte(p, ' ') >= 0) {
			return nil, fmt.Errorf("%w: %s middle param %d is %q", ErrBadLine, m.Command, i, p)
		}
	}
	for k, v := range m.Tags {
		if k == "" || strings.ContainsAny(k, " \r\n\x00;=") {
			return nil, fmt.Errorf("%w: tag key %q", ErrBadLine, k)
		}
		_ = v // values are escaped by irc.v4
	}
	s := m.String()
	b := make([]byte, 0, len(s)+2)
	b = append(b, s...)
	b = append(b, '\r', '\n')
	return b, nil
}

// untaggedLen is the length of an encoded line without its tag section.
func untaggedLen(line []byte) int {
	if len(line) > 0 && line[0] == '@' {
		for i, c := range line {
			if c == ' ' {
				return len(line) - i - 1
			}
		}
	}
	return len(line)
}

// encodeOrLog encodes m; a failure is a bug in chatd (handlers validate
// client input before echoing it), so it is logged and nil returned.
func (w *World) encodeOrLog(m *irc.Message) []byte {
	b, err := Encode(m)
	if err != nil {
		w.Log.Error("encode", "err", err)
		return nil
	}
	if untaggedLen(b) > MaxLineBytes {
		b = truncateLine(b)
	}
	return b
}

// truncateLine shortens an over-long server reply by cutting its last
// parameter at a UTF-8 boundary. Client text is checked against the limit
// before it is relayed (and refused with 417 if too long), so this only ever
// trims server-made text such as long WHOIS channel lists that are split
// upstream anyway; it is the last guard that keeps every line within 512.
func truncateLine(b []byte) []byte {
	tagLen := len(b) - untaggedLen(b)
	max := tagLen + MaxLineBytes - 2
	cut := max
	for cut > 0 && b[cut]&0xC0 == 0x80 {
		cut--
	}
	out := append(b[:cut:cut], '\r', '\n')
	return out
}
