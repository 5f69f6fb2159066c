package store

import (
	"encoding/json"
	"fmt"
	"time"

	"chatd/state"
)

// Snapshot is the whole contents of the database.
type Snapshot struct {
	Accounts []state.Account
	Channels []state.ChannelRecord
}

// Load reads every account and registered group. The daemon calls it
// before Run; Run calls it after another process changed the file.
func (s *Store) Load() (Snapshot, error) {
	var snap Snapshot
	var err error
	if snap.Accounts, err = s.Accounts(); err != nil {
		return snap, err
	}
	rows, err := s.db.Query(`SELECT name, owner, registered, access, settings FROM channels ORDER BY name_key`)
	if err != nil {
		return snap, fmt.Errorf("store: load channels: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ch state.ChannelRecord
		var registered int64
		var access, settings string
		if err := rows.Scan(&ch.Name, &ch.Owner, &registered, &access, &settings); err != nil {
			return snap, fmt.Errorf("store: load channels: %w", err)
		}
		var set channelSettings
		if err := json.Unmarshal([]byte(access), &ch.Access); err != nil {
			return snap, fmt.Errorf("store: channel %s: access list: %w", ch.Name, err)
		}
		if err := json.Unmarshal([]byte(settings), &set); err != nil {
			return snap, fmt.Errorf("store: channel %s: settings: %w", ch.Name, err)
		}
		ch.Registered = time.Unix(registered, 0)
		ch.Topic, ch.TopicSetBy, ch.TopicSetAt = set.Topic, set.TopicSetBy, timeOrZero(set.TopicSetAt)
		ch.Modes, ch.Key, ch.Limit = set.Modes, set.Key, set.Limit
		ch.Bans, ch.Excepts, ch.Invites = set.Bans, set.Excepts, set.Invites
		ch.NoReplay = set.NoReplay
		snap.Channels = append(snap.Channels, ch)
	}
	return snap, rows.Err()
}

// Accounts reads every account with its certificates, ordered by name.
func (s *Store) Accounts() ([]state.Account, error) {
	rows, err := s.db.Query(`SELECT name_key, name, email, password_hash, scram_salt, scram_iters, scram_stored, scram_server, created FROM accounts ORDER BY name_key`)
	if err != nil {
		return nil, fmt.Errorf("store: load accounts: %w", err)
	}
	var list []state.Account
	index := map[string]int{}
	for rows.Next() {
		var a state.Account
		var key string
		var created int64
		if err := rows.Scan(&key, &a.Name, &a.Email, &a.PasswordHash, &a.Scram.Salt, &a.Scram.Iters, &a.Scram.StoredKey, &a.Scram.ServerKey, &created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: load accounts: %w", err)
		}
		a.Created = time.Unix(created, 0)
		index[key] = len(list)
		list = append(list, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: load accounts: %w", err)
	}
	certs, err := s.db.Query(`SELECT fingerprint, account FROM account_certs ORDER BY fingerprint`)
	if err != nil {
		return nil, fmt.Errorf("store: load certificates: %w", err)
	}
	defer certs.Close()
	for certs.Next() {
		var fp, key string
		if err := certs.Scan(&fp, &key); err != nil {
			return nil, fmt.Errorf("store: load certificates: %w", err)
		}
		if i, ok := index[key]; ok {
			list[i].Certs = append(list[i].Certs, fp)
		}
	}
	return list, certs.Err()
}

// Apply performs one write at once, outside Run: for `chatd account`,
// which works on the file while the server may be running (the server
// notices the change and reloads).
func (s *Store) Apply(wr state.Write) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := apply(tx, wr); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// Backup writes a consistent copy of the database to dest (which must not
// exist) with VACUUM INTO; it is safe while another process writes.
func (s *Store) Backup(dest string) error {
	if _, err := s.db.Exec(`VACUUM INTO ?`, dest); err != nil {
		return fmt.Errorf("store: backup to %s: %w", dest, err)
	}
	return nil
}
