package state

import (
	"io"
	"log/slog"
	"slices"
	"testing"

	"chatd/conf"

	"gopkg.in/irc.v4"
)

// TestAccountClientsFollowsSessions: the account index follows logins,
// logouts, quits and a snapshot's restore, whatever the name's case.
func TestAccountClientsFollowsSessions(t *testing.T) {
	w := snapWorld(t) // alice (client 1) is logged in to "alice"
	ids := func(w *World, name string) []ClientID {
		var out []ClientID
		for _, c := range w.AccountClients(name) {
			out = append(out, c.ID)
		}
		return out
	}
	want := func(w *World, name string, expect ...ClientID) {
		t.Helper()
		if got := ids(w, name); !slices.Equal(got, expect) {
			t.Fatalf("AccountClients(%q) = %v, want %v", name, got, expect)
		}
	}
	a, b, c := w.clients[1], w.clients[2], w.clients[3]
	w.AddAccount(Account{Name: "bob"})
	w.Login(b, "alice")
	want(w, "ALICE", 1, 2)

	data, err := w.TakeSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	r := New(conf.Default(), func(*World, *Client, *irc.Message) {}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := r.RestoreSnapshot(data); err != nil {
		t.Fatal(err)
	}
	want(r, "alice", 1, 2)

	w.Logout(b)
	want(w, "alice", 1)
	w.Login(c, "bob")
	w.Login(c, "alice") // from one account to another
	want(w, "bob")
	want(w, "alice", 1, 3)
	w.Quit(a, "bye")
	want(w, "alice", 3)
	w.Quit(c, "bye")
	want(w, "alice")
	if len(w.byAccount) != 0 {
		t.Fatalf("byAccount keeps %d empty entries", len(w.byAccount))
	}
}
