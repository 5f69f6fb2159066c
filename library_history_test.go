package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircmsg"
)

// TestLibraryChathistory reads history through a third-party client
// library's own API: ircevent's GetLabeledResponse sends CHATHISTORY with
// a label and hands back the chathistory batch the reply is, whose lines
// must be the messages as first sent, with their msgid and server-time.
func TestLibraryChathistory(t *testing.T) {
	d, _ := startTestDaemon(t, []string{`lobby = ""`}, []string{"[flood]", "enabled = false"})
	addr := d.addrs()[0].String()
	reader := newLibClient(t, addr, "reader", "batch", "labeled-response", "server-time", "message-tags", "draft/chathistory")
	writer := newLibClient(t, addr, "writer")
	const channel = "#history"
	if err := reader.conn.Join(channel); err != nil {
		t.Fatal(err)
	}
	reader.expect("own JOIN", isJoin("reader", channel))
	if err := writer.conn.Join(channel); err != nil {
		t.Fatal(err)
	}
	writer.expect("own JOIN", isJoin("writer", channel))

	// The live messages, with the msgid and time the reader saw them with.
	var live []ircmsg.Message
	for i := range 5 {
		text := fmt.Sprintf("message %d", i)
		if err := writer.conn.Privmsg(channel, text); err != nil {
			t.Fatal(err)
		}
		live = append(live, reader.expect("live "+text, isPrivmsg("writer", channel, text)))
	}

	batch, err := reader.conn.GetLabeledResponse(nil, "CHATHISTORY", "LATEST", channel, "*", "10")
	if err != nil {
		t.Fatal(err)
	}
	if batch == nil || batch.Command != "BATCH" || len(batch.Params) < 3 || batch.Params[1] != "chathistory" || batch.Params[2] != channel {
		t.Fatalf("CHATHISTORY LATEST answered with %+v, want a chathistory batch for %s", batch, channel)
	}
	if len(batch.Items) != len(live) {
		t.Fatalf("the batch holds %d lines, want the %d messages", len(batch.Items), len(live))
	}
	for i, item := range batch.Items {
		got, want := item.Message, live[i]
		_, gotID := got.GetTag("msgid")
		_, wantID := want.GetTag("msgid")
		_, gotTime := got.GetTag("time")
		_, wantTime := want.GetTag("time")
		if got.Command != "PRIVMSG" || got.Nick() != "writer" || got.Params[1] != want.Params[1] || gotID != wantID || gotTime != wantTime || gotID == "" {
			t.Errorf("line %d of the batch is %v %v (msgid %q, time %q); it was sent as %v (msgid %q, time %q)",
				i, got.Command, got.Params, gotID, gotTime, want.Params, wantID, wantTime)
		}
	}

	// Paging back from a msgid the library saw.
	_, third := live[2].GetTag("msgid")
	batch, err = reader.conn.GetLabeledResponse(nil, "CHATHISTORY", "BEFORE", channel, "msgid="+third, "10")
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, item := range batch.Items {
		texts = append(texts, item.Params[1])
	}
	if strings.Join(texts, "|") != "message 0|message 1" {
		t.Fatalf("BEFORE the third message: %q", texts)
	}
}

// TestLibraryRedact deletes a message through the library: the labeled
// REDACT comes back as its echo (echo-message), the other member with
// the capability sees the REDACT, and CHATHISTORY no longer has it.
func TestLibraryRedact(t *testing.T) {
	d, _ := startTestDaemon(t, []string{`lobby = ""`}, []string{"[flood]", "enabled = false"})
	addr := d.addrs()[0].String()
	caps := []string{"batch", "labeled-response", "message-tags", "echo-message", "draft/chathistory", "draft/message-redaction"}
	op := newLibClient(t, addr, "op", caps...)
	member := newLibClient(t, addr, "member", caps...)
	const channel = "#redact"
	if err := op.conn.Join(channel); err != nil {
		t.Fatal(err)
	}
	op.expect("own JOIN", isJoin("op", channel))
	if err := member.conn.Join(channel); err != nil {
		t.Fatal(err)
	}
	member.expect("own JOIN", isJoin("member", channel))
	var ids []string
	for _, text := range []string{"keep", "spam"} {
		if err := member.conn.Privmsg(channel, text); err != nil {
			t.Fatal(err)
		}
		m := op.expect(text, isPrivmsg("member", channel, text))
		_, id := m.GetTag("msgid")
		ids = append(ids, id)
	}
	redacted := make(chan ircmsg.Message, 1)
	member.conn.AddCallback("REDACT", func(m ircmsg.Message) { redacted <- m })

	reply, err := op.conn.GetLabeledResponse(nil, "REDACT", channel, ids[1], "no spam please")
	if err != nil {
		t.Fatal(err)
	}
	if reply == nil || reply.Command != "REDACT" || reply.Nick() != "op" || len(reply.Params) != 3 || reply.Params[1] != ids[1] || reply.Params[2] != "no spam please" {
		t.Fatalf("labeled REDACT answered with %+v, want its echo", reply)
	}
	select {
	case m := <-redacted:
		if m.Nick() != "op" || m.Params[0] != channel || m.Params[1] != ids[1] {
			t.Fatalf("the member was sent %v", m)
		}
	case <-time.After(libraryTimeout):
		t.Fatal("the member was not sent the REDACT")
	}
	batch, err := op.conn.GetLabeledResponse(nil, "CHATHISTORY", "LATEST", channel, "*", "10")
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Items) != 1 || batch.Items[0].Params[1] != "keep" {
		t.Fatalf("history after the REDACT holds %d lines (%+v), want only %q", len(batch.Items), batch.Items, "keep")
	}
}
