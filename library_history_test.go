package main

import (
	"fmt"
	"strings"
	"testing"

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
