package state

import (
	"io"
	"log/slog"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"chatd/conf"

	"gopkg.in/irc.v4"
)

// TestSnapshotFields: every field of the world's types says whether it is
// in a snapshot, derived, transient or node-local (state/fields.go), and
// the table names no field that does not exist.
func TestSnapshotFields(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range fieldTypes {
		typ := reflect.TypeOf(v)
		for i := 0; i < typ.NumField(); i++ {
			name := typ.Name() + "." + typ.Field(i).Name
			seen[name] = true
			if _, ok := fieldKinds[name]; !ok {
				t.Errorf("%s is not in state/fields.go: say whether a snapshot keeps it (and add it to state/snapshot.go), or why it is derived, transient or node-local", name)
			}
		}
	}
	for name := range fieldKinds {
		if !seen[name] {
			t.Errorf("state/fields.go lists %s, which does not exist", name)
		}
	}
}

// snapWorld is a world with clients, channels and the rest, built by
// calling the mutation methods directly.
func snapWorld(t *testing.T) *World {
	t.Helper()
	w := New(conf.Default(), func(*World, *Client, *irc.Message) {}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w.clock = func() time.Time { return at }
	w.Started = at
	for i, nick := range []string{"alice", "Bob", "carol[x]", ""} {
		w.Replay(Stamped{Stamp: Stamp{Seq: w.seq + 1, Time: at.Add(time.Duration(i) * time.Second)}, Event: Connect{ID: ClientID(i + 1), Addr: netip.MustParseAddr("192.0.2.1")}})
		c := w.clients[ClientID(i+1)]
		if nick == "" {
			continue
		}
		w.SetNick(c, nick)
		c.User, c.Realname = "u"+nick, "Real "+nick
		w.Register(c)
	}
	a, b, cc := w.clients[1], w.clients[2], w.clients[3]
	w.SetUserModes(a, UserInvisible|UserOper)
	ch := w.CreateChannel("#Lobby")
	w.AddMember(ch, a, Membership{Op: true})
	w.AddMember(ch, b, Membership{Voice: true})
	ch.Bans = append(ch.Bans, ListEntry{Mask: "x!*@*", SetBy: "alice", SetAt: at})
	priv := w.CreateChannel("#priv")
	w.AddMember(priv, b, Membership{Op: true})
	w.Invite(priv, cc)
	w.Monitor(cc, "alice")
	w.Monitor(cc, "Nobody")
	w.AddAccount(Account{Name: "alice", PasswordHash: "h", Certs: []string{"ab"}, Created: at})
	w.Login(a, "alice")
	w.RegisterChannel(priv, "alice", at)
	w.ReserveAccountName("zed")
	w.AddKline(Kline{Mask: "bad!*@*", Reason: "r", SetBy: "alice", SetAt: at})
	w.SetAway(b, "lunch")
	w.SetNick(b, "bobby") // Bob goes to WHOWAS
	w.GuestNick()
	w.NewBatchRef()
	w.nodes["n1.test"] = &Node{Name: "n1.test", Epoch: 3, Started: at, LastTick: at}
	return w
}

func TestSnapshotRoundTrip(t *testing.T) {
	w := snapWorld(t)
	data, err := w.TakeSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	r := New(conf.Default(), func(*World, *Client, *irc.Message) {}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := r.RestoreSnapshot(data); err != nil {
		t.Fatal(err)
	}
	want, got := w.Dump(), r.Dump()
	if want != got {
		t.Fatalf("restored world differs:\n%s", diffLines(want, got))
	}
	again, err := r.TakeSnapshot()
	if err != nil || string(again) != string(data) {
		t.Fatalf("snapshot of the restored world differs (%v):\n%s", err, diffLines(string(data), string(again)))
	}
	for _, must := range []string{`world.clients[1].Nick = "alice"`, `client#3`, `world.watchers[alice][client#3]`, `world.pending[zed]`} {
		if !strings.Contains(want, must) {
			t.Errorf("dump lacks %q:\n%s", must, want)
		}
	}
}

// TestSnapshotNeedsQuiescence: a world whose client waits for slow work
// cannot be a snapshot (its continuation is code).
func TestSnapshotNeedsQuiescence(t *testing.T) {
	w := snapWorld(t)
	w.mode = Replica
	w.Offload(w.clients[1], func() []byte { return nil }, func(*World, []byte) {})
	if _, err := w.TakeSnapshot(); err != ErrNotQuiescent {
		t.Fatalf("TakeSnapshot = %v, want ErrNotQuiescent", err)
	}
}

// TestDumpShowsEveryDifference: worlds that differ in any one field dump
// differently, a change of map order or index shape does not.
func TestDumpShowsEveryDifference(t *testing.T) {
	a, b := snapWorld(t), snapWorld(t)
	if a.Dump() != b.Dump() {
		t.Fatalf("equal worlds dump differently:\n%s", diffLines(a.Dump(), b.Dump()))
	}
	b.clients[3].Realname = "changed"
	if a.Dump() == b.Dump() {
		t.Fatal("a changed realname does not show")
	}
	b = snapWorld(t)
	b.Channel("#lobby").members[b.clients[2]].Voice = false
	if a.Dump() == b.Dump() {
		t.Fatal("a changed membership does not show")
	}
	b = snapWorld(t)
	b.batchCount++
	if a.Dump() == b.Dump() {
		t.Fatal("a changed counter does not show")
	}
}

// diffLines shows the lines of two dumps that differ.
func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	in := map[string]int{}
	for _, l := range bl {
		in[l]++
	}
	var out []string
	for _, l := range al {
		if in[l] > 0 {
			in[l]--
			continue
		}
		out = append(out, "- "+l)
	}
	for _, l := range bl {
		if in[l] > 0 {
			out = append(out, "+ "+l)
			in[l]--
		}
	}
	if len(out) > 40 {
		out = append(out[:40], "...")
	}
	return strings.Join(out, "\n")
}
