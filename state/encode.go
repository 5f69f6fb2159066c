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
	if p := m.Prefix; p != nil && (strings.ContainsAny(p.Name, unsafeInPrefix) ||
		strings.ContainsAny(p.User, unsafeInPrefix) || strings.ContainsAny(p.Host, unsafeInPrefix)) {
		return nil, fmt.Errorf("%w: prefix %q", ErrBadLine, p.String())
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
	if n, from := len(m.Params), textLast[m.Command]; from > 0 && n >= from {
		// irc.v4 writes a one-word last parameter without ':'. RFC 1459
		// allows that, but simple clients (ii, many bots) take text only
		// from after " :", so text parameters always get the colon.
		last := m.Params[n-1]
		if cut := len(s) - len(last); s[cut-1] != ':' || s[cut-2] != ' ' {
			s = s[:cut] + ":" + last
		}
	}
	b := make([]byte, 0, len(s)+2)
	b = append(b, s...)
	b = append(b, '\r', '\n')
	return b, nil
}

const unsafeInPrefix = " \r\n\x00"

// textLast lists the commands and numerics whose last parameter is free
// text (a message, a reason, a realname, a list of names) rather than a
// token such as a channel name or a mode string, with the number of
// parameters from which the last one is text (PART #chan has no reason).
var textLast = map[string]int{
	"PRIVMSG": 2, "NOTICE": 2, "TOPIC": 2, "PART": 2, "QUIT": 1,
	"KICK": 3, "RENAME": 3, "AWAY": 1, "ERROR": 1, "WALLOPS": 1, "SETNAME": 1, "KILL": 2,
	"301": 1, "302": 1, "303": 1, "311": 1, "314": 1, "319": 1,
	"322": 1, "332": 1, "352": 1, "353": 1, "372": 1,
	"730": 1, "731": 1, "732": 1, // MONITOR's lists, as its spec writes them
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
	return fitLine(b)
}

// fitLine cuts b to MaxLineBytes (tags excepted) if it is longer.
func fitLine(b []byte) []byte {
	if untaggedLen(b) > MaxLineBytes {
		return truncateLine(b)
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
