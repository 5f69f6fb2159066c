package store

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"chatd/state"
)

// History reads run on a small pool of goroutines with read-only
// connections of their own (WAL lets them read while Run writes), so a
// read never waits for a commit and never holds up the state goroutine.
// An in-memory store has one connection, shared with Run.

// readers is how many reads run at once; readQueue how many may wait.
const (
	readers   = 2
	readQueue = 1024
)

// ErrBusy is the answer when too many reads wait.
var ErrBusy = errors.New("store: too many history reads waiting")

type readerPool struct {
	mu     sync.Mutex
	closed bool
	jobs   chan func(db *sql.DB)
	wg     sync.WaitGroup
}

func (s *Store) openReads() error {
	s.readsDB = s.db
	if s.path != "" {
		dsn := "file:" + (&url.URL{Path: s.path}).EscapedPath() + "?mode=ro&_pragma=busy_timeout(5000)&_pragma=query_only(1)"
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return fmt.Errorf("store: read connections: %w", err)
		}
		db.SetMaxOpenConns(readers)
		db.SetMaxIdleConns(readers)
		s.readsDB = db
	}
	s.reads = &readerPool{jobs: make(chan func(*sql.DB), readQueue)}
	for range readers {
		s.reads.wg.Add(1)
		go func() {
			defer s.reads.wg.Done()
			for job := range s.reads.jobs {
				job(s.readsDB)
			}
		}()
	}
	return nil
}

func (s *Store) closeReads() {
	s.reads.mu.Lock()
	s.reads.closed = true
	close(s.reads.jobs)
	s.reads.mu.Unlock()
	s.reads.wg.Wait()
	if s.readsDB != s.db {
		s.readsDB.Close()
	}
}

// read queues job for a reader; false when too many wait.
func (s *Store) read(job func(db *sql.DB)) bool {
	s.reads.mu.Lock()
	defer s.reads.mu.Unlock()
	if s.reads.closed {
		return false
	}
	select {
	case s.reads.jobs <- job:
		return true
	default:
		return false
	}
}

// rowsOf returns, for each of targets, the rows not yet committed that
// are its (the renames waiting included: finalKey) and where its
// committed rows are (sourcesLocked).
func (q *historyQueue) rowsOf(targets []string) (rows map[string][]*state.HistoryEntry, sources map[string][]source) {
	q.mu.Lock()
	defer q.mu.Unlock()
	renames := q.pendingRenamesLocked()
	rows, sources = map[string][]*state.HistoryEntry{}, map[string][]source{}
	for _, t := range targets {
		if _, ok := sources[t]; !ok {
			sources[t] = sourcesLocked(renames, t)
		}
	}
	// Rows being committed have the keys the renames of their commit
	// give them; queued rows, those they were recorded under.
	for i, list := range [][]state.HistoryRow{q.inflight, q.pending} {
		later := renames
		if i == 0 {
			later = q.renames
		}
		for _, r := range list {
			key := r.Target
			if len(later) > 0 {
				key = finalKey(later, key, r.Entry.Ord)
			}
			if _, ok := sources[key]; ok {
				rows[key] = append(rows[key], r.Entry)
			}
		}
	}
	return rows, sources
}

// QueryHistory answers ranges (state.HistoryStore). The rows still
// waiting for their commit are looked at first and the database then: a
// row is in one or the other (or both, counted once), never in neither.
// While a channel rename waits for the commit that moves its rows, the
// rows of either name are read where they are and counted where they
// belong (sourcesLocked).
func (s *Store) QueryHistory(ranges []state.HistoryRange, done func([][]*state.HistoryEntry, error)) bool {
	return s.read(func(db *sql.DB) {
		targets := make([]string, len(ranges))
		for i, rg := range ranges {
			targets[i] = rg.Target
		}
		queued, sources := s.hist.rowsOf(targets)
		out := make([][]*state.HistoryEntry, len(ranges))
		for i, rg := range ranges {
			var got []*state.HistoryEntry
			for _, src := range sources[rg.Target] {
				sub := rg
				sub.Target, sub.Lo = src.key, max(rg.Lo, src.lo)
				if src.hi < ^uint64(0) {
					sub.Hi = min(rg.Hi, src.hi+1)
				}
				part, err := queryRange(db, sub)
				if err != nil {
					done(nil, err)
					return
				}
				got = append(got, part...)
			}
			for _, e := range queued[rg.Target] {
				if e.Ord > rg.Lo && e.Ord < rg.Hi && e.Kind <= rg.MaxKind {
					got = append(got, e)
				}
			}
			out[i] = limitRange(got, rg)
		}
		done(out, nil)
	})
}

// queryRange reads one range from the database: the chunks that may hold
// entries of it, newest or oldest first, until it has enough.
func queryRange(db *sql.DB, rg state.HistoryRange) ([]*state.HistoryEntry, error) {
	if rg.Limit <= 0 || rg.Lo >= rg.Hi {
		return nil, nil
	}
	order := "ASC"
	if rg.FromEnd {
		order = "DESC"
	}
	// A range of messages only (replay on join, CHATHISTORY without
	// event-playback) first asks history_targets whether the target has a
	// message above Lo at all (last_msg is never below the newest one
	// stored): a channel of joins and parts otherwise has every chunk in
	// the range read, for nothing, on each join.
	msgOnly := `1`
	if rg.MaxKind == state.KindMessage {
		msgOnly = `EXISTS (SELECT 1 FROM history_targets WHERE target = ?1 AND last_msg > ?2)`
	}
	rows, err := db.Query(`SELECT data FROM history_chunks
		WHERE target = ?1 AND last > ?2 AND first < ?3 AND (kinds & ?4) != 0 AND `+msgOnly+` ORDER BY last `+order,
		rg.Target, clampOrd(rg.Lo), clampOrd(rg.Hi), (2<<rg.MaxKind)-1)
	if err != nil {
		return nil, fmt.Errorf("store: history read: %w", err)
	}
	defer rows.Close()
	var out []*state.HistoryEntry
	for len(out) < rg.Limit && rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("store: history read: %w", err)
		}
		var got []*state.HistoryEntry
		// A damaged chunk keeps what could be read of it, and one
		// damaged entry does not hide the rest.
		_ = eachEntry(data, func(c chunkEntry) bool {
			if c.ord > rg.Lo && c.ord < rg.Hi && c.kind <= rg.MaxKind {
				if e, err := c.entry(); err == nil {
					got = append(got, e)
				}
			}
			return true
		})
		if rg.FromEnd {
			out = append(got, out...)
		} else {
			out = append(out, got...)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: history read: %w", err)
	}
	return limitRange(out, rg), nil
}

// clampOrd fits an ord bound into SQLite's signed integers.
func clampOrd(ord uint64) int64 {
	if ord > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(ord)
}

// limitRange sorts entries, drops repeats and keeps rg.Limit of them
// from the end rg asks for.
func limitRange(list []*state.HistoryEntry, rg state.HistoryRange) []*state.HistoryEntry {
	sort.Slice(list, func(i, j int) bool { return list[i].Ord < list[j].Ord })
	list = slices.CompactFunc(list, func(a, b *state.HistoryEntry) bool { return a.Ord == b.Ord })
	if len(list) > rg.Limit {
		if rg.FromEnd {
			list = list[len(list)-rg.Limit:]
		} else {
			list = list[:rg.Limit]
		}
	}
	return list
}

// QueryTargets lists the targets among channels and under prefix whose
// newest message has lo < ord < hi (state.HistoryStore), with rows not
// yet committed counted.
func (s *Store) QueryTargets(channels []string, prefix string, lo, hi uint64, done func([]state.HistoryTarget, error)) bool {
	return s.read(func(db *sql.DB) {
		last := map[string]uint64{}
		add := func(target string, ord uint64) {
			if ord > last[target] {
				last[target] = ord
			}
		}
		q := &s.hist
		q.mu.Lock()
		// While renames wait for their commit, a row counts for the key
		// it will be under (finalKey).
		renames := q.pendingRenamesLocked()
		wanted := map[string]bool{}
		for _, ch := range channels {
			wanted[ch] = true
			for _, src := range sourcesLocked(renames, ch) {
				wanted[src.key] = true
			}
		}
		for i, list := range [][]state.HistoryRow{q.inflight, q.pending} {
			later := renames // as in rowsOf
			if i == 0 {
				later = q.renames
			}
			for _, r := range list {
				if r.Entry.Kind != state.KindMessage {
					continue
				}
				if wanted[r.Target] {
					add(finalKey(later, r.Target, r.Entry.Ord), r.Entry.Ord)
				} else if prefix != "" && len(r.Target) > len(prefix) && r.Target[:len(prefix)] == prefix {
					add(r.Target, r.Entry.Ord)
				}
			}
		}
		q.mu.Unlock()
		scan := func(rows *sql.Rows, err error) error {
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var target string
				var ord int64
				if err := rows.Scan(&target, &ord); err != nil {
					return err
				}
				add(finalKey(renames, target, uint64(ord)), uint64(ord))
			}
			return rows.Err()
		}
		keys := make([]string, 0, len(wanted))
		for key := range wanted {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		for _, ch := range keys {
			if err := scan(db.Query(`SELECT target, last_msg FROM history_targets WHERE target = ? AND last_msg > 0`, ch)); err != nil {
				done(nil, fmt.Errorf("store: history targets: %w", err))
				return
			}
		}
		if prefix != "" {
			if err := scan(db.Query(`SELECT target, last_msg FROM history_targets WHERE target >= ? AND target < ? AND last_msg > 0`, prefix, prefixEnd(prefix))); err != nil {
				done(nil, fmt.Errorf("store: history targets: %w", err))
				return
			}
		}
		asked := map[string]bool{}
		for _, ch := range channels {
			asked[ch] = true
		}
		var out []state.HistoryTarget
		for target, ord := range last {
			if ord > lo && ord < hi && (asked[target] || prefix != "" && strings.HasPrefix(target, prefix)) {
				out = append(out, state.HistoryTarget{Target: target, Last: ord})
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Last < out[j].Last })
		done(out, nil)
	})
}

// QueryOffline lists the messages waiting for account, oldest first
// (state.HistoryStore). They are written at once (StoreOffline), never
// queued, so the database has them all.
func (s *Store) QueryOffline(account string, done func([]*state.HistoryEntry, error)) bool {
	return s.read(func(db *sql.DB) {
		rows, err := db.Query(`SELECT ord, sender_account, bot, line FROM offline WHERE account = ? ORDER BY ord`, account)
		if err != nil {
			done(nil, fmt.Errorf("store: offline messages: %w", err))
			return
		}
		defer rows.Close()
		var out []*state.HistoryEntry
		for rows.Next() {
			var ord int64
			var acct, line string
			var bot bool
			if err := rows.Scan(&ord, &acct, &bot, &line); err != nil {
				done(nil, fmt.Errorf("store: offline messages: %w", err))
				return
			}
			if e, err := decodeEntry(ord, int(state.KindMessage), acct, bot, line); err == nil {
				out = append(out, e)
			}
		}
		done(out, rows.Err())
	})
}
