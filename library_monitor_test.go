package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"
)

// TestLibraryMonitor uses MONITOR and labeled-response through a
// third-party client library's own API: GetLabeledResponse for each
// MONITOR subcommand (one labeled line, a labeled-response batch, or ACK
// for a command that answers nothing), and the library's callbacks for
// the 730/731 notices that arrive unasked when a watched nick comes and
// goes.
func TestLibraryMonitor(t *testing.T) {
	d, _ := startTestDaemon(t, []string{`lobby = ""`}, []string{"[flood]", "enabled = false"})
	addr := d.addrs()[0].String()
	watcher := newLibClient(t, addr, "watcher", "batch", "labeled-response")
	online, offline := make(chan ircmsg.Message, 8), make(chan ircmsg.Message, 8)
	watcher.conn.AddCallback("730", func(m ircmsg.Message) { online <- m })
	watcher.conn.AddCallback("731", func(m ircmsg.Message) { offline <- m })

	// lines flattens a labeled reply: one line, or the lines of its batch.
	lines := func(b *ircevent.Batch) []ircmsg.Message {
		if b.Command != "BATCH" {
			return []ircmsg.Message{b.Message}
		}
		var out []ircmsg.Message
		for _, item := range b.Items {
			out = append(out, item.Message)
		}
		return out
	}
	// targets lists the nicks a 730-734 line names, in order.
	targets := func(ms []ircmsg.Message, numeric string) []string {
		var out []string
		for _, m := range ms {
			if m.Command == numeric {
				for _, target := range strings.Split(m.Params[len(m.Params)-1], ",") {
					nick, _, _ := strings.Cut(target, "!")
					out = append(out, nick)
				}
			}
		}
		return out
	}

	reply, err := watcher.conn.GetLabeledResponse(nil, "MONITOR", "+", "friend,Other")
	if err != nil {
		t.Fatal(err)
	}
	if got := targets(lines(reply), "731"); !slices.Equal(got, []string{"friend", "Other"}) {
		t.Fatalf("MONITOR + of two absent nicks answered %+v (offline: %q)", lines(reply), got)
	}

	reply, err = watcher.conn.GetLabeledResponse(nil, "MONITOR", "L")
	if err != nil {
		t.Fatal(err)
	}
	if reply.Command != "BATCH" || len(reply.Params) < 2 || reply.Params[1] != "labeled-response" {
		t.Fatalf("MONITOR L (a list and its end) answered %+v, want a labeled-response batch", reply.Message)
	}
	listed := targets(lines(reply), "732")
	slices.Sort(listed)
	if !slices.Equal(listed, []string{"Other", "friend"}) || lines(reply)[len(reply.Items)-1].Command != "733" {
		t.Fatalf("MONITOR L answered %+v", lines(reply))
	}

	reply, err = watcher.conn.GetLabeledResponse(nil, "MONITOR", "-", "Other")
	if err != nil {
		t.Fatal(err)
	}
	if reply.Command != "ACK" {
		t.Fatalf("MONITOR - (which answers nothing) answered %+v, want ACK", reply.Message)
	}

	await := func(what string, ch <-chan ircmsg.Message, nick string) {
		t.Helper()
		select {
		case m := <-ch:
			if got := targets([]ircmsg.Message{m}, m.Command); !slices.Equal(got, []string{nick}) {
				t.Fatalf("%s: got %v", what, m)
			}
		case <-time.After(libraryTimeout):
			t.Fatalf("%s: no notice", what)
		}
	}
	friend := newLibClient(t, addr, "friend")
	await("friend connects", online, "friend")
	friend.conn.Quit()
	await("friend quits", offline, "friend")

	// Other was taken off the list: its coming is not told.
	other := newLibClient(t, addr, "Other")
	other.conn.Quit()
	reply, err = watcher.conn.GetLabeledResponse(nil, "MONITOR", "S")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-online:
		t.Fatalf("a nick taken off the list was told: %v", m)
	default:
	}
	if got := targets(lines(reply), "731"); !slices.Equal(got, []string{"friend"}) || len(targets(lines(reply), "730")) != 0 {
		t.Fatalf("MONITOR S answered %+v", lines(reply))
	}
}
