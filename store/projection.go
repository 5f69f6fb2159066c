package store

import (
	"database/sql"
	"errors"
	"fmt"

	"chatd/state"
)

// On a cluster node the store is a projection of the log: every node
// applies the same writes (state.Projected, with the sequence of the
// event that made them) and records the sequence it reached in the same
// transaction, so that a write the log replays after a restart is not
// applied twice. The log, not the store, decides what the world holds.

// projectedKey is the history_meta row holding the sequence reached.
const projectedKey = "cluster_seq"

func applyProjected(tx *sql.Tx, p state.Projected) error {
	var at int64
	err := tx.QueryRow(`SELECT value FROM history_meta WHERE key = ?`, projectedKey).Scan(&at)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: projection: %w", err)
	}
	if int64(p.Seq) <= at {
		return nil // applied before this restart
	}
	if err := apply(tx, p.Write); err != nil && !errors.Is(err, ErrExists) && !errors.Is(err, ErrNotFound) {
		return err
	}
	_, err = tx.Exec(`INSERT INTO history_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, projectedKey, int64(p.Seq))
	return err
}

// ProjectedSeq is the sequence of the last projected write the store
// holds (0 for none).
func (s *Store) ProjectedSeq() (uint64, error) {
	var at int64
	err := s.db.QueryRow(`SELECT value FROM history_meta WHERE key = ?`, projectedKey).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return uint64(at), err
}

// ReplaceWorld makes the store hold exactly the accounts and registered
// groups of a snapshot at seq (a node that restarts from a snapshot newer
// than its store). History rows are kept: they are keyed by ord, and the
// log re-adds what was recorded meanwhile only as far as it reaches back.
// Call it before Run.
func (s *Store) ReplaceWorld(seq uint64, accounts []state.Account, channels []state.ChannelRecord) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("store: replace: %w", err)
	}
	defer tx.Rollback()
	// Accounts that stay are updated, not deleted, so that what hangs on
	// them (read markers, waiting messages) stays.
	keep := map[string]bool{}
	for _, a := range accounts {
		keep[state.Fold(a.Name)] = true
	}
	rows, err := tx.Query(`SELECT name_key FROM accounts`)
	if err != nil {
		return fmt.Errorf("store: replace: %w", err)
	}
	var drop []string
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			rows.Close()
			return fmt.Errorf("store: replace: %w", err)
		}
		if !keep[key] {
			drop = append(drop, key)
		}
	}
	rows.Close()
	for _, q := range []string{`DELETE FROM channels`, `DELETE FROM account_certs`} {
		if _, err := tx.Exec(q); err != nil {
			return fmt.Errorf("store: replace: %w", err)
		}
	}
	for _, key := range drop {
		if _, err := tx.Exec(`DELETE FROM accounts WHERE name_key = ?`, key); err != nil {
			return fmt.Errorf("store: replace: %w", err)
		}
	}
	for _, a := range accounts {
		_, err := tx.Exec(`INSERT INTO accounts (name_key, name, email, password_hash, scram_salt, scram_iters, scram_stored, scram_server, created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name_key) DO UPDATE SET name = excluded.name, email = excluded.email,
			password_hash = excluded.password_hash, scram_salt = excluded.scram_salt, scram_iters = excluded.scram_iters,
			scram_stored = excluded.scram_stored, scram_server = excluded.scram_server, created = excluded.created`,
			state.Fold(a.Name), a.Name, a.Email, a.PasswordHash, a.Scram.Salt, a.Scram.Iters, a.Scram.StoredKey, a.Scram.ServerKey, a.Created.Unix())
		if err != nil {
			return fmt.Errorf("store: replace: account %s: %w", a.Name, err)
		}
		for _, fp := range a.Certs {
			if _, err := tx.Exec(`INSERT INTO account_certs (fingerprint, account) VALUES (?, ?)`, fp, state.Fold(a.Name)); err != nil {
				return fmt.Errorf("store: replace: account %s: %w", a.Name, err)
			}
		}
	}
	for _, ch := range channels {
		if err := saveChannel(tx, ch); err != nil {
			return fmt.Errorf("store: replace: channel %s: %w", ch.Name, err)
		}
	}
	if _, err := tx.Exec(`INSERT INTO history_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, projectedKey, int64(seq)); err != nil {
		return fmt.Errorf("store: replace: %w", err)
	}
	return tx.Commit()
}
