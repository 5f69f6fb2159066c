package main

import (
	"bytes"
	"math"
	"strconv"
)

// Allocation-free helpers for picking apart raw IRC lines. A line here is
// one message with the trailing CR/LF already removed. They accept IRCv3
// message tags so they work against servers that send them, but the load
// tool never requests any capability.

// trimCRLF strips any trailing CR and LF bytes.
func trimCRLF(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// afterSource skips optional message tags and the optional :prefix, and
// returns the rest of the line starting at the command.
func afterSource(line []byte) []byte {
	if len(line) > 0 && line[0] == '@' {
		i := bytes.IndexByte(line, ' ')
		if i < 0 {
			return nil
		}
		line = skipSpaces(line[i+1:])
	}
	if len(line) > 0 && line[0] == ':' {
		i := bytes.IndexByte(line, ' ')
		if i < 0 {
			return nil
		}
		line = skipSpaces(line[i+1:])
	}
	return line
}

func skipSpaces(b []byte) []byte {
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	return b
}

// splitCommand returns the command (verb or three-digit numeric) of line
// and the parameter part after it.
func splitCommand(line []byte) (cmd, params []byte) {
	rest := afterSource(line)
	i := bytes.IndexByte(rest, ' ')
	if i < 0 {
		return rest, nil
	}
	return rest[:i], skipSpaces(rest[i+1:])
}

// trailingParam returns the trailing parameter (the text after " :") of
// a parameter list, or the last middle parameter if there is no trailing
// one.
func trailingParam(params []byte) []byte {
	if len(params) > 0 && params[0] == ':' {
		return params[1:]
	}
	if i := bytes.Index(params, []byte(" :")); i >= 0 {
		return params[i+2:]
	}
	if i := bytes.LastIndexByte(params, ' '); i >= 0 {
		return params[i+1:]
	}
	return params
}

// firstParam returns the first parameter of a parameter list.
func firstParam(params []byte) []byte {
	if len(params) > 0 && params[0] == ':' {
		return params[1:]
	}
	if i := bytes.IndexByte(params, ' '); i >= 0 {
		return params[:i]
	}
	return params
}

var privmsgVerb = []byte("PRIVMSG ")

// privmsgText is the fast path of the fanout readers: if line is a
// PRIVMSG it returns its text (trailing parameter) and true, without
// looking at anything else.
func privmsgText(line []byte) ([]byte, bool) {
	rest := afterSource(line)
	if !bytes.HasPrefix(rest, privmsgVerb) {
		return nil, false
	}
	rest = rest[len(privmsgVerb):]
	i := bytes.Index(rest, []byte(" :"))
	if i < 0 {
		return nil, false
	}
	return rest[i+2:], true
}

// payloadMark starts the text of every message the fanout scenario sends:
// "B <unix-nanos> <sender> <seq>[ padding]".
const payloadMark = "B "

// appendPayload appends a fanout message text to dst.
func appendPayload(dst []byte, ts int64, sender, seq int) []byte {
	dst = append(dst, payloadMark...)
	dst = strconv.AppendInt(dst, ts, 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(sender), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(seq), 10)
	return dst
}

// parsePayload extracts the send timestamp, sender index and sequence
// number from a fanout message text. Anything after the sequence number
// (separated by a space) is ignored.
func parsePayload(text []byte) (ts int64, sender, seq int, ok bool) {
	if !bytes.HasPrefix(text, []byte(payloadMark)) {
		return 0, 0, 0, false
	}
	text = text[len(payloadMark):]
	var s, q int64
	if ts, text, ok = parseUint(text); !ok || len(text) == 0 || text[0] != ' ' {
		return 0, 0, 0, false
	}
	if s, text, ok = parseUint(text[1:]); !ok || len(text) == 0 || text[0] != ' ' {
		return 0, 0, 0, false
	}
	if q, text, ok = parseUint(text[1:]); !ok || (len(text) > 0 && text[0] != ' ') {
		return 0, 0, 0, false
	}
	return ts, int(s), int(q), true
}

// parseUint parses a leading run of decimal digits (at most 19) that fits
// in an int64 and returns the value and the remaining bytes.
func parseUint(b []byte) (int64, []byte, bool) {
	var v uint64
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if i == 19 {
			return 0, b, false
		}
		v = v*10 + uint64(b[i]-'0')
		i++
	}
	if i == 0 || v > math.MaxInt64 {
		return 0, b, false
	}
	return int64(v), b[i:], true
}
