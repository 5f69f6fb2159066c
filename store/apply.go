package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"chatd/state"
)

// ErrExists means a CreateAccount's name (or a certificate) is taken.
var ErrExists = errors.New("store: already exists")

// ErrNotFound means a write names an account or group that is not there.
var ErrNotFound = errors.New("store: not found")

// apply performs one write inside tx.
func apply(tx *sql.Tx, wr state.Write) error {
	switch wr := wr.(type) {
	case state.Projected:
		return applyProjected(tx, wr)
	case state.CreateAccount:
		return createAccount(tx, wr.Account)
	case state.SetPassword:
		return affected(tx.Exec(`UPDATE accounts SET password_hash = ?, scram_salt = ?, scram_iters = ?, scram_stored = ?, scram_server = ? WHERE name_key = ?`,
			wr.PasswordHash, wr.Scram.Salt, wr.Scram.Iters, wr.Scram.StoredKey, wr.Scram.ServerKey, wr.Name))
	case state.DeleteAccount:
		if err := deletePrivateHistory(tx, wr.Name); err != nil {
			return err
		}
		return affected(tx.Exec(`DELETE FROM accounts WHERE name_key = ?`, wr.Name))
	case state.SetCert:
		if !wr.Add {
			return affected(tx.Exec(`DELETE FROM account_certs WHERE fingerprint = ? AND account = ?`, wr.Fingerprint, wr.Account))
		}
		_, err := tx.Exec(`INSERT INTO account_certs (fingerprint, account) VALUES (?, ?)`, wr.Fingerprint, wr.Account)
		return uniqueAsExists(err)
	case state.SaveChannel:
		return saveChannel(tx, wr.Channel)
	case state.StoreOffline:
		return storeOffline(tx, wr)
	case state.DeliveredOffline:
		_, err := tx.Exec(`DELETE FROM offline WHERE account = ? AND ord <= ?`, wr.Account, clampOrd(wr.Upto))
		return err
	case state.RedactHistory:
		return redactHistory(tx, wr)
	case state.SetReadMarker:
		_, err := tx.Exec(`INSERT INTO read_markers (account, target, time) VALUES (?, ?, ?)
			ON CONFLICT (account, target) DO UPDATE SET time = max(time, excluded.time)`, wr.Account, wr.Target, wr.Time.UnixMilli())
		if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
			return fmt.Errorf("%w: account %q", ErrNotFound, wr.Account)
		}
		return err
	case state.DropChannel:
		return affected(tx.Exec(`DELETE FROM channels WHERE name_key = ?`, wr.Name))
	case state.RenameChannelWrite:
		return renameChannel(tx, wr)
	}
	return fmt.Errorf("store: unknown write %T", wr)
}

func createAccount(tx *sql.Tx, a state.Account) error {
	_, err := tx.Exec(`INSERT INTO accounts (name_key, name, email, password_hash, scram_salt, scram_iters, scram_stored, scram_server, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		state.Fold(a.Name), a.Name, a.Email, a.PasswordHash, a.Scram.Salt, a.Scram.Iters, a.Scram.StoredKey, a.Scram.ServerKey, a.Created.Unix())
	if err != nil {
		return uniqueAsExists(err)
	}
	for _, fp := range a.Certs {
		if _, err := tx.Exec(`INSERT INTO account_certs (fingerprint, account) VALUES (?, ?)`, fp, state.Fold(a.Name)); err != nil {
			return uniqueAsExists(err)
		}
	}
	return nil
}

// channelSettings is the JSON form of a group's changeable settings.
type channelSettings struct {
	Topic      string            `json:"topic,omitempty"`
	TopicSetBy string            `json:"topic_set_by,omitempty"`
	TopicSetAt int64             `json:"topic_set_at,omitempty"`
	Modes      string            `json:"modes,omitempty"`
	Key        string            `json:"key,omitempty"`
	Limit      int               `json:"limit,omitempty"`
	Bans       []state.ListEntry `json:"bans,omitempty"`
	Excepts    []state.ListEntry `json:"excepts,omitempty"`
	Invites    []state.ListEntry `json:"invites,omitempty"`
	NoReplay   bool              `json:"no_replay,omitempty"`
}

func saveChannel(tx *sql.Tx, ch state.ChannelRecord) error {
	access, err := json.Marshal(ch.Access)
	if err != nil {
		return err
	}
	settings, err := json.Marshal(channelSettings{
		Topic: ch.Topic, TopicSetBy: ch.TopicSetBy, TopicSetAt: unixOrZero(ch.TopicSetAt),
		Modes: ch.Modes, Key: ch.Key, Limit: ch.Limit,
		Bans: ch.Bans, Excepts: ch.Excepts, Invites: ch.Invites, NoReplay: ch.NoReplay,
	})
	if err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO channels (name_key, name, owner, registered, access, settings) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (name_key) DO UPDATE SET name = excluded.name, owner = excluded.owner, access = excluded.access, settings = excluded.settings`,
		state.Fold(ch.Name), ch.Name, ch.Owner, ch.Registered.Unix(), string(access), string(settings))
	if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
		return fmt.Errorf("%w: owner account %q", ErrNotFound, ch.Owner)
	}
	return err
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func timeOrZero(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0)
}

// affected turns "no row changed" into ErrNotFound.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrNotFound
	}
	return nil
}

func uniqueAsExists(err error) error {
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return fmt.Errorf("%w: %v", ErrExists, err)
	}
	return err
}
