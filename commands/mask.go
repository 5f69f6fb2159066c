package commands

import "strings"

// Masks name who a channel ban (+b) or a K-line applies to: nick!user@host
// with '*' for any run of characters and '?' for one. Both are completed by
// normalizeMask when they are set, so that what is stored, listed and
// matched is always the full three-part form.

// maxMaskLen bounds a completed mask; nick!user@host is at most about 115
// bytes here (NICKLEN, USERLEN, HOSTLEN), so a longer mask could never
// match anyone.
const maxMaskLen = 200

// normalizeMask completes s to nick!user@host by the usual rules:
//
//	nick!user@host  as it is
//	nick!user       nick!user@*
//	user@host       *!user@host
//	host.name, ::1  *!*@host.name, *!*@::1 (a '.' or ':' means a host;
//	                nicks can hold neither)
//	nick            nick!*@*
//
// and an empty part becomes '*'. It reports false for what cannot be a
// mask: empty, starting with ':', holding a space, comma or control
// character, a second '!' or '@' in the wrong place, or longer than
// maxMaskLen once completed.
func normalizeMask(s string) (string, bool) {
	if s == "" || s[0] == ':' || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == ',' || r == 0x7f }) {
		return "", false
	}
	nick, user, host := "", "", ""
	if bang := strings.IndexByte(s, '!'); bang >= 0 {
		nick, user = s[:bang], s[bang+1:]
		if at := strings.LastIndexByte(user, '@'); at >= 0 {
			user, host = user[:at], user[at+1:]
		}
	} else if at := strings.LastIndexByte(s, '@'); at >= 0 {
		user, host = s[:at], s[at+1:]
	} else if strings.ContainsAny(s, ".:") {
		host = s
	} else {
		nick = s
	}
	if strings.ContainsAny(nick, "!@") || strings.ContainsAny(user, "!@") || strings.ContainsAny(host, "!@") {
		return "", false
	}
	mask := orStar(nick) + "!" + orStar(user) + "@" + orStar(host)
	if len(mask) > maxMaskLen {
		return "", false
	}
	return mask, true
}

func orStar(part string) string {
	if part == "" {
		return "*"
	}
	return part
}

// wildcardMatch matches s against a mask where '*' is any run and '?' any
// one byte.
func wildcardMatch(mask, s string) bool {
	star, starS := -1, 0
	i, j := 0, 0
	for j < len(s) {
		switch {
		case i < len(mask) && (mask[i] == '?' || mask[i] == s[j]):
			i++
			j++
		case i < len(mask) && mask[i] == '*':
			star, starS = i, j
			i++
		case star >= 0:
			starS++
			i, j = star+1, starS
		default:
			return false
		}
	}
	for i < len(mask) && mask[i] == '*' {
		i++
	}
	return i == len(mask)
}
