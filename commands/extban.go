package commands

import (
	"strings"

	"chatd/state"
)

// Extended bans: a ban entry that starts with extbanPrefix names a
// property of the client rather than its nick!user@host, as EXTBAN=$,a in
// RPL_ISUPPORT advertises (the charybdis/solanum form). chatd has one so
// far, the account extban ($a:account, or $a alone for anyone logged
// in); other types (issue 11: a mute type, and ban and invite exceptions
// that use the same entries) add a case to parseExtban and to
// extbanMatches, and their letter to extbanTypes.
const (
	extbanPrefix = "$"
	extbanTypes  = "am"
	// extbanMute starts a mute: $m:<mask> in +b lets a matching user
	// join but not speak, and in +e exempts from such mutes.
	extbanMute = extbanPrefix + "m:"
)

// parseExtban recognises and normalises an extended ban: the type letter
// and its argument, ok false when s is not an extban at all, valid false
// when it is one chatd cannot take (an unknown type, a bad argument).
func parseExtban(s string) (mask string, ok, valid bool) {
	rest, found := strings.CutPrefix(s, extbanPrefix)
	if !found {
		return "", false, false
	}
	kind, arg, hasArg := strings.Cut(rest, ":")
	switch kind {
	case "a":
		if !hasArg {
			return "$a", true, true
		}
		if arg == "" || len(arg) > maxMaskLen || strings.ContainsFunc(arg, func(r rune) bool { return r <= ' ' || r == ',' || r == 0x7f }) {
			return "", true, false
		}
		return "$a:" + arg, true, true
	case "m":
		mask, ok := normalizeMask(arg)
		if !hasArg || !ok {
			return "", true, false
		}
		return extbanMute + mask, true, true
	}
	return "", true, false
}

// banMatches reports whether the ban entry mask applies to c: the shared
// matcher for channel bans, so that every place that checks a ban (JOIN,
// speaking, NICK while banned) understands extended bans alike.
func banMatches(mask string, c *state.Client, foldedPrefix string) bool {
	if !strings.HasPrefix(mask, extbanPrefix) {
		return wildcardMatch(state.Fold(mask), foldedPrefix)
	}
	return extbanMatches(mask, c)
}

// extbanMatches matches an extended ban (stored as parseExtban made it).
func extbanMatches(mask string, c *state.Client) bool {
	switch {
	case mask == "$a":
		return c.Account != ""
	case strings.HasPrefix(mask, "$a:"):
		return c.Account != "" && wildcardMatch(state.Fold(mask[3:]), state.Fold(state.AccountOf(c)))
	}
	return false
}
