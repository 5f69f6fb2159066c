package cluster

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"chatd/conf"
	"chatd/state"

	"gopkg.in/irc.v4"
)

// TestCodecRoundTrip: every event type the log carries comes back from
// its encoding as it went in (Connect's node-local Outbox aside), and
// eventTypes names each one.
func TestCodecRoundTrip(t *testing.T) {
	at := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	events := []state.Event{
		state.Connect{ID: 7, Addr: netip.MustParseAddr("2001:db8::1"), TLS: true, CertFP: "ab12"},
		state.Line{ID: 7, Msg: irc.MustParseMessage("@label=x;+typing=active :me PRIVMSG #a :hi there  ")},
		state.Line{ID: 7, Msg: irc.MustParseMessage("PRIVMSG #a :")},
		state.BadLine{ID: 7, Problem: state.LineTooLong, Command: "PRIVMSG", Label: "l1"},
		state.Gone{ID: 7, Reason: "Connection closed", Force: true},
		state.Result{Key: 3, Data: []byte{}},
		state.Result{Key: 4, Data: []byte{0, 1, 2}},
		state.Step{ID: 7, N: 2},
		state.ConfigChange{Config: conf.Default()},
		state.StoreChange{Accounts: []state.Account{{Name: "a", Created: at}}},
		state.NodeUp{Info: "x"},
		state.Tick{},
		state.NodeDown{Reason: "bye"},
		state.Seed{Klines: []state.Kline{{Mask: "a!*@*", SetAt: at}}, HistoryFloor: 9},
	}
	seen := map[string]bool{}
	for _, ev := range events {
		data, err := encode(envelope{Node: "n", Epoch: 2, LSeq: 3}, ev)
		if err != nil {
			t.Fatal(err)
		}
		env, got, err := decode(data)
		if err != nil {
			t.Fatal(err)
		}
		seen[env.Type] = true
		if env.Node != "n" || env.Epoch != 2 || env.LSeq != 3 {
			t.Errorf("%T: envelope %+v", ev, env)
		}
		if !reflect.DeepEqual(got, ev) {
			t.Errorf("%T: got %#v, want %#v", ev, got, ev)
		}
	}
	for name := range eventTypes {
		if !seen[name] {
			t.Errorf("event type %q is not in this test", name)
		}
	}
}
