package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	"chatd/state"
)

// A chunk is the entries of one target written by one commit, oldest
// first, each as: uvarint ord, a byte of kind, a byte of flags (1: bot),
// uvarint length and the sender's account, uvarint length and the line
// (the message as relayed, with its client-only tags, as irc.v4 writes
// it).

var errChunk = errors.New("store: damaged history chunk")

// appendEntry adds e, whose line is line, to a chunk.
func appendEntry(b []byte, e *state.HistoryEntry, line string) []byte {
	b = binary.AppendUvarint(b, e.Ord)
	flags := byte(0)
	if e.Bot {
		flags = 1
	}
	b = append(b, byte(e.Kind), flags)
	b = binary.AppendUvarint(b, uint64(len(e.Account)))
	b = append(b, e.Account...)
	b = binary.AppendUvarint(b, uint64(len(line)))
	return append(b, line...)
}

// appendChunkEntry adds an entry read from a chunk to another, as it was.
func appendChunkEntry(b []byte, e chunkEntry) []byte {
	return appendEntry(b, &state.HistoryEntry{Ord: e.ord, Kind: e.kind, Bot: e.bot, Account: e.account}, e.line)
}

// chunkEntry is one entry of a chunk, its line not yet parsed.
type chunkEntry struct {
	ord     uint64
	kind    state.HistoryKind
	bot     bool
	account string
	line    string
}

// eachEntry calls fn for each entry of data, oldest first, until fn
// returns false.
func eachEntry(data []byte, fn func(chunkEntry) bool) error {
	for len(data) > 0 {
		var e chunkEntry
		ord, n := binary.Uvarint(data)
		if n <= 0 || len(data) < n+2 {
			return errChunk
		}
		e.ord, e.kind, e.bot = ord, state.HistoryKind(data[n]), data[n+1]&1 != 0
		data = data[n+2:]
		s, rest, err := chunkString(data)
		if err != nil {
			return err
		}
		e.account, data = s, rest
		if e.line, data, err = chunkString(data); err != nil {
			return err
		}
		if !fn(e) {
			return nil
		}
	}
	return nil
}

func chunkString(data []byte) (string, []byte, error) {
	l, n := binary.Uvarint(data)
	if n <= 0 || uint64(len(data)-n) < l {
		return "", nil, errChunk
	}
	return string(data[n : n+int(l)]), data[n+int(l):], nil
}

// entry parses a chunk entry into a state.HistoryEntry.
func (c chunkEntry) entry() (*state.HistoryEntry, error) {
	e, err := decodeEntry(int64(c.ord), int(c.kind), c.account, c.bot, c.line)
	if err != nil {
		return nil, fmt.Errorf("store: history entry %d: %w", c.ord, err)
	}
	return e, nil
}
