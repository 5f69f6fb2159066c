package main

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"chatd/store"
)

// A write the store refuses (here: the database made read-only under the
// server) refuses the operation with a clear reply and a log line; chat
// goes on, and once the store works again so does registration.
func TestStoreFailureRefusesOperation(t *testing.T) {
	logs := newWatchedOutput()
	log := slog.New(slog.NewTextHandler(logs, nil))
	st, err := store.Open(filepath.Join(t.TempDir(), "chatd.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, []string{`lobby = ""`}, nil)
	d, err := startDaemon(cfg, log, withStore(st), withWorldTuning(cheapPasswords))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.stop)
	addr := d.addrs()[0].String()
	a, b := dialRaw(t, addr), dialRaw(t, addr)
	for _, c := range []*rawClient{a, b} {
		nick := map[*rawClient]string{a: "alice", b: "bob"}[c]
		c.send("NICK " + nick)
		c.send("USER " + nick + " 0 * :" + nick)
		c.expect("welcome", hasNumeric("001"))
	}
	if err := st.SetReadOnly(true); err != nil {
		t.Fatal(err)
	}
	a.send("REGISTER * * password123")
	if l := a.expect("FAIL", func(l string) bool { return strings.Contains(l, "REGISTER") }); !strings.Contains(l, "FAIL REGISTER TEMPORARILY_UNAVAILABLE alice") {
		t.Fatalf("REGISTER with a failing store: %s", l)
	}
	a.send("NS REGISTER password123")
	a.expect("NickServ's refusal", func(l string) bool { return strings.Contains(l, "could not be saved") })
	if !strings.Contains(logs.String(), "store write failed") || !strings.Contains(logs.String(), "readonly") {
		t.Errorf("the failed write was not logged:\n%s", logs.String())
	}
	// Chat goes on.
	a.send("PRIVMSG bob :still here")
	b.expect("alice's message", func(l string) bool { return strings.HasSuffix(l, "PRIVMSG bob :still here") })
	// Nothing half-made: the name is free, and registering works again.
	if err := st.SetReadOnly(false); err != nil {
		t.Fatal(err)
	}
	a.send("REGISTER * * password123")
	a.expect("REGISTER SUCCESS", func(l string) bool { return strings.Contains(l, "REGISTER SUCCESS alice") })
}
