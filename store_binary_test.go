package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"chatd/store"
)

// Tests of the store through the real binary: kill -9 during a burst of
// registrations loses nothing that was acknowledged; unusable files are
// refused with exit status 2; registered groups survive a restart; the
// admin subcommands work beside a running server.

// waitLog waits until the process has logged a line containing substr.
func (p *chatdProc) waitLog(substr string) {
	p.t.Helper()
	deadline := time.After(binTimeout)
	for !strings.Contains(p.stderr.String(), substr) {
		select {
		case <-p.stderr.changed:
		case <-p.exited:
			p.t.Fatalf("chatd exited before logging %q:\n%s", substr, p.stderr.String())
		case <-deadline:
			p.t.Fatalf("chatd did not log %q within %v:\n%s", substr, binTimeout, p.stderr.String())
		}
	}
}

// login connects with PASS account:password and waits for the welcome.
func loginRaw(t *testing.T, addr, nick, account, password string) *rawClient {
	t.Helper()
	c := dialRaw(t, addr)
	c.send("PASS " + account + ":" + password)
	c.send("NICK " + nick)
	c.send("USER " + nick + " 0 * :" + nick)
	l := c.expect("900 or a failed login", func(l string) bool {
		return field(l, 1) == "900" || strings.Contains(l, "PASS login failed")
	})
	if field(l, 1) != "900" {
		t.Fatalf("PASS %s: %s", account, l)
	}
	c.expect("welcome", hasNumeric("001"))
	return c
}

func TestBinaryKill9KeepsAcknowledgedAccounts(t *testing.T) {
	cfg := writeConfig(t, `[flood]`, `enabled = false`)
	p := startChatd(t, "-config", cfg)

	// Four clients register accounts one after another (REGISTER, then
	// LOGOUT) as fast as the server answers; the test records every
	// REGISTER SUCCESS and kills the server once 24 have come.
	var mu sync.Mutex
	acked := map[string]bool{}
	enough := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for i := range 4 {
		c := dialRaw(t, p.addr)
		c.send(fmt.Sprintf("NICK burst%d", i))
		c.send(fmt.Sprintf("USER burst%d 0 * :burst", i))
		c.expect("welcome", hasNumeric("001"))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				name := fmt.Sprintf("acct%dx%d", i, n)
				if _, err := c.conn.Write([]byte("REGISTER " + name + " * password123\r\nNS LOGOUT\r\n")); err != nil {
					return
				}
				for {
					l, ok := <-c.lines
					if !ok {
						return // killed
					}
					if strings.Contains(l, "REGISTER SUCCESS "+name) {
						mu.Lock()
						acked[name] = true
						if len(acked) >= 24 {
							once.Do(func() { close(enough) })
						}
						mu.Unlock()
						break
					}
					if strings.Contains(l, " FAIL ") {
						t.Errorf("%s: %s", name, l)
						return
					}
				}
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(30 * time.Second):
		t.Fatal("24 registrations were not acknowledged within 30s")
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	wg.Wait()

	// Restart on the same file: every acknowledged account is there, and
	// one of them can log in.
	p2 := startChatd(t, "-config", cfg)
	out, stderr, code := runBinary(t, "", "account", "-config", cfg, "list")
	if code != 0 {
		t.Fatalf("chatd account list: exit %d: %s", code, stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	for name := range acked {
		if !strings.Contains(out, name+"\t") {
			t.Errorf("acknowledged account %s is missing after kill -9", name)
		}
	}
	t.Logf("%d registrations acknowledged before kill -9; %d accounts after restart", len(acked), strings.Count(out, "\n"))
	var any string
	for name := range acked {
		any = name
		break
	}
	loginRaw(t, p2.addr, "again", any, "password123")
}

func TestBinaryRefusesUnusableStore(t *testing.T) {
	cfg := writeConfig(t)
	dbPath := filepath.Join(filepath.Dir(cfg), "chatd.db")

	// Not a database at all.
	if err := os.WriteFile(dbPath, []byte(strings.Repeat("not sqlite\n", 500)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runBinary(t, "", "-config", cfg)
	if code != 2 || !strings.Contains(stderr, "chatd.db") || !strings.Contains(stderr, "not a readable SQLite database") {
		t.Errorf("garbage store file: exit %d, stderr %q; want exit 2 and a clear message", code, stderr)
	}

	// A database from a newer chatd.
	os.Remove(dbPath)
	st, err := store.Open(dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.Close(false)
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", store.SchemaVersion()+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, stderr, code = runBinary(t, "", "-config", cfg)
	if code != 2 || !strings.Contains(stderr, "is newer than this chatd knows") {
		t.Errorf("newer schema: exit %d, stderr %q; want exit 2 and a clear message", code, stderr)
	}
	_, stderr, code = runBinary(t, "", "account", "-config", cfg, "list")
	if code != 2 || !strings.Contains(stderr, "is newer than this chatd knows") {
		t.Errorf("chatd account on a newer schema: exit %d, stderr %q", code, stderr)
	}
}

func TestBinaryRegisteredGroupSurvivesRestart(t *testing.T) {
	cfg := writeConfig(t, `[flood]`, `enabled = false`)
	p := startChatd(t, "-config", cfg)
	t1 := dialRaw(t, p.addr)
	t1.send("NICK teacher")
	t1.send("USER teacher 0 * :Teacher")
	t1.expect("welcome", hasNumeric("001"))
	t1.send("REGISTER * * password123")
	t1.expect("900", hasNumeric("900"))
	t1.send("CG class")
	t1.expect("JOIN", func(l string) bool { return field(l, 1) == "JOIN" })
	t1.send("CS REGISTER #class")
	t1.expect("registered", func(l string) bool { return strings.Contains(l, "#class is now registered to teacher") })
	t1.send("TOPIC #class :Homework due Friday")
	t1.send("MODE #class +kl key 30")
	t1.send("MODE #class +b spam!*@*")
	t1.send("PING :done")
	t1.expect("PONG", func(l string) bool { return strings.HasSuffix(l, "done") })
	if code := p.signalAndWait(syscall.SIGTERM, binTimeout); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}

	p2 := startChatd(t, "-config", cfg)
	s := dialRaw(t, p2.addr)
	s.send("NICK someone")
	s.send("USER someone 0 * :Someone")
	s.expect("welcome", hasNumeric("001"))
	s.send("LIST #class")
	if l := s.expect("322", func(l string) bool { return field(l, 1) == "322" || field(l, 1) == "323" }); !strings.HasSuffix(l, "#class 0 :Homework due Friday") {
		t.Errorf("LIST after restart: %s", l)
	}
	s.send("JOIN #class")
	s.expect("475 (key kept)", hasNumeric("475"))
	s.send("JOIN #class key")
	s.expect("topic kept", func(l string) bool { return field(l, 1) == "332" && strings.HasSuffix(l, "Homework due Friday") })
	if l := s.expect("NAMES", func(l string) bool { return field(l, 1) == "353" && field(l, 4) == "#class" }); !strings.HasSuffix(l, ":someone") {
		t.Errorf("someone joining an empty registered group got status: %s", l)
	}
	s.send("MODE #class")
	if l := s.expect("324", hasNumeric("324")); !strings.Contains(l, "+klnt key 30") {
		t.Errorf("modes after restart: %s", l)
	}
	s.send("MODE #class b")
	if l := s.expect("367", func(l string) bool { return field(l, 1) == "367" || field(l, 1) == "368" }); !strings.Contains(l, "#class spam!*@*") {
		t.Errorf("bans after restart: %s", l)
	}

	owner := loginRaw(t, p2.addr, "teacher", "teacher", "password123")
	owner.send("JOIN #class key")
	if l := owner.expect("NAMES", func(l string) bool { return field(l, 1) == "353" && field(l, 4) == "#class" }); !strings.Contains(l, "@teacher") {
		t.Errorf("the owner did not get op after the restart: %s", l)
	}
	s.expect("ChanServ gives op", func(l string) bool {
		return strings.Contains(l, "ChanServ") && strings.HasSuffix(l, "MODE #class +o teacher")
	})
}

func TestBinaryAccountCommandsBesideServer(t *testing.T) {
	cfg := writeConfig(t, `[flood]`, `enabled = false`)
	p := startChatd(t, "-config", cfg)

	out, stderr, code := runBinary(t, "password123\n", "account", "-config", cfg, "create", "admin1")
	if code != 0 || !strings.Contains(out, "admin1") {
		t.Fatalf("account create: exit %d, %q %q", code, out, stderr)
	}
	_, stderr, code = runBinary(t, "ab\n", "account", "-config", cfg, "create", "admin2")
	if code == 0 || !strings.Contains(stderr, "too weak") {
		t.Errorf("account create with a weak password: exit %d, %q", code, stderr)
	}
	_, stderr, code = runBinary(t, "password123\n", "account", "-config", cfg, "create", "admin1")
	if code == 0 || !strings.Contains(stderr, "exists") {
		t.Errorf("account create twice: exit %d, %q", code, stderr)
	}
	// The running server notices the outside change and reloads.
	p.waitLog("store changed by another process")
	c := loginRaw(t, p.addr, "admin1", "admin1", "password123")

	// A backup while the server runs is a complete database.
	backup := filepath.Join(t.TempDir(), "copy.db")
	if out, stderr, code := runBinary(t, "", "backup", "-config", cfg, backup); code != 0 {
		t.Fatalf("backup: exit %d, %q %q", code, out, stderr)
	}
	st, err := store.Open(backup, nil)
	if err != nil {
		t.Fatal(err)
	}
	accts, err := st.Accounts()
	st.Close(false)
	if err != nil || len(accts) != 1 || accts[0].Name != "admin1" {
		t.Errorf("backup holds %+v, %v", accts, err)
	}

	// passwd, then delete: the logged-in user is logged out.
	if _, stderr, code := runBinary(t, "newpassword1\n", "account", "-config", cfg, "passwd", "admin1"); code != 0 {
		t.Fatalf("passwd: exit %d, %q", code, stderr)
	}
	if _, stderr, code := runBinary(t, "", "account", "-config", cfg, "delete", "admin1"); code != 0 {
		t.Fatalf("delete: exit %d, %q", code, stderr)
	}
	c.expect("901 after the account was deleted", hasNumeric("901"))
	if out, _, _ := runBinary(t, "", "account", "-config", cfg, "list"); out != "" {
		t.Errorf("account list after delete: %q", out)
	}
}
