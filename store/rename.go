package store

import (
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"chatd/state"
)

// Channel renames (draft/channel-rename). History is keyed by the folded
// channel name, so a rename moves the channel's rows to the new key: the
// channel's history is then one history, read under its current name,
// and the old name is free for a new channel that starts with none.
// (Keying history by a channel identity instead would spare the move,
// but every reader, TARGETS, read markers and the purge speak names; a
// rename is rare and its move is one indexed UPDATE off the state
// goroutine.)
//
// The move happens in order with the history writes. RenameTarget, called
// by the state goroutine right after it handed over every row recorded so
// far, notes the rename; a later commit moves the committed rows (those
// with ords up to the rename's, so never the rows of a channel that took
// the old name since) in its transaction, before it adds the queued rows,
// which take the keys its renames give them (take). Until then reads of
// the new name also read the old one, up to that ord, and queued rows
// count where they will be (finalKey).
//
// Which commit: a rename that the world also writes to the store (a
// registered group's record, accounts' read markers: a
// state.RenameChannelWrite submitted right after it) is held for that
// write, whose transaction moves the rows and adds those queued, so that
// no crash leaves a group's record under one name and its history under
// the other (after a restart whoever made a channel of the old name would
// read the group's history). Meanwhile history commits apply the renames
// before it and add only the rows recorded before it (the group's rows
// under their old name, moved later with the record). A rename with
// nothing else to write moves in the next history commit. A held rename
// whose write cannot be queued is released to the history commits; one
// whose write fails moves anyway (the history follows the name the
// running server uses, as the world does); at Close every rename is
// applied.

// pendingRename is a rename whose committed rows have not moved yet.
type pendingRename struct {
	old, new string
	upto     uint64
	held     bool // moves in its RenameChannelWrite's transaction
}

// RenameTarget moves the rows of old up to upto to new
// (state.HistoryStore); withWrite says that a RenameChannelWrite of old to
// new is submitted next, whose transaction moves the committed rows.
// Called from the state goroutine; it never blocks.
func (s *Store) RenameTarget(old, new string, upto uint64, withWrite bool) {
	q := &s.hist
	q.mu.Lock()
	q.renames = append(q.renames, pendingRename{old: old, new: new, upto: upto, held: withWrite})
	q.mu.Unlock()
	q.poke()
}

// renameOf is the channel rename wr makes (directly or projected), if
// it moves a channel's key (not a change of case only).
func renameOf(wr state.Write) (state.RenameChannelWrite, bool) {
	if p, ok := wr.(state.Projected); ok {
		wr = p.Write
	}
	r, ok := wr.(state.RenameChannelWrite)
	return r, ok && r.Old != r.New
}

// release hands the newest held rename of old to new to the history
// commits: its write could not be queued.
func (q *historyQueue) release(old, new string) {
	q.mu.Lock()
	for i := len(q.renames) - 1; i >= 0; i-- {
		if r := &q.renames[i]; r.held && r.old == old && r.new == new {
			r.held = false
			break
		}
	}
	q.mu.Unlock()
	q.poke()
}

// releaseAll hands every held rename to the history commits (Close: no
// write is coming any more).
func (q *historyQueue) releaseAll() {
	q.mu.Lock()
	for i := range q.renames {
		q.renames[i].held = false
	}
	q.mu.Unlock()
}

// poke has Run look at the queue (and arm the history flush).
func (q *historyQueue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take hands a commit the history it writes: the renames it applies
// and the rows it adds (with the keys those renames give them), which
// wait in q.applying and q.inflight (reads still see them as not
// committed) until done. The renames are those queued before the first
// held one whose write is not in batch (the writes the commit applies
// with them), the rows those recorded before it: the rows of a renamed
// group under its new name never commit before its record moves.
// Called on Run's goroutine, with no other commit under way.
func (q *historyQueue) take(batch []request) (rows []state.HistoryRow, renames []pendingRename, dropped uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0 // the renames claimed by a write of batch, and those before
	for _, r := range batch {
		wr, ok := renameOf(r.wr)
		if !ok {
			continue
		}
		for j := n; j < len(q.renames); j++ {
			if p := q.renames[j]; p.held && p.old == wr.Old && p.new == wr.New {
				n = j + 1
				break
			}
		}
	}
	for n < len(q.renames) && !q.renames[n].held {
		n++
	}
	rows = q.pending
	if n < len(q.renames) {
		// A rename waits for its write: the rows recorded after it wait too.
		cut := q.renames[n].upto
		all := q.pending
		rows, q.pending = nil, nil
		for _, r := range all {
			if r.Entry.Ord <= cut {
				rows = append(rows, r)
			} else {
				q.pending = append(q.pending, r)
			}
		}
	} else {
		q.pending = nil
	}
	renames = q.renames[:n:n]
	if n > 0 {
		for i := range rows {
			rows[i].Target = finalKey(renames, rows[i].Target, rows[i].Entry.Ord)
		}
	}
	q.renames, q.applying, q.inflight = append([]pendingRename(nil), q.renames[n:]...), renames, rows
	dropped, q.dropped = q.dropped, 0
	return rows, renames, dropped
}

// done ends what take began: the rows and renames taken are committed
// (or lost with a commit that failed). A commit held back for a rename
// may go now.
func (q *historyQueue) done() {
	q.mu.Lock()
	q.inflight, q.applying = nil, nil
	waiting := len(q.renames) > 0 || len(q.pending) > 0
	q.mu.Unlock()
	if waiting {
		q.poke()
	}
}

// batchTakesHistory reports whether a batch of writes commits the
// history queued before it in its own transaction: it deletes history
// (the rows must be there), or renames a channel (its record and its
// rows move together).
func batchTakesHistory(batch []request) bool {
	for _, r := range batch {
		if _, ok := renameOf(r.wr); ok || isRedaction(r.wr) {
			return true
		}
	}
	return false
}

// The renames not yet applied to the committed rows, in the order they
// were made: those the commit under way applies, then those for the next.
// The copy may be used once q.mu is released.
func (q *historyQueue) pendingRenamesLocked() []pendingRename {
	if len(q.applying)+len(q.renames) == 0 {
		return nil
	}
	return append(append([]pendingRename(nil), q.applying...), q.renames...)
}

// finalKey is the key a row of key with ord ends under once renames (in
// order) have moved it.
func finalKey(renames []pendingRename, key string, ord uint64) string {
	for _, r := range renames {
		if key == r.old && ord <= r.upto {
			key = r.new
		}
	}
	return key
}

// source is an ord interval (lo, hi] of one key whose rows belong to a
// target.
type source struct {
	key    string
	lo, hi uint64
}

// sourcesLocked lists where target's committed rows are while renames
// (pendingRenamesLocked) wait: target itself, and the ord intervals of
// the keys renamed into it. Where a row ends depends on its key and on
// which side of each rename's ord it is, so the intervals between those
// ords each go one way. They come in the order the renames were made,
// target last: a commit that moves rows from one key to another between
// two reads then has the first read before it or the second after it.
func sourcesLocked(renames []pendingRename, target string) []source {
	all := ^uint64(0)
	if len(renames) == 0 {
		return []source{{key: target, lo: 0, hi: all}}
	}
	cuts := make([]uint64, 0, len(renames)+1)
	for _, r := range renames {
		cuts = append(cuts, r.upto)
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i] < cuts[j] })
	cuts = append(cuts, all)
	keys := make([]string, 0, 2*len(renames)+1)
	seen := map[string]bool{target: true}
	for _, r := range renames {
		for _, k := range []string{r.old, r.new} {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	keys = append(keys, target)
	var out []source
	for _, k := range keys {
		lo := uint64(0)
		for _, hi := range cuts {
			if hi == lo && hi != 0 {
				continue
			}
			if finalKey(renames, k, hi) == target {
				if n := len(out); n > 0 && out[n-1].key == k && out[n-1].hi == lo {
					out[n-1].hi = hi
				} else {
					out = append(out, source{key: k, lo: lo, hi: hi})
				}
			}
			lo = hi
		}
	}
	return out
}

// moveRenamed applies renames in tx, in the order they were made.
func moveRenamed(tx *sql.Tx, renames []pendingRename) error {
	for _, r := range renames {
		if err := moveTarget(tx, r); err != nil {
			return fmt.Errorf("store: rename history %s to %s: %w", r.old, r.new, err)
		}
	}
	return nil
}

// moveTarget moves the committed chunks of r.old with last <= r.upto to
// r.new and brings both keys' totals up to date. A chunk of r.new may
// already end at the same ord (one QUIT or NICK entry is in every channel
// of its sender, and a channel of the new name may have had rows): the
// two are merged into one.
func moveTarget(tx *sql.Tx, r pendingRename) error {
	upto := clampOrd(r.upto)
	var chunks, moved int64
	var lastOrd sql.NullInt64
	if err := tx.QueryRow(`SELECT count(*), coalesce(sum(n), 0), max(last) FROM history_chunks WHERE target = ? AND last <= ?`,
		r.old, upto).Scan(&chunks, &moved, &lastOrd); err != nil {
		return err
	}
	if chunks == 0 {
		return nil
	}
	lastMsg, err := lastMessage(tx, r.old, upto)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE OR IGNORE history_chunks SET target = ? WHERE target = ? AND last <= ?`, r.new, r.old, upto); err != nil {
		return err
	}
	dups, err := mergeLeftChunks(tx, r.old, r.new, upto)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO history_targets (target, last_ord, last_msg, rows) VALUES (?, ?, ?, ?)
		ON CONFLICT (target) DO UPDATE SET last_ord = max(last_ord, excluded.last_ord),
		last_msg = max(last_msg, excluded.last_msg), rows = rows + excluded.rows`,
		r.new, lastOrd.Int64, lastMsg, moved-dups); err != nil {
		return err
	}
	// What stays under the old name is a newer channel's (ords past upto).
	var left int64
	if err := tx.QueryRow(`SELECT count(*) FROM history_chunks WHERE target = ?`, r.old).Scan(&left); err != nil {
		return err
	}
	if left == 0 {
		_, err := tx.Exec(`DELETE FROM history_targets WHERE target = ?`, r.old)
		return err
	}
	leftMsg, err := lastMessage(tx, r.old, 1<<63-1)
	if err != nil {
		return err
	}
	_, err = tx.Exec(`UPDATE history_targets SET rows = max(rows - ?, 0), last_msg = ?,
		last_ord = (SELECT max(last) FROM history_chunks WHERE target = ?) WHERE target = ?`, moved, leftMsg, r.old, r.old)
	return err
}

// lastMessage is the ord of the newest PRIVMSG or NOTICE of target in
// chunks ending at or before upto (0 for none).
func lastMessage(tx *sql.Tx, target string, upto int64) (int64, error) {
	rows, err := tx.Query(`SELECT data FROM history_chunks WHERE target = ? AND last <= ? AND (kinds & ?) != 0 ORDER BY last DESC LIMIT 1`,
		target, upto, 1<<state.KindMessage)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var last uint64
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return 0, err
		}
		_ = eachEntry(data, func(e chunkEntry) bool {
			if e.kind == state.KindMessage {
				last = max(last, e.ord)
			}
			return true
		})
	}
	return int64(last), rows.Err()
}

// mergeLeftChunks merges each chunk of old (up to upto) that UPDATE OR
// IGNORE left behind into the chunk of new that ends at the same ord, and
// returns how many entries were in both (new counts them once).
func mergeLeftChunks(tx *sql.Tx, old, new string, upto int64) (dups int64, err error) {
	type chunk struct {
		last, first, kinds int64
		data               []byte
	}
	rows, err := tx.Query(`SELECT last, first, kinds, data FROM history_chunks WHERE target = ? AND last <= ?`, old, upto)
	if err != nil {
		return 0, err
	}
	var left []*chunk
	for rows.Next() {
		c := &chunk{}
		if err := rows.Scan(&c.last, &c.first, &c.kinds, &c.data); err != nil {
			rows.Close()
			return 0, err
		}
		left = append(left, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, c := range left {
		first, kinds := c.first, int64(0)
		var data []byte
		err := tx.QueryRow(`SELECT first, kinds, data FROM history_chunks WHERE target = ? AND last = ?`, new, c.last).Scan(&first, &kinds, &data)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		merged, n, both := mergeChunks(data, c.data)
		dups += both
		if _, err := tx.Exec(`DELETE FROM history_chunks WHERE target = ? AND last = ?`, old, c.last); err != nil {
			return 0, err
		}
		if _, err := tx.Exec(`INSERT OR REPLACE INTO history_chunks (target, last, first, n, kinds, data) VALUES (?, ?, ?, ?, ?, ?)`,
			new, c.last, min(first, c.first), n, kinds|c.kinds, merged); err != nil {
			return 0, err
		}
	}
	return dups, nil
}

// mergeChunks merges two chunks' entries by ord, an entry in both once;
// it returns the merged chunk, its entries and how many were in both.
func mergeChunks(a, b []byte) (out []byte, n, both int64) {
	var list []chunkEntry
	for _, data := range [][]byte{a, b} {
		_ = eachEntry(data, func(e chunkEntry) bool {
			list = append(list, e)
			return true
		})
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].ord < list[j].ord })
	for i, e := range list {
		if i > 0 && list[i-1].ord == e.ord {
			both++
			continue
		}
		out = appendEntry(out, &state.HistoryEntry{Ord: e.ord, Kind: e.kind, Bot: e.bot, Account: e.account}, e.line)
		n++
	}
	return out, n, both
}

// renameChannel applies a state.RenameChannelWrite: a registered group's
// record takes the new name (its key too, unless only the case changed),
// and every account's read marker of the old name becomes one of the new
// name, the later of the two where an account has both.
func renameChannel(tx *sql.Tx, wr state.RenameChannelWrite) error {
	if _, err := tx.Exec(`UPDATE channels SET name_key = ?, name = ? WHERE name_key = ?`, wr.New, wr.Name, wr.Old); err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("%w: a group %s is registered already", ErrExists, wr.Name)
		}
		return fmt.Errorf("store: rename group: %w", err)
	}
	if wr.Old == wr.New {
		return nil
	}
	if _, err := tx.Exec(`INSERT INTO read_markers (account, target, time) SELECT account, ?, time FROM read_markers WHERE target = ? AND true
		ON CONFLICT (account, target) DO UPDATE SET time = max(time, excluded.time)`, wr.New, wr.Old); err != nil {
		return fmt.Errorf("store: rename read markers: %w", err)
	}
	if _, err := tx.Exec(`DELETE FROM read_markers WHERE target = ?`, wr.Old); err != nil {
		return fmt.Errorf("store: rename read markers: %w", err)
	}
	return nil
}
