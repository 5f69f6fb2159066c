package store

import (
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// History writes. The state goroutine hands rows over (AppendHistory)
// after each run of events; Run writes what has gathered once
// historyFlushEvery has passed since the first of them arrived, or at
// once when historyBatchRows are waiting, in one transaction. So a busy
// server costs one commit (one fsync) per batch, and a kill -9 loses at
// most the rows of the last historyFlushEvery (plus the commit under way).
// Until they are committed, reads see the rows in the queue too.

// historyFlushEvery is the longest a row waits for its commit.
const historyFlushEvery = 200 * time.Millisecond

// historyBatchRows starts a commit without waiting for the interval.
const historyBatchRows = 2000

// maxQueuedHistory bounds the rows waiting for a disk that cannot keep
// up; past it new rows are dropped (and counted, and logged) rather than
// memory growing without bound.
const maxQueuedHistory = 200000

// ordMarkAhead is how far past the newest ord it commits the store
// records as handed out (history_meta.ord_mark): more than the ords
// handed out before the next commit, so a restart never reuses a msgid
// even if the clock went back meanwhile.
const ordMarkAhead = uint64(10*time.Second/time.Millisecond) << 16

// historyQueue holds the rows not yet committed.
type historyQueue struct {
	mu       sync.Mutex
	pending  []state.HistoryRow // waiting for the next commit
	inflight []state.HistoryRow // being committed
	renames  []pendingRename    // channel renames not applied yet (rename.go)
	applying []pendingRename    // those the commit under way applies
	dropped  uint64
	wake     chan struct{} // a token when rows arrived
}

// AppendHistory queues rows for writing. It never blocks; the store owns
// rows from now on. Called from the state goroutine.
func (s *Store) AppendHistory(rows []state.HistoryRow) {
	q := &s.hist
	q.mu.Lock()
	if len(q.pending)+len(rows) > maxQueuedHistory {
		q.dropped += uint64(len(rows))
	} else if q.pending == nil {
		q.pending = rows
	} else {
		q.pending = append(q.pending, rows...)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// queuedHistory is how many rows wait for a commit.
func (q *historyQueue) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

// commitHistory writes the queued rows in one transaction (those a
// rename's write holds back excepted: take).
func (s *Store) commitHistory() {
	rows, renames, dropped := s.hist.take(nil)
	if dropped > 0 {
		s.log.Error("history rows dropped: the disk does not keep up", "rows", dropped)
	}
	if len(rows) > 0 || len(renames) > 0 {
		if err := s.writeHistory(rows, renames); err != nil {
			s.log.Error("history not saved", "rows", len(rows), "renames", len(renames), "err", err)
		}
	}
	s.hist.done()
}

// targetTotals sums what one commit adds to each target.
type targetTotals struct {
	lastOrd, lastMsg uint64
	rows             int64
}

// writeHistory moves the rows of renamed channels (renames), then writes
// rows, in one transaction.
func (s *Store) writeHistory(rows []state.HistoryRow, renames []pendingRename) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("store: history: begin: %w", err)
	}
	defer tx.Rollback()
	if err := s.writeHistoryTx(tx, rows, renames); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: history: commit: %w", err)
	}
	return nil
}

// writeHistoryTx is writeHistory's work inside tx.
func (s *Store) writeHistoryTx(tx *sql.Tx, rows []state.HistoryRow, renames []pendingRename) error {
	// One chunk per target: its entries of this commit, in order.
	type chunk struct {
		target      string
		first, last uint64
		n           int
		kinds       int
		data        []byte
	}
	var chunks []*chunk
	byTarget := map[string]*chunk{}
	totals := map[string]*targetTotals{}
	maxOrd := uint64(0)
	var line string
	var lineOf *state.HistoryEntry
	for _, r := range rows {
		e := r.Entry
		if e != lineOf { // a QUIT or NICK is one entry in many channels
			line, lineOf = encodeEntry(e), e
		}
		c := byTarget[r.Target]
		if c == nil || c.n == maxChunkEntries {
			c = &chunk{target: r.Target, first: e.Ord}
			byTarget[r.Target] = c
			chunks = append(chunks, c)
		}
		c.data = appendEntry(c.data, e, line)
		c.last = e.Ord
		c.n++
		c.kinds |= 1 << e.Kind
		t := totals[r.Target]
		if t == nil {
			t = &targetTotals{}
			totals[r.Target] = t
		}
		t.rows++
		t.lastOrd = max(t.lastOrd, e.Ord)
		if e.Kind == state.KindMessage {
			t.lastMsg = max(t.lastMsg, e.Ord)
		}
		maxOrd = max(maxOrd, e.Ord)
	}
	if err := moveRenamed(tx, renames); err != nil {
		return err
	}
	ins, err := tx.Prepare(insertChunk)
	if err != nil {
		return fmt.Errorf("store: history: %w", err)
	}
	defer ins.Close()
	for _, c := range chunks {
		if _, err := ins.Exec(c.target, int64(c.last), int64(c.first), c.n, c.kinds, c.data); err != nil {
			return fmt.Errorf("store: history: insert: %w", err)
		}
	}
	if err := addTargetTotals(tx, totals); err != nil {
		return err
	}
	return raiseOrdMark(tx, maxOrd)
}

// maxChunkEntries bounds a chunk, so that reading a few entries never
// decodes many.
const maxChunkEntries = 256

// insertChunk writes a chunk; one already there (the same commit written
// again) is kept.
const insertChunk = `INSERT OR IGNORE INTO history_chunks (target, last, first, n, kinds, data) VALUES (?, ?, ?, ?, ?, ?)`

func addTargetTotals(tx *sql.Tx, totals map[string]*targetTotals) error {
	up, err := tx.Prepare(`INSERT INTO history_targets (target, last_ord, last_msg, rows) VALUES (?, ?, ?, ?)
		ON CONFLICT (target) DO UPDATE SET last_ord = max(last_ord, excluded.last_ord),
		last_msg = max(last_msg, excluded.last_msg), rows = rows + excluded.rows`)
	if err != nil {
		return fmt.Errorf("store: history targets: %w", err)
	}
	defer up.Close()
	for target, t := range totals {
		if _, err := up.Exec(target, int64(t.lastOrd), int64(t.lastMsg), t.rows); err != nil {
			return fmt.Errorf("store: history targets: %w", err)
		}
	}
	return nil
}

func raiseOrdMark(tx *sql.Tx, ord uint64) error {
	if ord == 0 {
		return nil
	}
	_, err := tx.Exec(`INSERT INTO history_meta (key, value) VALUES ('ord_mark', ?)
		ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)`, int64(ord+ordMarkAhead))
	if err != nil {
		return fmt.Errorf("store: history mark: %w", err)
	}
	return nil
}

// encodeEntry is the stored form of an entry's line: the message as
// relayed, with the sender's client-only tags. A multiline message
// (e.Lines) is its first line so, then each further line as "\n", '+'
// for a concat line or '-' for another, and its text (a message of one
// line: its line and "\n"): a line's text
// never holds a line feed (the reader splits on them), and a line of one
// message never did, so older rows read as before.
func encodeEntry(e *state.HistoryEntry) string {
	m := *e.Msg
	m.Tags = e.Tags
	line := m.String()
	if len(e.Lines) == 0 {
		return line
	}
	var b strings.Builder
	b.WriteString(line)
	if len(e.Lines) == 1 {
		b.WriteByte('\n') // a multiline message of one line
	}
	for _, l := range e.Lines[1:] {
		b.WriteByte('\n')
		if l.Concat {
			b.WriteByte('+')
		} else {
			b.WriteByte('-')
		}
		b.WriteString(l.Text)
	}
	return b.String()
}

// decodeEntry makes an entry from its stored columns.
func decodeEntry(ord int64, kind int, account string, bot bool, line string) (e *state.HistoryEntry, err error) {
	defer func() {
		if r := recover(); r != nil { // irc.v4 panics on some malformed lines
			e, err = nil, fmt.Errorf("store: history line %d unreadable", ord)
		}
	}()
	first, more, multi := strings.Cut(line, "\n")
	m, perr := irc.ParseMessage(first)
	if perr != nil {
		return nil, fmt.Errorf("store: history line %d: %w", ord, perr)
	}
	tags := m.Tags
	m.Tags = nil
	if len(tags) == 0 {
		tags = nil
	}
	e = &state.HistoryEntry{Ord: uint64(ord), Kind: state.HistoryKind(kind), Account: account, Bot: bot, Msg: m, Tags: tags}
	if multi {
		e.Lines = []state.BatchLine{{Text: m.Param(1)}}
		for _, l := range strings.Split(more, "\n") {
			if more == "" {
				break
			}
			if l == "" {
				return nil, fmt.Errorf("store: history line %d: damaged multiline message", ord)
			}
			e.Lines = append(e.Lines, state.BatchLine{Text: l[1:], Concat: l[0] == '+'})
		}
	}
	return e, nil
}

// HistoryStart is what a world needs of the store's history before it
// runs: the ord above which its msgids must start, and each target that
// has rows with its newest ord (state.World.SetHistoryFloor).
func (s *Store) HistoryStart() (floor uint64, stored map[string]uint64, err error) {
	var mark, top sql.NullInt64
	if err := s.db.QueryRow(`SELECT value FROM history_meta WHERE key = 'ord_mark'`).Scan(&mark); err != nil && err != sql.ErrNoRows {
		return 0, nil, fmt.Errorf("store: history start: %w", err)
	}
	if err := s.db.QueryRow(`SELECT max(last_ord) FROM history_targets`).Scan(&top); err != nil {
		return 0, nil, fmt.Errorf("store: history start: %w", err)
	}
	floor = max(uint64(mark.Int64), uint64(top.Int64))
	rows, err := s.db.Query(`SELECT target, last_ord FROM history_targets`)
	if err != nil {
		return 0, nil, fmt.Errorf("store: history start: %w", err)
	}
	defer rows.Close()
	stored = map[string]uint64{}
	for rows.Next() {
		var target string
		var last int64
		if err := rows.Scan(&target, &last); err != nil {
			return 0, nil, fmt.Errorf("store: history start: %w", err)
		}
		stored[target] = uint64(last)
	}
	return floor, stored, rows.Err()
}

// prefixEnd is the first string after every string that starts with
// prefix (which ends in a space, as private key prefixes do).
func prefixEnd(prefix string) string {
	return strings.TrimSuffix(prefix, " ") + "!"
}

// storeOffline writes messages kept for offline accounts: each in the
// recipient's conversation (a chunk of its own) and in its waiting list,
// at once (the sender is told once it is committed).
func storeOffline(tx *sql.Tx, wr state.StoreOffline) error {
	totals := map[string]*targetTotals{}
	maxOrd := uint64(0)
	for _, m := range wr.Messages {
		e := m.Entry
		line := encodeEntry(e)
		data := appendEntry(nil, e, line)
		if _, err := tx.Exec(insertChunk, m.Target, int64(e.Ord), int64(e.Ord), 1, 1<<e.Kind, data); err != nil {
			return fmt.Errorf("store: offline message: %w", err)
		}
		if _, err := tx.Exec(`INSERT OR IGNORE INTO offline (account, ord, sender, sender_account, bot, line) VALUES (?, ?, ?, ?, ?, ?)`,
			m.Account, int64(e.Ord), m.Sender, e.Account, e.Bot, line); err != nil {
			if strings.Contains(err.Error(), "FOREIGN KEY") {
				return fmt.Errorf("%w: account %q", ErrNotFound, m.Account)
			}
			return fmt.Errorf("store: offline message: %w", err)
		}
		t := totals[m.Target]
		if t == nil {
			t = &targetTotals{}
			totals[m.Target] = t
		}
		t.rows++
		t.lastOrd, t.lastMsg = max(t.lastOrd, e.Ord), max(t.lastMsg, e.Ord)
		maxOrd = max(maxOrd, e.Ord)
	}
	if err := addTargetTotals(tx, totals); err != nil {
		return err
	}
	return raiseOrdMark(tx, maxOrd)
}

// deletePrivateHistory removes an account's copies of its conversations
// (its offline messages and read markers go with the account itself).
func deletePrivateHistory(tx *sql.Tx, account string) error {
	prefix := "@" + account + " "
	if _, err := tx.Exec(`DELETE FROM history_chunks WHERE target >= ? AND target < ?`, prefix, prefixEnd(prefix)); err != nil {
		return fmt.Errorf("store: delete private history: %w", err)
	}
	if _, err := tx.Exec(`DELETE FROM history_targets WHERE target >= ? AND target < ?`, prefix, prefixEnd(prefix)); err != nil {
		return fmt.Errorf("store: delete private history: %w", err)
	}
	return nil
}

// OfflineCounts is what waits for each account: folded account → sender
// party key → messages (state.World.LoadOffline).
func (s *Store) OfflineCounts() (map[string]map[string]int, error) {
	rows, err := s.db.Query(`SELECT account, sender, count(*) FROM offline GROUP BY account, sender`)
	if err != nil {
		return nil, fmt.Errorf("store: offline counts: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var acct, sender string
		var n int
		if err := rows.Scan(&acct, &sender, &n); err != nil {
			return nil, fmt.Errorf("store: offline counts: %w", err)
		}
		if out[acct] == nil {
			out[acct] = map[string]int{}
		}
		out[acct][sender] = n
	}
	return out, rows.Err()
}

// ReadMarkers is every account's read markers: folded account → folded
// target → time (state.World.LoadReadMarkers).
func (s *Store) ReadMarkers() (map[string]map[string]time.Time, error) {
	rows, err := s.db.Query(`SELECT account, target, time FROM read_markers`)
	if err != nil {
		return nil, fmt.Errorf("store: read markers: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]time.Time{}
	for rows.Next() {
		var acct, target string
		var ms int64
		if err := rows.Scan(&acct, &target, &ms); err != nil {
			return nil, fmt.Errorf("store: read markers: %w", err)
		}
		if out[acct] == nil {
			out[acct] = map[string]time.Time{}
		}
		out[acct][target] = time.UnixMilli(ms)
	}
	return out, rows.Err()
}

// HistoryMessageTops is, for each target that has rows, the ord of its
// newest PRIVMSG or NOTICE, 0 for none (state.World.SetHistoryMessageTops):
// last_msg is never below it.
func (s *Store) HistoryMessageTops() (map[string]uint64, error) {
	rows, err := s.db.Query(`SELECT target, last_msg FROM history_targets`)
	if err != nil {
		return nil, fmt.Errorf("store: history message tops: %w", err)
	}
	defer rows.Close()
	tops := map[string]uint64{}
	for rows.Next() {
		var target string
		var last int64
		if err := rows.Scan(&target, &last); err != nil {
			return nil, fmt.Errorf("store: history message tops: %w", err)
		}
		tops[target] = uint64(last)
	}
	return tops, rows.Err()
}
