package store

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chatd/state"
)

func testAccount(name string) state.Account {
	return state.Account{
		Name: name, PasswordHash: "$2a$04$x", Created: time.Unix(1700000000, 0),
		Scram: state.ScramCredentials{Salt: []byte("salt"), Iters: 4096, StoredKey: []byte("sk"), ServerKey: []byte("vk")},
	}
}

// submit applies wr through Run and returns its result.
func submit(t *testing.T, s *Store, wr state.Write) error {
	t.Helper()
	got := make(chan error, 1)
	if !s.Submit(wr, func(err error) { got <- err }) {
		t.Fatal("Submit refused")
	}
	select {
	case err := <-got:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("write not answered")
	}
	return nil
}

func openRunning(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	go s.Run()
	t.Cleanup(func() { s.Close(true) })
	return s
}

func TestWritesSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chatd.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	go s.Run()
	if err := submit(t, s, state.CreateAccount{Account: testAccount("Alice")}); err != nil {
		t.Fatal(err)
	}
	if err := submit(t, s, state.CreateAccount{Account: testAccount("alice")}); !errors.Is(err, ErrExists) {
		t.Fatalf("second alice: %v, want ErrExists", err)
	}
	if err := submit(t, s, state.SetCert{Account: "alice", Fingerprint: "ab12", Add: true}); err != nil {
		t.Fatal(err)
	}
	if err := submit(t, s, state.SetPassword{Name: "nobody", PasswordHash: "x"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("password of nobody: %v, want ErrNotFound", err)
	}
	rec := state.ChannelRecord{Name: "#Class", Owner: "alice", Access: map[string]string{"bob": "voice"}, Registered: time.Unix(1700000100, 0),
		Topic: "maths", Modes: "int", Key: "k", Limit: 5, Bans: []state.ListEntry{{Mask: "x!*@*", SetBy: "alice", SetAt: time.Unix(1700000200, 0).UTC()}}}
	if err := submit(t, s, state.SaveChannel{Channel: rec}); err != nil {
		t.Fatal(err)
	}
	s.Close(true)

	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(false)
	snap, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Accounts) != 1 || snap.Accounts[0].Name != "Alice" || len(snap.Accounts[0].Certs) != 1 || snap.Accounts[0].Certs[0] != "ab12" ||
		string(snap.Accounts[0].Scram.StoredKey) != "sk" || snap.Accounts[0].Scram.Iters != 4096 {
		t.Fatalf("accounts after reopen: %+v", snap.Accounts)
	}
	if len(snap.Channels) != 1 {
		t.Fatalf("channels after reopen: %+v", snap.Channels)
	}
	got := snap.Channels[0]
	if got.Name != "#Class" || got.Owner != "alice" || got.Access["bob"] != "voice" || got.Topic != "maths" || got.Modes != "int" ||
		got.Key != "k" || got.Limit != 5 || len(got.Bans) != 1 || got.Bans[0].Mask != "x!*@*" || !got.Bans[0].SetAt.Equal(rec.Bans[0].SetAt) {
		t.Fatalf("channel after reopen: %+v", got)
	}
}

func TestDeleteAccountTakesCertsAndChannels(t *testing.T) {
	s := openRunning(t, "")
	for _, wr := range []state.Write{
		state.CreateAccount{Account: testAccount("bob")},
		state.SetCert{Account: "bob", Fingerprint: "ff", Add: true},
		state.SaveChannel{Channel: state.ChannelRecord{Name: "#b", Owner: "bob", Registered: time.Unix(1, 0)}},
		state.DeleteAccount{Name: "bob"},
	} {
		if err := submit(t, s, wr); err != nil {
			t.Fatalf("%T: %v", wr, err)
		}
	}
	snap, err := s.Load()
	if err != nil || len(snap.Accounts)+len(snap.Channels) != 0 {
		t.Fatalf("after delete: %+v %v", snap, err)
	}
	if err := submit(t, s, state.SaveChannel{Channel: state.ChannelRecord{Name: "#c", Owner: "ghost"}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("channel owned by nobody: %v", err)
	}
}

// A write that fails as on a full disk is refused with an error; the
// store goes on working for writes that fit.
func TestFullDiskRefusesWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chatd.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.PageCount()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetMaxPages(n); err != nil {
		t.Fatal(err)
	}
	go s.Run()
	defer s.Close(true)
	big := testAccount("big")
	big.Email = strings.Repeat("x", 64<<10)
	err = submit(t, s, state.CreateAccount{Account: big})
	if err == nil || !strings.Contains(err.Error(), "full") {
		t.Fatalf("write past max_page_count: %v, want a full-disk error", err)
	}
	snap, err := s.Load()
	if err != nil || len(snap.Accounts) != 0 {
		t.Fatalf("after refused write: %+v %v", snap.Accounts, err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chatd.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close(false)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(path, nil)
	if !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), "schema version 99 is newer") {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

func TestCorruptFileRefused(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "text.db")
	os.WriteFile(notDB, []byte(strings.Repeat("this is not a database\n", 200)), 0o600)
	if _, err := Open(notDB, nil); !errors.Is(err, ErrUnusable) {
		t.Fatalf("Open of a text file: %v", err)
	}

	// A real database with a page overwritten in the middle.
	path := filepath.Join(dir, "chatd.db")
	s := openRunning(t, path)
	for i := range 200 {
		a := testAccount(strings.Repeat("n", 1+i%40) + string(rune('a'+i%26)) + strings.Repeat("z", i/26))
		a.Email = strings.Repeat("e", 300)
		submit(t, s, state.CreateAccount{Account: a})
	}
	s.Close(true)
	data, err := os.ReadFile(path)
	if err != nil || len(data) < 8192 {
		t.Fatalf("database file: %d bytes, %v", len(data), err)
	}
	for i := 4096 + 100; i < len(data) && i < 4096*6; i++ {
		data[i] = 0xA5
	}
	os.WriteFile(path, data, 0o600)
	if _, err := Open(path, nil); !errors.Is(err, ErrUnusable) {
		t.Fatalf("Open of a corrupt database: %v", err)
	}

	unreadable := filepath.Join(dir, "dir.db")
	os.Mkdir(unreadable, 0o700)
	if _, err := Open(unreadable, nil); !errors.Is(err, ErrUnusable) {
		t.Fatalf("Open of a directory: %v", err)
	}
}

func TestBackupWhileWriting(t *testing.T) {
	dir := t.TempDir()
	s := openRunning(t, filepath.Join(dir, "chatd.db"))
	if err := submit(t, s, state.CreateAccount{Account: testAccount("carol")}); err != nil {
		t.Fatal(err)
	}
	other, err := Open(filepath.Join(dir, "chatd.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(false)
	dest := filepath.Join(dir, "copy.db")
	if err := other.Backup(dest); err != nil {
		t.Fatal(err)
	}
	copied, err := Open(dest, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer copied.Close(false)
	accts, err := copied.Accounts()
	if err != nil || len(accts) != 1 || accts[0].Name != "carol" {
		t.Fatalf("backup holds %+v, %v", accts, err)
	}
}

// Another process's commit reaches OnExternalChange.
func TestExternalChangeNoticed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chatd.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.pollEvery = 10 * time.Millisecond
	changed := make(chan Snapshot, 4)
	s.OnExternalChange = func(snap Snapshot) { changed <- snap }
	go s.Run()
	defer s.Close(true)
	if err := submit(t, s, state.CreateAccount{Account: testAccount("own")}); err != nil {
		t.Fatal(err)
	}
	other, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Apply(state.CreateAccount{Account: testAccount("outside")}); err != nil {
		t.Fatal(err)
	}
	other.Close(false)
	select {
	case snap := <-changed:
		if len(snap.Accounts) != 2 {
			t.Fatalf("reloaded %+v", snap.Accounts)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("outside change not noticed")
	}
}
