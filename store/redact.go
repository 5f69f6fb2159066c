package store

import (
	"database/sql"
	"fmt"

	"chatd/state"
)

// Redaction: a deleted message leaves every chunk that holds it (the
// chunk is written again without it, or goes when it held nothing else)
// and the list of messages waiting for an offline account.

// redactHistory applies a state.RedactHistory inside tx. Store.commit writes
// the history rows queued first, in the same transaction, so the
// message's row is in the database by then.
func redactHistory(tx *sql.Tx, wr state.RedactHistory) error {
	for _, target := range wr.Targets {
		if err := redactInTarget(tx, target, wr.Ord); err != nil {
			return err
		}
	}
	if wr.Account != "" {
		if _, err := tx.Exec(`DELETE FROM offline WHERE account = ? AND ord = ?`, wr.Account, clampOrd(wr.Ord)); err != nil {
			return fmt.Errorf("store: redact offline message: %w", err)
		}
	}
	return nil
}

// redactInTarget removes the entry ord from the chunks of target.
func redactInTarget(tx *sql.Tx, target string, ord uint64) error {
	type found struct {
		last int64
		data []byte
	}
	rows, err := tx.Query(`SELECT last, data FROM history_chunks WHERE target = ? AND first <= ? AND last >= ?`,
		target, clampOrd(ord), clampOrd(ord))
	if err != nil {
		return fmt.Errorf("store: redact: %w", err)
	}
	var chunks []found
	for rows.Next() {
		var f found
		if err := rows.Scan(&f.last, &f.data); err != nil {
			rows.Close()
			return fmt.Errorf("store: redact: %w", err)
		}
		chunks = append(chunks, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: redact: %w", err)
	}
	removed := 0
	for _, f := range chunks {
		var kept []byte
		var first, last uint64
		n, kinds, hit := 0, 0, false
		err := eachEntry(f.data, func(e chunkEntry) bool {
			if e.ord == ord {
				hit = true
				return true
			}
			kept = appendChunkEntry(kept, e)
			if n == 0 {
				first = e.ord
			}
			last = e.ord
			n++
			kinds |= 1 << e.kind
			return true
		})
		if err != nil || !hit {
			continue // a damaged chunk is left as it is
		}
		removed++
		if _, err := tx.Exec(`DELETE FROM history_chunks WHERE target = ? AND last = ?`, target, f.last); err != nil {
			return fmt.Errorf("store: redact: %w", err)
		}
		if n == 0 {
			continue
		}
		if _, err := tx.Exec(insertChunk, target, int64(last), int64(first), n, kinds, kept); err != nil {
			return fmt.Errorf("store: redact: %w", err)
		}
	}
	if removed > 0 {
		if _, err := tx.Exec(`UPDATE history_targets SET rows = max(rows - ?, 0) WHERE target = ?`, removed, target); err != nil {
			return fmt.Errorf("store: redact: %w", err)
		}
	}
	return nil
}

// isRedaction reports whether wr (directly or projected) deletes
// history.
func isRedaction(wr state.Write) bool {
	if p, ok := wr.(state.Projected); ok {
		wr = p.Write
	}
	_, ok := wr.(state.RedactHistory)
	return ok
}
