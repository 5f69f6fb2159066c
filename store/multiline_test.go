package store

import (
	"reflect"
	"testing"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// A multiline message's lines are stored with it and read back as sent:
// blank lines, concat lines, one line, and an ordinary message (whose
// stored form is what it always was) alike.
func TestMultilineEntryRoundTrip(t *testing.T) {
	prefix := &irc.Prefix{Name: "a", User: "a", Host: "h"}
	msg := func(text string) *irc.Message {
		return &irc.Message{Prefix: prefix, Command: "PRIVMSG", Params: []string{"#c", text}}
	}
	for _, lines := range [][]state.BatchLine{
		nil,
		{{Text: "only"}},
		{{Text: "first"}, {Text: ""}, {Text: "second "}, {Text: "half", Concat: true}},
		{{Text: ""}, {Text: "-starts with a dash"}, {Text: "+and a plus", Concat: true}},
	} {
		first := "plain"
		if len(lines) > 0 {
			first = lines[0].Text
		}
		e := &state.HistoryEntry{Ord: 1 << 20, Kind: state.KindMessage, Msg: msg(first), Tags: irc.Tags{"+draft/reply": "x"}, Lines: lines}
		line := encodeEntry(e)
		if lines == nil && line != "@+draft/reply=x :a!a@h PRIVMSG #c plain" {
			t.Errorf("an ordinary message is stored as %q", line)
		}
		got, err := decodeEntry(int64(e.Ord), int(e.Kind), "", false, line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if !reflect.DeepEqual(got.Lines, e.Lines) || got.Msg.Param(1) != first || got.Tags["+draft/reply"] != "x" {
			t.Errorf("%q read back as lines %+v, text %q, tags %v; want %+v, %q", line, got.Lines, got.Msg.Param(1), got.Tags, e.Lines, first)
		}
	}
}
