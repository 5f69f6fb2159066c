package commands

import (
	"strconv"
	"strings"

	"chatd/state"
)

// WHOX (IRCv3 whox): WHO <mask> [<flags>]%<fields>[,<token>] answers each
// user with a 354 holding exactly the fields asked for, always in this
// order whatever order they were asked in: t (the token), c (a channel),
// u (username), i (IP address), h (host), s (server), n (nick), f (WHO
// flags), d (hop count), l (seconds idle), a (account, 0 for none), o
// (channel op level) and r (realname, last). Letters chatd does not know
// are ignored, as the spec asks. The list ends with 315 as for WHO.
const whoxFieldOrder = "tcuihsnfdlaor"

// rplWhoSpcRpl is RPL_WHOSPCRPL, WHOX's reply.
const rplWhoSpcRpl = "354"

// whoQuery is how a WHO asked: plain (352 replies) or WHOX (354 with the
// fields in fields, canonical order), and whether only IRC operators.
type whoQuery struct {
	opersOnly bool
	whox      bool
	fields    string
	token     string
}

// parseWhoQuery reads WHO's second parameter: "o", or WHOX's
// [flags]%fields[,token]. The token is up to three digits (the spec's
// limit); one that is not is sent back as "0" rather than echoed.
func parseWhoQuery(p string) whoQuery {
	flags, spec, isWhox := strings.Cut(p, "%")
	q := whoQuery{opersOnly: strings.Contains(flags, "o"), whox: isWhox}
	if !isWhox {
		q.opersOnly = p == "o"
		return q
	}
	letters, token, _ := strings.Cut(spec, ",")
	for _, f := range []byte(whoxFieldOrder) {
		if strings.IndexByte(letters, f) >= 0 {
			q.fields += string(f)
		}
	}
	q.token = "0"
	if token != "" && len(token) <= 3 && strings.Trim(token, "0123456789") == "" {
		q.token = token
	}
	return q
}

// reply sends u's line of the answer to c: a 352, or with WHOX a 354.
func (q whoQuery) reply(w *state.World, c, u *state.Client, ch *state.Channel) {
	if !q.whox {
		whoReply(w, c, u, ch)
		return
	}
	params := make([]string, 0, len(q.fields))
	for _, f := range []byte(q.fields) {
		switch f {
		case 't':
			params = append(params, q.token)
		case 'c':
			name := "*"
			if ch != nil {
				name = ch.Name
			}
			params = append(params, name)
		case 'u':
			params = append(params, u.User)
		case 'i':
			params = append(params, u.Host) // the host is the IP address
		case 'h':
			params = append(params, u.Host)
		case 's':
			params = append(params, w.ServerOf(u))
		case 'n':
			params = append(params, u.Nick)
		case 'f':
			params = append(params, whoFlags(c, u, ch))
		case 'd':
			params = append(params, "0")
		case 'l':
			idle := max(0, int64(w.Now().Sub(u.LastActive).Seconds()))
			params = append(params, strconv.FormatInt(idle, 10))
		case 'a':
			acct := state.AccountOf(u)
			if acct == "" {
				acct = "0"
			}
			params = append(params, acct)
		case 'o':
			params = append(params, "n/a") // chatd has no channel op levels
		case 'r':
			params = append(params, u.Realname)
		}
	}
	w.Numeric(c, rplWhoSpcRpl, params...)
}
