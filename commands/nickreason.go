package commands

import (
	"strconv"
	"strings"
)

// nickProblem says, for a person, why validNick refused nick (for any
// reason but an invisible character, which invisibleReason names): 432's
// bare "Erroneous nickname" leaves a newcomer guessing.
func nickProblem(nick string, max int) string {
	const rule = "a nick is letters, digits and - _ [ ] { } \\ ` ^ |, not starting with a digit or -"
	for _, r := range nick {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_[]{}\\`^|", r)) {
			return "Erroneous nickname: " + strconv.QuoteRune(r) + " is not allowed; " + rule
		}
	}
	// All ASCII from here on, so bytes are characters.
	switch {
	case nick[0] >= '0' && nick[0] <= '9' || nick[0] == '-':
		return "Erroneous nickname: it may not start with " + nick[:1] + "; " + rule
	case len(nick) > max:
		return "Erroneous nickname: " + strconv.Itoa(len(nick)) + " characters is too long; at most " + strconv.Itoa(max)
	}
	return "Erroneous nickname: " + rule
}
