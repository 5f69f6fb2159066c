package commands

import (
	"reflect"
	"testing"

	"chatd/state"
)

func TestParseModeRequests(t *testing.T) {
	type r = modeRequest
	for _, tc := range []struct {
		modes string
		args  []string
		want  []modeRequest
	}{
		{"+ov-k", []string{"alice", "bob", "key"}, []r{
			{adding: true, letter: 'o', arg: "alice", hasArg: true},
			{adding: true, letter: 'v', arg: "bob", hasArg: true},
			{adding: false, letter: 'k', arg: "key", hasArg: true},
		}},
		// b without an argument is a list query; each b takes one if left.
		{"+b", nil, []r{{adding: true, letter: 'b'}}},
		{"bbb", []string{"x"}, []r{
			{adding: true, letter: 'b', arg: "x", hasArg: true},
			{adding: true, letter: 'b'},
			{adding: true, letter: 'b'},
		}},
		// l takes an argument only when set; the 5 is left unused.
		{"-l", []string{"5"}, []r{{adding: false, letter: 'l'}}},
		{"+l-l+l", []string{"5", "6"}, []r{
			{adding: true, letter: 'l', arg: "5", hasArg: true},
			{adding: false, letter: 'l'},
			{adding: true, letter: 'l', arg: "6", hasArg: true},
		}},
		// k takes one when unset too, if there is one.
		{"-k", nil, []r{{adding: false, letter: 'k'}}},
		{"+kl", []string{"secret", "10"}, []r{
			{adding: true, letter: 'k', arg: "secret", hasArg: true},
			{adding: true, letter: 'l', arg: "10", hasArg: true},
		}},
		// Flags and unknown letters take nothing, so the argument goes on
		// to the next letter that takes one.
		{"+mxo", []string{"bob"}, []r{
			{adding: true, letter: 'm'},
			{adding: true, letter: 'x'},
			{adding: true, letter: 'o', arg: "bob", hasArg: true},
		}},
		// Signs: the last one counts; none means '+'.
		{"+-+o", []string{"a"}, []r{{adding: true, letter: 'o', arg: "a", hasArg: true}}},
		{"o-o", []string{"a", "b"}, []r{
			{adding: true, letter: 'o', arg: "a", hasArg: true},
			{adding: false, letter: 'o', arg: "b", hasArg: true},
		}},
		{"+o", nil, []r{{adding: true, letter: 'o'}}},
		{"+-", []string{"a"}, nil},
		{"", nil, nil},
		// The deop-and-moderate line of the self-deop bug: parsing keeps
		// every letter; the privilege check is the applier's.
		{"-o+m", []string{"me"}, []r{
			{adding: false, letter: 'o', arg: "me", hasArg: true},
			{adding: true, letter: 'm'},
		}},
		// Non-ASCII letters are kept whole, for 472 to name.
		{"+é", nil, []r{{adding: true, letter: 'é'}}},
	} {
		got := parseModeRequests(tc.modes, tc.args)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseModeRequests(%q, %q) =\n  %+v\nwant\n  %+v", tc.modes, tc.args, got, tc.want)
		}
	}
}

func TestParseCapRequest(t *testing.T) {
	caps := func(cs ...state.Cap) state.CapSet {
		var s state.CapSet
		for _, c := range cs {
			s = s.With(c, true)
		}
		return s
	}
	for _, tc := range []struct {
		name       string
		have       state.CapSet
		req        string
		lockNotify bool
		want       state.CapSet
		ok         bool
	}{
		{"one", 0, "multi-prefix", false, caps(state.CapMultiPrefix), true},
		{"several", 0, "multi-prefix server-time echo-message", false,
			caps(state.CapMultiPrefix, state.CapServerTime, state.CapEchoMessage), true},
		{"extra spaces", 0, "  multi-prefix   setname ", false, caps(state.CapMultiPrefix, state.CapSetname), true},
		{"remove", caps(state.CapMultiPrefix, state.CapSetname), "-multi-prefix", false, caps(state.CapSetname), true},
		{"add and remove", caps(state.CapSetname), "-setname message-tags", false, caps(state.CapMessageTags), true},
		{"repeated", 0, "setname setname", false, caps(state.CapSetname), true},
		// All or nothing: one unknown name refuses the lot.
		{"unknown", caps(state.CapSetname), "multi-prefix nonsense", false, caps(state.CapSetname), false},
		{"case matters", 0, "Multi-Prefix", false, 0, false},
		{"empty", caps(state.CapSetname), "", false, caps(state.CapSetname), false},
		{"only spaces", 0, "   ", false, 0, false},
		{"lone minus", 0, "-", false, 0, false},
		{"value not allowed", 0, "multi-prefix=1", false, 0, false},
		// cap-notify is for good after CAP LS 302.
		{"drop cap-notify before 302", caps(state.CapCapNotify), "-cap-notify", false, 0, true},
		{"drop cap-notify after 302", caps(state.CapCapNotify), "-cap-notify", true, caps(state.CapCapNotify), false},
		{"keep cap-notify after 302", caps(state.CapCapNotify), "cap-notify", true, caps(state.CapCapNotify), true},
	} {
		got, ok := parseCapRequest(tc.have, tc.req, tc.lockNotify)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: parseCapRequest(%v, %q, %v) = %v, %v; want %v, %v", tc.name, tc.have, tc.req, tc.lockNotify, got, ok, tc.want, tc.ok)
		}
	}
}
