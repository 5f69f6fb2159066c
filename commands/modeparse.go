package commands

// modeRequest is one letter of a channel MODE line as the client sent it,
// with the parameter that letter took, if any.
type modeRequest struct {
	adding bool
	letter rune
	arg    string
	hasArg bool
}

// parseModeRequests splits a channel mode string and its arguments
// ("+ov-k", "alice", "bob", "key") into one request per letter. Which
// letters take an argument follows the mode types of RPL_ISUPPORT
// CHANMODES=beI,k,l,Cimnst and PREFIX=(ov): type A (b, e, I) and type B (k) and the
// prefix modes (o, v) take one whether set or unset, type C (l) only when
// set, type D (the flags) and unknown letters none. A letter that should
// have an argument but comes after the last one gets none (hasArg false):
// for b that is a list query, for the others the caller ignores it. A
// leading letter without a sign means '+'.
//
// It only reads; deciding what may change is changeChannelModes'. The
// result has at most one request per byte of modes, so a line's work is
// bounded by its length.
func parseModeRequests(modes string, args []string) []modeRequest {
	var out []modeRequest
	adding := true
	for _, r := range modes {
		switch r {
		case '+':
			adding = true
			continue
		case '-':
			adding = false
			continue
		}
		req := modeRequest{adding: adding, letter: r}
		if modeTakesArg(r, adding) && len(args) > 0 {
			req.arg, req.hasArg, args = args[0], true, args[1:]
		}
		out = append(out, req)
	}
	return out
}

// modeTakesArg reports whether letter takes an argument when set (adding)
// or unset.
func modeTakesArg(letter rune, adding bool) bool {
	switch letter {
	case 'b', 'e', 'I', 'k', 'o', 'v':
		return true
	case 'l':
		return adding
	}
	return false
}
