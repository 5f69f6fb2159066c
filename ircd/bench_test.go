package ircd

import (
	"testing"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// BenchmarkClassify parses and checks one client line, as the reader does.
func BenchmarkClassify(b *testing.B) {
	line := []byte("PRIVMSG #lobby :hello, this is a fairly ordinary chat line of some length")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if in := classify(line); in.msg == nil {
			b.Fatal("not parsed")
		}
	}
}

// BenchmarkEncode validates and encodes one relayed message.
func BenchmarkEncode(b *testing.B) {
	m := &irc.Message{
		Prefix:  &irc.Prefix{Name: "alice", User: "alice", Host: "127.0.0.1"},
		Command: "PRIVMSG",
		Params:  []string{"#lobby", "hello, this is a fairly ordinary chat line of some length"},
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := state.Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}
