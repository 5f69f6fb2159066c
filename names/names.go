// Package names holds chatd's rule for the characters that may not appear
// in nicknames and channel names because they cannot be seen: control and
// format characters (bidirectional controls, zero-width spaces and
// joiners), separators other than a plain space, and the other default-
// ignorable code points. "#lobby" followed by U+200B looks exactly like
// "#lobby"; a right-to-left override makes a name read backwards.
//
// It imports nothing of chatd's, so that conf (validating server.lobby)
// and commands (NICK, JOIN) apply the same rule. Its functions are pure
// and safe from any goroutine.
package names

import (
	"fmt"
	"unicode"
)

// brailleBlank (U+2800) is a symbol in Unicode's categories but shows as
// nothing; it is a favourite invisible filler.
const brailleBlank = '\u2800'

// Invisible reports whether r may not appear in a name: a control (Cc) or
// format (Cf, which holds the bidirectional controls, ZWSP, ZWJ, ZWNJ and
// the BOM) character, a private-use (Co) or surrogate (Cs) code point, any
// separator (Z*: no-break and ideographic spaces, line and paragraph
// separators), a variation selector, another default-ignorable code point
// (the Hangul fillers, U+034F combining grapheme joiner), a noncharacter,
// or U+2800 BRAILLE PATTERN BLANK.
func Invisible(r rune) bool {
	return r == brailleBlank || unicode.In(r,
		unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Z,
		unicode.Bidi_Control, unicode.Join_Control, unicode.Variation_Selector,
		unicode.Other_Default_Ignorable_Code_Point, unicode.Noncharacter_Code_Point)
}

// FirstInvisible returns the first rune of s that Invisible refuses.
func FirstInvisible(s string) (rune, bool) {
	for _, r := range s {
		if Invisible(r) {
			return r, true
		}
	}
	return 0, false
}

// Describe names a code point for people: "U+200B".
func Describe(r rune) string { return fmt.Sprintf("U+%04X", r) }
