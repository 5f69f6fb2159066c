package store

import (
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"

	"chatd/state"
)

// Retention. Run deletes history older than [history] retention, and the
// oldest entries of a target past maxRowsPerTarget, a few chunks per
// transaction (purgeBatch chunks, of at most maxChunkEntries entries
// each), so that purging never holds the database for long; while there
// is more to delete the next step comes soon (purgeBusyEvery), otherwise
// after purgeIdleEvery. A chunk goes once its last entry has expired. A
// cursor walks the targets in order, so every target is visited in turn
// however many there are. Offline messages expire with the rest.

const (
	purgeBatch     = 16
	purgeTargets   = 64 // targets looked at per step
	purgeBusyEvery = 50 * time.Millisecond
	purgeIdleEvery = 10 * time.Second
)

// maxRowsPerTarget caps the rows one target keeps whatever their age, so
// that one flooded channel cannot fill the disk within the retention.
const maxRowsPerTarget = 100000

// purgeSettings are read by Run and set from any goroutine.
type purgeSettings struct {
	retention atomic.Int64 // nanoseconds; 0 keeps history forever
	maxRows   atomic.Int64
	idle      atomic.Int64 // nanoseconds between steps when there is nothing to do
	now       func() time.Time
	cursor    string // the last target looked at; Run's alone
}

func (p *purgeSettings) init() {
	p.maxRows.Store(maxRowsPerTarget)
	p.idle.Store(int64(purgeIdleEvery))
	p.now = time.Now
}

func (p *purgeSettings) every() time.Duration { return time.Duration(p.idle.Load()) }

// SetHistoryRetention sets how long history is kept (0: forever). Safe
// from any goroutine; the daemon calls it at start and on REHASH.
func (s *Store) SetHistoryRetention(d time.Duration) { s.purge.retention.Store(int64(max(d, 0))) }

// SetHistoryLimits sets the most rows one target keeps and how often an
// idle store looks for rows to delete. Tests use it; call before Run.
func (s *Store) SetHistoryLimits(maxRows int, idleEvery time.Duration) {
	s.purge.maxRows.Store(int64(maxRows))
	s.purge.idle.Store(int64(idleEvery))
}

// SetClock replaces the clock retention is measured with (tests). Call
// before Run.
func (s *Store) SetClock(now func() time.Time) { s.purge.now = now }

// purgeStep deletes one batch of expired rows and returns when the next
// step is due.
func (s *Store) purgeStep() time.Duration {
	deleted, more, err := s.purgeOnce()
	if err != nil {
		s.log.Error("history retention", "err", err)
		return s.purge.every()
	}
	if deleted > 0 {
		s.log.Debug("history retention", "deleted", deleted)
	}
	if more {
		return purgeBusyEvery
	}
	return s.purge.every()
}

// PurgeOnce runs one retention step at once, outside Run (tests, and the
// synthetic long run): the entries it deleted and whether more are due.
func (s *Store) PurgeOnce() (int, bool, error) { return s.purgeOnce() }

func (s *Store) purgeOnce() (deleted int, more bool, err error) {
	p := &s.purge
	cutoff := uint64(0)
	if r := time.Duration(p.retention.Load()); r > 0 {
		cutoff = state.TimeOrd(p.now().Add(-r))
	}
	maxRows := p.maxRows.Load()
	tx, err := s.db.Begin()
	if err != nil {
		return 0, false, fmt.Errorf("store: purge: %w", err)
	}
	defer tx.Rollback()
	targets, err := purgeCandidates(tx, p.cursor)
	if err != nil {
		return 0, false, err
	}
	budget := purgeBatch // chunks
	for _, t := range targets {
		p.cursor = t.target
		var n int64
		if cutoff > 0 {
			var chunks int
			if n, chunks, err = deleteChunks(tx, t.target, cutoff, budget); err != nil {
				return 0, false, err
			}
			budget -= chunks
		}
		for left := t.rows - n; left > maxRows && budget > 0; {
			m, chunks, err := deleteChunks(tx, t.target, 1<<63-1, 1)
			if err != nil {
				return 0, false, err
			}
			if chunks == 0 {
				break
			}
			n, left, budget = n+m, left-m, budget-chunks
		}
		deleted += int(n)
		if n > 0 {
			if _, err := tx.Exec(`UPDATE history_targets SET rows = max(rows - ?, 0) WHERE target = ?`, n, t.target); err != nil {
				return 0, false, fmt.Errorf("store: purge: %w", err)
			}
			if _, err := tx.Exec(`DELETE FROM history_targets WHERE target = ? AND NOT EXISTS (SELECT 1 FROM history_chunks WHERE target = ?)`, t.target, t.target); err != nil {
				return 0, false, fmt.Errorf("store: purge: %w", err)
			}
		}
		if budget <= 0 {
			budget = 0
			break
		}
	}
	switch {
	case budget == 0:
		more = true
		p.cursor = prevKey(p.cursor) // this target may have more: look at it again
	case len(targets) == purgeTargets:
		more = true // the walk goes on after the last target looked at
	default:
		p.cursor = "" // the walk is over; the next starts from the first target
	}
	if cutoff > 0 {
		if _, err := tx.Exec(`DELETE FROM offline WHERE ord < ?`, int64(cutoff)); err != nil {
			return 0, false, fmt.Errorf("store: purge offline: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("store: purge: commit: %w", err)
	}
	return deleted, more, nil
}

type purgeTarget struct {
	target string
	rows   int64
}

// purgeCandidates lists the next targets after cursor.
func purgeCandidates(tx *sql.Tx, cursor string) ([]purgeTarget, error) {
	rows, err := tx.Query(`SELECT target, rows FROM history_targets WHERE target > ? ORDER BY target LIMIT ?`, cursor, purgeTargets)
	if err != nil {
		return nil, fmt.Errorf("store: purge: %w", err)
	}
	defer rows.Close()
	var out []purgeTarget
	for rows.Next() {
		var t purgeTarget
		if err := rows.Scan(&t.target, &t.rows); err != nil {
			return nil, fmt.Errorf("store: purge: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// deleteChunks deletes up to n of target's oldest chunks whose last
// entry is below ord, and returns the entries and chunks it deleted.
func deleteChunks(tx *sql.Tx, target string, below uint64, n int) (entries int64, chunks int, err error) {
	rows, err := tx.Query(`DELETE FROM history_chunks WHERE target = ?1 AND last IN
		(SELECT last FROM history_chunks WHERE target = ?1 AND last < ?2 ORDER BY last LIMIT ?3) RETURNING n`, target, clampOrd(below), n)
	if err != nil {
		return 0, 0, fmt.Errorf("store: purge %s: %w", target, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return 0, 0, fmt.Errorf("store: purge %s: %w", target, err)
		}
		entries += k
		chunks++
	}
	return entries, chunks, rows.Err()
}

// prevKey is a key just before k, so that a walk resumes at k itself.
func prevKey(k string) string {
	if k == "" {
		return ""
	}
	return k[:len(k)-1]
}
