package commands

import (
	"strings"
	"unicode/utf8"

	"chatd/names"
)

// validNick reports whether nick is acceptable: RFC 2812's letters, digits
// and specials ([]\`_^{|}), '-' after the first character, within max bytes.
func validNick(nick string, max int) bool {
	if nick == "" || len(nick) > max {
		return false
	}
	for i := 0; i < len(nick); i++ {
		ch := nick[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z':
		case strings.IndexByte("[]\\`_^{|}", ch) >= 0:
		case i > 0 && (ch >= '0' && ch <= '9' || ch == '-'):
		default:
			return false
		}
	}
	return true
}

// validChannel reports whether name is a channel name chatd accepts: '#'
// then at least one more character, valid UTF-8, within max bytes, with
// no comma and nothing that cannot be seen (names.Invisible: spaces,
// controls, bidirectional and other format characters), so that no two
// channels look alike by an invisible difference.
func validChannel(name string, max int) bool {
	if len(name) < 2 || len(name) > max || name[0] != '#' || !utf8.ValidString(name) || strings.IndexByte(name, ',') >= 0 {
		return false
	}
	_, invisible := names.FirstInvisible(name)
	return !invisible
}

// invisibleReason says which invisible character made what a name, or ""
// when it holds none (or is not UTF-8).
func invisibleReason(what, name string) string {
	if r, ok := names.FirstInvisible(name); ok && utf8.ValidString(name) {
		return what + ": " + names.Describe(r) + " is a space, control or invisible character"
	}
	return ""
}

// isChannel reports whether target names a channel rather than a nick.
func isChannel(target string) bool { return strings.HasPrefix(target, "#") }

// cleanUser turns USER's username into something safe to show in
// nick!user@host: no spaces, '@', '!' or controls, at most userLen bytes.
func cleanUser(user string) string {
	var b strings.Builder
	for i := 0; i < len(user) && b.Len() < userLen; i++ {
		ch := user[i]
		if ch <= ' ' || ch == '@' || ch == '!' || ch == ':' || ch >= 0x7f {
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

// userLen caps usernames (USERLEN in RPL_ISUPPORT).
const userLen = 18

// splitList splits a comma-separated parameter, dropping empty entries.
func splitList(s string) []string {
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
