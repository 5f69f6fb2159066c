package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircevent"
)

// TestLibraryMultiline sends a multiline message with a third-party client
// library's own API (ircevent: SendWithLabel opens the batch, SendWithTags
// sends its lines, Send ends it) and reads it back with the same library:
// the sender's labeled reply is the echo, one draft/multiline batch; a
// reader with the capability gets one batch (AddBatchCallback) whose lines
// join into the message; a reader without it gets the lines that are not
// blank as PRIVMSGs.
func TestLibraryMultiline(t *testing.T) {
	d, _ := startTestDaemon(t, []string{`lobby = ""`}, []string{"[flood]", "enabled = false"})
	addr := d.addrs()[0].String()
	sender := newLibClient(t, addr, "sender", "batch", "labeled-response", "echo-message", "message-tags", "draft/multiline")
	reader := newLibClient(t, addr, "reader", "batch", "draft/multiline")
	plain := newLibClient(t, addr, "plain")
	batches := make(chan *ircevent.Batch, 4)
	reader.conn.AddBatchCallback(func(b *ircevent.Batch) bool {
		if len(b.Params) >= 2 && b.Params[1] == "draft/multiline" {
			batches <- b
			return true
		}
		return false
	})
	const channel = "#paste"
	for _, c := range []*libClient{sender, reader, plain} {
		if err := c.conn.Join(channel); err != nil {
			t.Fatal(err)
		}
		c.expect("own JOIN", isJoin(c.nick, channel))
	}

	echo := make(chan *ircevent.Batch, 1)
	if err := sender.conn.SendWithLabel(func(b *ircevent.Batch) { echo <- b }, nil, "BATCH", "+p1", "draft/multiline", channel); err != nil {
		t.Fatal(err)
	}
	lines := []struct {
		text   string
		concat bool
	}{{"func main() {", false}, {"", false}, {"\tfmt.Println(\"hello, ", false}, {"world\")", true}, {"}", false}}
	for _, l := range lines {
		tags := map[string]string{"batch": "p1"}
		if l.concat {
			tags["draft/multiline-concat"] = ""
		}
		if err := sender.conn.SendWithTags(tags, "PRIVMSG", channel, l.text); err != nil {
			t.Fatal(err)
		}
	}
	if err := sender.conn.Send("BATCH", "-p1"); err != nil {
		t.Fatal(err)
	}
	const want = "func main() {\n\n\tfmt.Println(\"hello, world\")\n}"

	joined := func(b *ircevent.Batch) string {
		var sb strings.Builder
		for i, item := range b.Items {
			if concat, _ := item.GetTag("draft/multiline-concat"); i > 0 && !concat {
				sb.WriteByte('\n')
			}
			sb.WriteString(item.Params[1])
		}
		return sb.String()
	}
	for _, who := range []struct {
		name string
		ch   chan *ircevent.Batch
	}{{"sender's echo", echo}, {"reader", batches}} {
		select {
		case b := <-who.ch:
			if b.Command != "BATCH" || len(b.Params) < 3 || b.Params[2] != channel || b.Nick() != "sender" {
				t.Fatalf("%s: got %v %v from %q, want a draft/multiline batch for %s from sender", who.name, b.Command, b.Params, b.Nick(), channel)
			}
			if got := joined(b); got != want || len(b.Items) != len(lines) {
				t.Errorf("%s: the batch's %d lines join into %q, want %d lines making %q", who.name, len(b.Items), got, len(lines), want)
			}
		case <-time.After(libraryTimeout):
			t.Fatalf("%s: no multiline batch", who.name)
		}
	}
	for _, text := range []string{"func main() {", "\tfmt.Println(\"hello, ", "world\")", "}"} {
		plain.expect("fallback line "+text, isPrivmsg("sender", channel, text))
	}
}
