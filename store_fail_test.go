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

// A REDACT the store cannot save is refused (FAIL REDACT INTERNAL_ERROR),
// nobody is told of it and the message stays in history; once the store
// works again the same REDACT goes through.
func TestStoreFailureRefusesRedact(t *testing.T) {
	logs := newWatchedOutput()
	log := slog.New(slog.NewTextHandler(logs, nil))
	st, err := store.Open(filepath.Join(t.TempDir(), "chatd.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, []string{`lobby = ""`}, []string{"[history]", "replay_lines = 0"})
	d, err := startDaemon(cfg, log, withStore(st), withWorldTuning(cheapPasswords))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.stop)
	addr := d.addrs()[0].String()
	a, b := dialRaw(t, addr), dialRaw(t, addr)
	for _, c := range []*rawClient{a, b} {
		nick := map[*rawClient]string{a: "alice", b: "bob"}[c]
		c.send("CAP REQ :batch message-tags echo-message draft/chathistory draft/message-redaction")
		c.send("NICK " + nick)
		c.send("USER " + nick + " 0 * :" + nick)
		c.send("CAP END")
		c.expect("welcome", hasNumeric("001"))
		c.send("JOIN #c")
		c.expect("NAMES", hasNumeric("366"))
	}
	a.send("PRIVMSG #c :keep me")
	msgid := tagValue(a.expect("the echo", func(l string) bool { return strings.HasSuffix(l, " PRIVMSG #c :keep me") }), "msgid")
	b.expect("alice's message", func(l string) bool { return strings.HasSuffix(l, " PRIVMSG #c :keep me") })
	// A REDACT that works has the store commit the rows before it: "keep
	// me" is in the file.
	a.send("PRIVMSG #c :take me back")
	other := tagValue(a.expect("the echo", func(l string) bool { return strings.HasSuffix(l, " PRIVMSG #c :take me back") }), "msgid")
	a.send("REDACT #c " + other)
	a.expect("the echo", func(l string) bool { return strings.HasSuffix(l, " REDACT #c "+other) })
	b.expect("the REDACT", func(l string) bool { return strings.HasSuffix(l, " REDACT #c "+other) })
	if err := st.SetReadOnly(true); err != nil {
		t.Fatal(err)
	}
	a.send("REDACT #c " + msgid)
	if l := a.expect("the answer", func(l string) bool { return strings.Contains(l, "REDACT") }); !strings.Contains(l, "FAIL REDACT INTERNAL_ERROR #c "+msgid) {
		t.Fatalf("REDACT with a failing store: %s", l)
	}
	if got := readHistory(a, "#c", 10); len(got) != 1 || got[0] != "keep me" {
		t.Fatalf("after a failed REDACT the history holds %q", got)
	}
	if err := st.SetReadOnly(false); err != nil {
		t.Fatal(err)
	}
	a.send("REDACT #c " + msgid)
	a.expect("the echo", func(l string) bool { return strings.HasSuffix(l, " REDACT #c "+msgid) })
	// bob hears of the one that worked only (the refused one would come
	// first).
	if l := b.expect("the REDACT", func(l string) bool { return strings.Contains(l, " REDACT ") }); !strings.HasSuffix(l, " REDACT #c "+msgid) {
		t.Fatalf("bob was sent %q", l)
	}
	if got := readHistory(a, "#c", 10); len(got) != 0 {
		t.Fatalf("after the REDACT the history holds %q", got)
	}
}
