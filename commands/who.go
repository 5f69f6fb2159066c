package commands

import (
	"strconv"
	"strings"
	"time"

	"chatd/state"

	"gopkg.in/irc.v4"
)

func handleWho(w *state.World, c *state.Client, m *irc.Message) error {
	mask := m.Param(0)
	if mask == "" {
		mask = "*"
	}
	if isChannel(mask) {
		if ch := w.Channel(mask); ch != nil && canSee(c, ch) {
			isMember := ch.Membership(c) != nil
			for _, member := range ch.SortedMembers() {
				if isMember || member.Modes&state.UserInvisible == 0 {
					whoReply(w, c, member, ch)
				}
			}
		}
	} else {
		sendWhoMatches(w, c, mask)
	}
	w.Numeric(c, irc.RPL_ENDOFWHO, mask, "End of WHO list")
	return nil
}

// sendWhoMatches sends a 352 for every visible user whose nick, user, host
// or realname matches mask ("0" and "*" match everyone).
func sendWhoMatches(w *state.World, c *state.Client, mask string) {
	if mask == "0" {
		mask = "*"
	}
	folded := state.Fold(mask)
	for _, u := range sortedUsers(w) {
		if !visibleTo(c, u) {
			continue
		}
		if wildcardMatch(folded, state.Fold(u.Nick)) || wildcardMatch(folded, state.Fold(u.User)) ||
			wildcardMatch(folded, state.Fold(u.Host)) || wildcardMatch(folded, state.Fold(u.Realname)) {
			whoReply(w, c, u, firstSharedChannel(c, u))
		}
	}
}

// visibleTo reports whether c may see u in WHO: +i hides users from those
// who share no channel with them.
func visibleTo(c, u *state.Client) bool {
	if u == c || u.Modes&state.UserInvisible == 0 {
		return true
	}
	return firstSharedChannel(c, u) != nil
}

func firstSharedChannel(c, u *state.Client) *state.Channel {
	for ch := range u.Channels() {
		if ch.Membership(c) != nil {
			return ch
		}
	}
	return nil
}

// whoReply sends one 352: channel user host server nick flags :hops realname.
func whoReply(w *state.World, c, u *state.Client, ch *state.Channel) {
	chanName := "*"
	flags := "H"
	if u.Away != "" {
		flags = "G"
	}
	if u.Modes&state.UserOper != 0 {
		flags += "*"
	}
	if ch != nil {
		chanName = ch.Name
		flags += ch.Membership(u).Prefixes(c.Caps.Has(state.CapMultiPrefix))
	}
	w.Numeric(c, irc.RPL_WHOREPLY, chanName, u.User, u.Host, w.Config.Server.Name, u.Nick, flags, "0 "+u.Realname)
}

func sortedUsers(w *state.World) []*state.Client {
	list := make([]*state.Client, 0, len(w.Clients()))
	for _, u := range w.Clients() {
		if u.Registered {
			list = append(list, u)
		}
	}
	sortClients(list)
	return list
}

func handleWhois(w *state.World, c *state.Client, m *irc.Message) error {
	nick := m.Params[len(m.Params)-1] // WHOIS [server] nick
	if len(m.Params) > 1 && m.Params[0] == "" {
		nick = m.Params[1]
	}
	if nick == "" {
		return numeric(irc.ERR_NONICKNAMEGIVEN, "No nickname given")
	}
	first := splitList(nick)
	if len(first) > 0 {
		nick = first[0]
	}
	u := w.ClientByNick(nick)
	if u == nil {
		w.Numeric(c, irc.ERR_NOSUCHNICK, nick, "No such nick/channel")
		w.Numeric(c, irc.RPL_ENDOFWHOIS, nick, "End of /WHOIS list")
		return nil
	}
	w.Numeric(c, irc.RPL_WHOISUSER, u.Nick, u.User, u.Host, "*", u.Realname)
	sendWhoisChannels(w, c, u)
	w.Numeric(c, irc.RPL_WHOISSERVER, u.Nick, w.Config.Server.Name, w.Config.Server.Network+" server")
	if u.Away != "" {
		w.Numeric(c, irc.RPL_AWAY, u.Nick, u.Away)
	}
	if u.Modes&state.UserOper != 0 {
		w.Numeric(c, irc.RPL_WHOISOPERATOR, u.Nick, "is an IRC operator")
	}
	if u.TLS {
		w.Numeric(c, state.RplWhoisSecure, u.Nick, "is using a secure connection")
	}
	if u == c || c.Modes&state.UserOper != 0 {
		w.Numeric(c, state.RplWhoisActually, u.Nick, u.Host, "Actual user@host, Actual IP")
	}
	idle := int64(time.Since(u.LastActive) / time.Second)
	w.Numeric(c, irc.RPL_WHOISIDLE, u.Nick, strconv.FormatInt(idle, 10), strconv.FormatInt(u.SignedOn.Unix(), 10), "seconds idle, signon time")
	w.Numeric(c, irc.RPL_ENDOFWHOIS, u.Nick, "End of /WHOIS list")
	return nil
}

// sendWhoisChannels sends 319 lines listing u's channels that c may see.
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

func handleWhowas(w *state.World, c *state.Client, m *irc.Message) error {
	nick := m.Params[0]
	count, _ := strconv.Atoi(m.Param(1))
	entries := w.Whowas(nick, count)
	if len(entries) == 0 {
		w.Numeric(c, irc.ERR_WASNOSUCHNICK, nick, "There was no such nickname")
	}
	for _, e := range entries {
		w.Numeric(c, irc.RPL_WHOWASUSER, e.Nick, e.User, e.Host, "*", e.Realname)
		w.Numeric(c, irc.RPL_WHOISSERVER, e.Nick, e.Server, e.Left.UTC().Format(time.RFC1123))
	}
	w.Numeric(c, irc.RPL_ENDOFWHOWAS, nick, "End of WHOWAS")
	return nil
}

func handleIson(w *state.World, c *state.Client, m *irc.Message) error {
	var online []string
	for _, p := range m.Params {
		for _, nick := range strings.Fields(p) {
			if u := w.ClientByNick(nick); u != nil {
				online = append(online, u.Nick)
			}
		}
	}
	w.Numeric(c, irc.RPL_ISON, strings.Join(online, " "))
	return nil
}

func handleUserhost(w *state.World, c *state.Client, m *irc.Message) error {
	var replies []string
	for _, p := range m.Params {
		for _, nick := range strings.Fields(p) {
			if len(replies) == 5 {
				break
			}
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
	w.Numeric(c, irc.RPL_USERHOST, strings.Join(replies, " "))
	return nil
}
