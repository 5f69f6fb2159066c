package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrUnusable wraps every reason Open refuses a database file: unreadable,
// corrupt, or written by a newer chatd. chatd exits with status 2 on it.
var ErrUnusable = errors.New("store: database unusable")

// openDB opens path (":memory:" style when path is "") with the pragmas
// chatd relies on, on one connection: a single writer needs no pool, and
// PRAGMA data_version only reports other processes' commits when asked on
// the connection that writes.
func openDB(path string) (*sql.DB, error) {
	pragmas := "_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)"
	dsn := "file::memory:?" + pragmas
	if path != "" {
		if _, err := os.Stat(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s: %v", ErrUnusable, path, err)
		}
		// synchronous=FULL: a commit is on disk (the WAL fsynced) before
		// the reply that says it was saved is sent.
		dsn = "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas + "&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnusable, path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: %s: not a readable SQLite database: %v", ErrUnusable, describe(path), err)
	}
	return db, nil
}

func describe(path string) string {
	if path == "" {
		return "(in memory)"
	}
	return path
}

// check refuses a file that is not a sound SQLite database.
func check(db *sql.DB, path string) error {
	var result string
	if err := db.QueryRow("PRAGMA quick_check").Scan(&result); err != nil {
		return fmt.Errorf("%w: %s: not a readable SQLite database: %v", ErrUnusable, path, err)
	}
	if result != "ok" {
		return fmt.Errorf("%w: %s: corrupt (quick_check: %s); restore it from a backup (chatd backup)", ErrUnusable, path, result)
	}
	return nil
}

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var list []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration file %q is not named NNN_what.sql", e.Name())
		}
		text, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		list = append(list, migration{version: v, name: e.Name(), sql: string(text)})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].version < list[j].version })
	for i, m := range list {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migrations must be numbered 1, 2, ... (found %s)", m.name)
		}
	}
	return list, nil
}

// SchemaVersion is the schema this build of chatd writes.
func SchemaVersion() int {
	list, err := migrations()
	if err != nil {
		return 0
	}
	return len(list)
}

// migrate brings the schema up to date, one transaction per step, and
// refuses a file from a newer chatd (it would not know its tables).
func migrate(db *sql.DB, path string) error {
	list, err := migrations()
	if err != nil {
		return err
	}
	var have int
	if err := db.QueryRow("PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUnusable, path, err)
	}
	if have > len(list) {
		return fmt.Errorf("%w: %s: schema version %d is newer than this chatd knows (%d); use the chatd that wrote it, or restore a backup", ErrUnusable, path, have, len(list))
	}
	for _, m := range list[have:] {
		ctx := context.Background()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migrate %d: %w", m.version, err)
		}
		if _, err := tx.Exec(m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migrate %d (%s): %w", m.version, m.name, err)
		}
		if _, err := tx.Exec("PRAGMA user_version = " + strconv.Itoa(m.version)); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migrate %d: %w", m.version, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migrate %d: %w", m.version, err)
		}
	}
	return nil
}
