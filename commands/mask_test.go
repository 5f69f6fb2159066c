package commands

import (
	"strings"
	"testing"
)

func TestNormalizeMask(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" means refused
	}{
		{"nick", "nick!*@*"},
		{"nick!user@host", "nick!user@host"},
		{"nick!user", "nick!user@*"},
		{"nick!", "nick!*@*"},
		{"user@host", "*!user@host"},
		{"@host", "*!*@host"},
		{"user@", "*!user@*"},
		{"127.0.0.1", "*!*@127.0.0.1"},
		{"*.example.org", "*!*@*.example.org"},
		{"2001:db8::1", "*!*@2001:db8::1"},
		{"0::1", "*!*@0::1"},
		{"*@10.0.0.1", "*!*@10.0.0.1"},
		{"*", "*!*@*"},
		{"!", "*!*@*"},
		{"@", "*!*@*"},
		{"?ar!*@*.example", "?ar!*@*.example"},
		{"n!u@h@x", ""}, // '@' in the user part
		{"a!b!c", ""},   // two '!'
		{"x@y!z", ""},   // nick part holds '@'
		{"", ""},        // empty
		{":x", ""},      // would read as a trailing parameter
		{"a b", ""},     // space
		{"a,b", ""},     // comma: a list separator
		{"a\x01b", ""},  // control
		{"a\x7fb", ""},  // DEL
		{strings.Repeat("a", 196), strings.Repeat("a", 196) + "!*@*"},
		{strings.Repeat("a", 197), ""}, // 201 bytes once completed
	} {
		got, ok := normalizeMask(tc.in)
		if tc.want == "" {
			if ok {
				t.Errorf("normalizeMask(%q) = %q, want it refused", tc.in, got)
			}
			continue
		}
		if !ok || got != tc.want {
			t.Errorf("normalizeMask(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		mask, s string
		want    bool
	}{
		{"*!*@127.0.0.1", "bob!bob@127.0.0.1", true},
		{"*!*@127.0.0.1", "bob!bob@127.0.0.10", false},
		{"*!*@127.0.0.*", "bob!bob@127.0.0.10", true},
		{"b?b!*@*", "bob!x@y", true},
		{"b?b!*@*", "bb!x@y", false},
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"127.0.0.1!*@*", "bob!bob@127.0.0.1", false}, // what the old completion stored
	} {
		if got := wildcardMatch(tc.mask, tc.s); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tc.mask, tc.s, got, tc.want)
		}
	}
}
