package main

import (
	"bytes"
	"fmt"
	"testing"
)

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		line, cmd, params string
	}{
		{":bench.test 001 b0 :Welcome to the IRC network", "001", "b0 :Welcome to the IRC network"},
		{"PING :bench.test", "PING", ":bench.test"},
		{"ERROR :Closing connection", "ERROR", ":Closing connection"},
		{"@time=2024-01-01T00:00:00Z;x=y :srv 366 b1 #bench :End of NAMES list", "366", "b1 #bench :End of NAMES list"},
		{":srv  005  b1 A B", "005", "b1 A B"},
		{"QUIT", "QUIT", ""},
		{":onlyprefix", "", ""},
		{"", "", ""},
	} {
		cmd, params := splitCommand([]byte(tc.line))
		if string(cmd) != tc.cmd || string(params) != tc.params {
			t.Errorf("splitCommand(%q) = %q, %q; want %q, %q", tc.line, cmd, params, tc.cmd, tc.params)
		}
	}
}

func TestParams(t *testing.T) {
	for _, tc := range []struct {
		params, first, trailing string
	}{
		{"b0 :Welcome to the network", "b0", "Welcome to the network"},
		{":bench.test", "bench.test", "bench.test"},
		{"b1 #bench :End of NAMES list", "b1", "End of NAMES list"},
		{"nick1 nick2", "nick1", "nick2"},
		{"single", "single", "single"},
		{"a :b :c", "a", "b :c"},
	} {
		if got := string(firstParam([]byte(tc.params))); got != tc.first {
			t.Errorf("firstParam(%q) = %q, want %q", tc.params, got, tc.first)
		}
		if got := string(trailingParam([]byte(tc.params))); got != tc.trailing {
			t.Errorf("trailingParam(%q) = %q, want %q", tc.params, got, tc.trailing)
		}
	}
}

func TestPrivmsgText(t *testing.T) {
	for _, tc := range []struct {
		line, text string
		ok         bool
	}{
		{":b1!~b1@127.0.0.2 PRIVMSG #bench :B 1700000000000000000 3 17", "B 1700000000000000000 3 17", true},
		{":b1!b1@h PRIVMSG #bench ::leading colon", ":leading colon", true},
		{"@t=1 :b1!b1@h PRIVMSG #bench :hi there", "hi there", true},
		{"PRIVMSG #bench :no prefix", "no prefix", true},
		{":b1!b1@h PRIVMSG #bench notrailing", "", false},
		{":b1!b1@h NOTICE #bench :B 1 2 3", "", false},
		{":srv 001 b1 :PRIVMSG #x :y", "", false},
		{":b1!b1@h JOIN :#bench", "", false},
		{":b1!b1@h PRIVMSGX #bench :x", "", false},
	} {
		text, ok := privmsgText([]byte(tc.line))
		if ok != tc.ok || string(text) != tc.text {
			t.Errorf("privmsgText(%q) = %q, %v; want %q, %v", tc.line, text, ok, tc.text, tc.ok)
		}
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		ts          int64
		sender, seq int
	}{
		{1700000000123456789, 0, 0},
		{1, 9, 999999},
		{9223372036854775807, 12345, 7},
	} {
		b := appendPayload(nil, tc.ts, tc.sender, tc.seq)
		want := fmt.Sprintf("B %d %d %d", tc.ts, tc.sender, tc.seq)
		if string(b) != want {
			t.Errorf("appendPayload = %q, want %q", b, want)
		}
		for _, text := range [][]byte{b, append(append([]byte(nil), b...), " xxxxxxxx"...)} {
			ts, s, q, ok := parsePayload(text)
			if !ok || ts != tc.ts || s != tc.sender || q != tc.seq {
				t.Errorf("parsePayload(%q) = %d %d %d %v", text, ts, s, q, ok)
			}
		}
	}
}

func TestParsePayloadRejects(t *testing.T) {
	for _, text := range []string{
		"", "B", "B ", "B 12", "B 12 3", "B 12 3 ", "B x 3 4", "B 12 3 4x",
		"b 12 3 4", "BB 12 3 4", "hello world",
		"B 99999999999999999999 1 2", // overflows int64
		"B 9223372036854775808 1 2",  // MaxInt64+1
	} {
		if ts, s, q, ok := parsePayload([]byte(text)); ok {
			t.Errorf("parsePayload(%q) = %d %d %d, true; want rejection", text, ts, s, q)
		}
	}
}

func TestFastPathEndToEnd(t *testing.T) {
	// What a fanout reader does with a line as a server relays it.
	payload := appendPayload(nil, 1700000000000000042, 4, 321)
	line := []byte(":b4!~b4@127.0.0.5 PRIVMSG #bench :" + string(payload) + "\r\n")
	text, ok := privmsgText(trimCRLF(line))
	if !ok {
		t.Fatal("privmsgText failed")
	}
	ts, s, q, ok := parsePayload(text)
	if !ok || ts != 1700000000000000042 || s != 4 || q != 321 {
		t.Fatalf("got %d %d %d %v", ts, s, q, ok)
	}
	if n := testing.AllocsPerRun(100, func() {
		text, _ := privmsgText(trimCRLF(line))
		parsePayload(text)
	}); n != 0 {
		t.Errorf("fast path allocates %v times per line", n)
	}
}

func TestTrimCRLF(t *testing.T) {
	for in, want := range map[string]string{"a\r\n": "a", "a\n": "a", "a": "a", "\r\n": "", "a\r\r\n": "a"} {
		if got := trimCRLF([]byte(in)); !bytes.Equal(got, []byte(want)) {
			t.Errorf("trimCRLF(%q) = %q, want %q", in, got, want)
		}
	}
}
