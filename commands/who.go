package commands

import (
	"strconv"
	"strings"
	"time"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// handleWho answers WHO <#channel|nick|mask> [o] with a 352 per visible
// user and always a 315 carrying the mask exactly as sent. The optional
// "o" flag (RFC 1459) keeps only IRC operators. With WHOX's second
// parameter ([o]%<fields>[,<token>], commands/whox.go) each user gets a
// 354 with the fields asked for instead. Over a big channel or the whole
// network the replies come in slices (commands/slices.go).
func handleWho(w *state.World, c *state.Client, m *irc.Message) error {
	mask := m.Param(0)
	if mask == "" {
		mask = "*"
	}
	q := parseWhoQuery(m.Param(1))
	opersOnly := q.opersOnly
	end := func() { w.Numeric(c, irc.RPL_ENDOFWHO, mask, "End of WHO list") }
	if isChannel(mask) {
		ch := w.Channel(mask)
		if ch == nil || !canSee(c, ch) {
			end()
			return nil
		}
		isMember := ch.Membership(c) != nil
		sliceWalk(w, c, memberWalk(ch), (*state.Client).Folded, func(member *state.Client) int {
			if !isMember && member.Modes&state.UserInvisible != 0 || opersOnly && member.Modes&state.UserOper == 0 {
				return 1
			}
			if ch.Membership(member) != nil { // it may have left between slices
				q.reply(w, c, member, ch)
			}
			return 1
		}, end)
		return nil
	}
	sendWhoMatches(w, c, mask, q, end)
	return nil
}

// memberWalk adapts Channel.MembersFrom to sliceWalk.
func memberWalk(ch *state.Channel) func(string, func(*state.Client) bool) {
	return func(after string, fn func(*state.Client) bool) {
		ch.MembersFrom(after, func(m *state.Client, _ *state.Membership) bool { return fn(m) })
	}
}

// sendWhoMatches sends a 352 for the users a non-channel WHO mask selects,
// then runs end: an exact nickname gives that one user (invisible or not,
// as WHOIS would show them anyway); otherwise every visible user whose
// nick, username, host, server or realname matches the mask ("0" and "*"
// match everyone), in nick order, in slices.
func sendWhoMatches(w *state.World, c *state.Client, mask string, q whoQuery, end func()) {
	keep := func(u *state.Client) bool { return !q.opersOnly || u.Modes&state.UserOper != 0 }
	if !strings.ContainsAny(mask, "*?") {
		if u := w.ClientByNick(mask); u != nil {
			if keep(u) {
				q.reply(w, c, u, whoChannel(c, u))
			}
			end()
			return
		}
	}
	if mask == "0" {
		mask = "*"
	}
	folded := state.Fold(mask)
	everyone := folded == "*" || wildcardMatch(folded, state.Fold(w.Config.Server.Name))
	sliceWalk(w, c, w.UsersFrom, (*state.Client).Folded, func(u *state.Client) int {
		if u.Gone() || !visibleTo(c, u) || !keep(u) {
			return 1
		}
		if everyone || wildcardMatch(folded, u.Folded()) || wildcardMatch(folded, state.Fold(u.User)) ||
			wildcardMatch(folded, state.Fold(u.Host)) || wildcardMatch(folded, state.Fold(u.Realname)) {
			q.reply(w, c, u, whoChannel(c, u))
		}
		if everyone {
			return 1
		}
		return matchCost(folded, len(u.Nick)+len(u.User)+len(u.Host)+len(u.Realname))
	}, end)
}

// visibleTo reports whether c may see u in a WHO mask listing: +i hides
// users from those who share no channel with them (Modern, "WHO message").
func visibleTo(c, u *state.Client) bool {
	if u == c || u.Modes&state.UserInvisible == 0 {
		return true
	}
	return whoChannel(c, u) != nil
}

// whoChannel picks the channel a mask WHO reply names for u: the first, by
// name, that c and u share, so that replies are the same every time; nil
// (shown as "*") when they share none.
func whoChannel(c, u *state.Client) *state.Channel {
	var best *state.Channel
	for ch := range u.Channels() {
		if ch.Membership(c) != nil && (best == nil || ch.Name < best.Name) {
			best = ch
		}
	}
	return best
}

// whoReply sends one 352: channel user host server nick flags :hops realname.
func whoReply(w *state.World, c, u *state.Client, ch *state.Channel) {
	chanName := "*"
	if ch != nil {
		chanName = ch.Name
	}
	w.Numeric(c, irc.RPL_WHOREPLY, chanName, u.User, u.Host, w.ServerOf(u), u.Nick, whoFlags(c, u, ch), "0 "+u.Realname)
}

// whoFlags are a WHO reply's flags: H (here) or G (gone, away), * for an
// IRC operator, B for a bot (BOT=B), then u's prefixes in ch (all of them
// with multi-prefix).
func whoFlags(c, u *state.Client, ch *state.Channel) string {
	flags := "H"
	if u.Away != "" {
		flags = "G"
	}
	if u.Modes&state.UserOper != 0 {
		flags += "*"
	}
	if u.Modes&state.UserBot != 0 {
		flags += botModeLetter
	}
	if ch != nil {
		flags += ch.Membership(u).Prefixes(c.Caps.Has(state.CapMultiPrefix))
	}
	return flags
}

// handleWhois answers WHOIS [<target>] <nick>. The target, when given, must
// be this server (wildcards allowed) or a user on it: there is only one
// server, so either way the answer is the same. Only the first of several
// comma-separated nicks is looked up (TARGMAX=WHOIS:1). Every answer ends
// with 318, even for an unknown nick or server.
func handleWhois(w *state.World, c *state.Client, m *irc.Message) error {
	nick := m.Param(len(m.Params) - 1) // "" when there are no params
	if first := splitList(nick); len(first) > 0 {
		nick = first[0]
	}
	if nick == "" {
		return numeric(irc.ERR_NONICKNAMEGIVEN, "No nickname given")
	}
	if len(m.Params) > 1 {
		target := m.Params[0]
		if !wildcardMatch(state.Fold(target), state.Fold(w.Config.Server.Name)) && w.ClientByNick(target) == nil {
			w.Numeric(c, irc.ERR_NOSUCHSERVER, target, "No such server")
			w.Numeric(c, irc.RPL_ENDOFWHOIS, nick, "End of /WHOIS list")
			return nil
		}
	}
	u := w.ClientByNick(nick)
	if service := serviceFor(nick); u == nil && service != "" && accountsOn(w) {
		serviceWhois(w, c, service)
		return nil
	}
	if u == nil {
		w.Numeric(c, irc.ERR_NOSUCHNICK, nick, "No such nick/channel")
		w.Numeric(c, irc.RPL_ENDOFWHOIS, nick, "End of /WHOIS list")
		return nil
	}
	w.Numeric(c, irc.RPL_WHOISUSER, u.Nick, u.User, u.Host, "*", u.Realname)
	sendWhoisChannels(w, c, u)
	w.Numeric(c, irc.RPL_WHOISSERVER, u.Nick, w.ServerOf(u), serverInfo(w, u.Node))
	if u.Away != "" {
		w.Numeric(c, irc.RPL_AWAY, u.Nick, u.Away)
	}
	if u.Modes&state.UserOper != 0 {
		w.Numeric(c, irc.RPL_WHOISOPERATOR, u.Nick, "is an IRC operator")
	}
	if u.Modes&state.UserBot != 0 {
		w.Numeric(c, rplWhoisBot, u.Nick, "is a bot on "+w.Config.Server.Network)
	}
	if u.TLS {
		w.Numeric(c, state.RplWhoisSecure, u.Nick, "is using a secure connection")
	}
	if u.CertFP != "" && (u == c || c.Modes&state.UserOper != 0) {
		w.Numeric(c, state.RplWhoisCertFP, u.Nick, "has client certificate fingerprint "+u.CertFP)
	}
	if u.Account != "" {
		w.Numeric(c, rplWhoisAcct, u.Nick, u.Account, "is logged in as")
	}
	if u == c || c.Modes&state.UserOper != 0 {
		w.Numeric(c, state.RplWhoisActually, u.Nick, u.Host, "Actual user@host, Actual IP")
	}
	idle := max(0, int64(w.Now().Sub(u.LastActive)/time.Second))
	w.Numeric(c, irc.RPL_WHOISIDLE, u.Nick, strconv.FormatInt(idle, 10), strconv.FormatInt(u.SignedOn.Unix(), 10), "seconds idle, signon time")
	w.Numeric(c, irc.RPL_ENDOFWHOIS, u.Nick, "End of /WHOIS list")
	return nil
}

// sendWhoisChannels sends 319 lines listing u's channels that c may see
// (secret channels only to their members), each with u's prefixes there,
// split so that every line fits 512 bytes.
func sendWhoisChannels(w *state.World, c, u *state.Client) {
	budget := state.MaxLineBytes - len(w.Config.Server.Name) - len(c.DisplayNick()) - len(u.Nick) - 16
	var names []string
	size := 0
	for _, ch := range sortedChannelsOf(u) {
		if !canSee(c, ch) {
			continue
		}
		entry := ch.Membership(u).Prefixes(c.Caps.Has(state.CapMultiPrefix)) + ch.Name
		if size+len(entry)+1 > budget && len(names) > 0 {
			w.Numeric(c, irc.RPL_WHOISCHANNELS, u.Nick, strings.Join(names, " "))
			names, size = nil, 0
		}
		names = append(names, entry)
		size += len(entry) + 1
	}
	if len(names) > 0 {
		w.Numeric(c, irc.RPL_WHOISCHANNELS, u.Nick, strings.Join(names, " "))
	}
}

// maxWhowasEntries caps the entries WHOWAS gives for one nick, whatever
// count asks for (servers may limit it; a nick used by hundreds of
// departed clients would otherwise be hundreds of replies).
const maxWhowasEntries = 25

// handleWhowas answers WHOWAS <nick>[,<nick>...] [<count>]: for each nick
// its remembered entries, newest first (at most count of them when count
// is positive, and never more than maxWhowasEntries), or 406; then one 369
// with the parameter as sent. A repeated nick counts once; past
// maxQueryTargets the rest get 407.
func handleWhowas(w *state.World, c *state.Client, m *irc.Message) error {
	nicks, over := targets(m.Params[0], maxQueryTargets)
	if len(nicks) == 0 {
		return numeric(irc.ERR_NONICKNAMEGIVEN, "No nickname given")
	}
	count, _ := strconv.Atoi(m.Param(1))
	if count <= 0 || count > maxWhowasEntries {
		count = maxWhowasEntries
	}
	for _, nick := range nicks {
		entries := w.Whowas(nick, count)
		if len(entries) == 0 {
			w.Numeric(c, irc.ERR_WASNOSUCHNICK, nick, "There was no such nickname")
		}
		for _, e := range entries {
			w.Numeric(c, irc.RPL_WHOWASUSER, e.Nick, e.User, e.Host, "*", e.Realname)
			w.Numeric(c, irc.RPL_WHOISSERVER, e.Nick, e.Server, e.Left.UTC().Format(time.RFC1123))
		}
	}
	if over != "" {
		sendError(w, c, tooManyTargets(over, maxQueryTargets))
	}
	w.Numeric(c, irc.RPL_ENDOFWHOWAS, m.Params[0], "End of WHOWAS")
	return nil
}

// handleIson answers ISON with the nicks (as spelt on the server) that are
// online; nicks may come as separate parameters or space-separated in one.
// A reply that would not fit one line goes on in further 303 lines.
func handleIson(w *state.World, c *state.Client, m *irc.Message) error {
	var online []string
	for _, p := range m.Params {
		for _, nick := range strings.Fields(p) {
			if u := w.ClientByNick(nick); u != nil {
				online = append(online, u.Nick)
			}
		}
	}
	sendListReply(w, c, irc.RPL_ISON, online)
	return nil
}

// handleUserhost answers USERHOST for up to five nicks with
// nick[*]=(+|-)user@host: * for an operator, - when away. Five long nicks
// and hosts can pass 512 bytes: the rest goes in a second 302.
func handleUserhost(w *state.World, c *state.Client, m *irc.Message) error {
	var replies []string
	asked := 0
	for _, p := range m.Params {
		for _, nick := range strings.Fields(p) {
			if asked == 5 {
				break
			}
			asked++
			u := w.ClientByNick(nick)
			if u == nil {
				continue
			}
			r := u.Nick
			if u.Modes&state.UserOper != 0 {
				r += "*"
			}
			if u.Away != "" {
				r += "=-"
			} else {
				r += "=+"
			}
			replies = append(replies, r+u.User+"@"+u.Host)
		}
	}
	sendListReply(w, c, irc.RPL_USERHOST, replies)
	return nil
}
