package commands

import (
	"strconv"
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

func handleTopic(w *state.World, c *state.Client, m *irc.Message) error {
	ch := w.Channel(m.Params[0])
	if ch == nil || (ch.Modes&state.ChanSecret != 0 && ch.Membership(c) == nil) {
		return numeric(irc.ERR_NOSUCHCHANNEL, m.Params[0], "No such channel")
	}
	if len(m.Params) < 2 {
		if ch.Topic == "" {
			w.Numeric(c, irc.RPL_NOTOPIC, ch.Name, "No topic is set")
			return nil
		}
		sendTopic(w, c, ch)
		return nil
	}
	privileged := chanPrivileged(w, c, ch)
	if ch.Membership(c) == nil && !privileged {
		return numeric(irc.ERR_NOTONCHANNEL, ch.Name, "You're not on that channel")
	}
	if ch.Modes&state.ChanTopicLock != 0 && !privileged {
		return numeric(irc.ERR_CHANOPRIVSNEEDED, ch.Name, "You're not channel operator")
	}
	topic := truncateUTF8(m.Params[1], w.Config.Limits.TopicLength)
	msg := &irc.Message{Prefix: prefixOf(c), Command: "TOPIC", Params: []string{ch.Name, topic}}
	if line, err := state.Encode(msg); err == nil && len(line) > state.MaxLineBytes {
		// With a long nick!user@host and channel name in front, the TOPIC
		// line could pass 512 bytes and be cut in transit: shorten the
		// topic itself so that what members see is what is stored.
		topic = truncateUTF8(topic, len(topic)-(len(line)-state.MaxLineBytes))
		msg.Params[1] = topic
	}
	w.ChangeTopic(ch, c, topic)
	return nil
}

func sendTopic(w *state.World, c *state.Client, ch *state.Channel) {
	w.Numeric(c, irc.RPL_TOPIC, ch.Name, ch.Topic)
	w.Numeric(c, state.RplTopicWhoTime, ch.Name, ch.TopicSetBy, strconv.FormatInt(ch.TopicSetAt.Unix(), 10))
}

// handleNames answers NAMES. Without a parameter it sends one 366 for "*"
// (modern.ircdocs.horse: servers SHOULD, and most do, rather than list the
// whole network). For a list of channels it sends the 353 lines of each
// channel the client may see, then a single 366 naming the list as given,
// as irctest expects of a server whose TARGMAX allows several; a
// nonexistent, invalid or hidden (+s) channel thus gets only that 366.
// Repeated channels count once; past maxQueryTargets the rest get 407.
func handleNames(w *state.World, c *state.Client, m *irc.Message) error {
	if len(m.Params) == 0 || m.Params[0] == "" {
		w.Numeric(c, irc.RPL_ENDOFNAMES, "*", "End of /NAMES list")
		return nil
	}
	list, over := targets(m.Params[0], maxQueryTargets)
	eachTarget(w, c, list, func(name string) {
		if ch := w.Channel(name); ch != nil && canSee(c, ch) {
			sendNamReplies(w, c, ch, nil)
		}
	}, func() {
		if over != "" {
			sendError(w, c, tooManyTargets(over, maxQueryTargets))
		}
		w.Numeric(c, irc.RPL_ENDOFNAMES, m.Params[0], "End of /NAMES list")
	})
	return nil
}

// canSee reports whether c may see ch in NAMES, LIST, WHOIS and WHO: +s
// channels are visible to their members only.
func canSee(c *state.Client, ch *state.Channel) bool {
	return ch.Modes&state.ChanSecret == 0 || ch.Membership(c) != nil
}

// sendNames sends 353 lines, split to fit 512 bytes, then 366.
func sendNames(w *state.World, c *state.Client, ch *state.Channel) {
	sendNamReplies(w, c, ch, func() { w.Numeric(c, irc.RPL_ENDOFNAMES, ch.Name, "End of /NAMES list") })
}

// sendNamReplies sends a channel's 353 lines, split to fit 512 bytes, in
// nick order and in slices for a big channel; then done (may be nil).
// Members with +i are hidden from non-members.
func sendNamReplies(w *state.World, c *state.Client, ch *state.Channel, done func()) {
	n := newNamReplies(w, c, ch)
	sliceWalk(w, c, memberWalk(ch), (*state.Client).Folded, n.add, func() {
		n.flush()
		if done != nil {
			done()
		}
	})
}

// namReplies gathers one client's 353 lines of a channel: entries are
// added in nick order and a line goes out whenever the next entry would
// not fit.
type namReplies struct {
	w                         *state.World
	c                         *state.Client
	ch                        *state.Channel
	symbol                    string
	isMember, multi, userhost bool
	budget                    int
	names                     []string
	size                      int
}

func newNamReplies(w *state.World, c *state.Client, ch *state.Channel) *namReplies {
	n := &namReplies{w: w, c: c, ch: ch, symbol: "=", isMember: ch.Membership(c) != nil,
		multi: c.Caps.Has(state.CapMultiPrefix), userhost: c.Caps.Has(state.CapUserhostInNames)}
	if ch.Modes&state.ChanSecret != 0 {
		n.symbol = "@"
	}
	// room for ":server 353 nick = #chan :" and CRLF
	n.budget = state.MaxLineBytes - len(w.Config.Server.Name) - len(c.DisplayNick()) - len(ch.Name) - 16
	return n
}

// add puts member's entry in the reply and returns the work it took (1).
func (n *namReplies) add(member *state.Client) int {
	mem := n.ch.Membership(member)
	if mem == nil || !n.isMember && member.Modes&state.UserInvisible != 0 {
		return 1 // hidden, or it left between slices
	}
	entry := mem.Prefixes(n.multi) + member.Nick
	if n.userhost {
		entry += "!" + member.User + "@" + member.Host
	}
	if n.size+len(entry)+1 > n.budget {
		n.flush()
	}
	n.names = append(n.names, entry)
	n.size += len(entry) + 1
	return 1
}

// flush sends the entries gathered since the last line.
func (n *namReplies) flush() {
	if len(n.names) > 0 {
		n.w.Numeric(n.c, irc.RPL_NAMREPLY, n.symbol, n.ch.Name, strings.Join(n.names, " "))
		n.names, n.size = n.names[:0], 0
	}
}

// sendListEntry sends ch's 322 if c may see it.
func sendListEntry(w *state.World, c *state.Client, ch *state.Channel) {
	if canSee(c, ch) && (len(ch.Members()) > 0 || ch.Reg != nil) {
		w.Numeric(c, irc.RPL_LIST, ch.Name, strconv.Itoa(len(ch.Members())), ch.Topic)
	}
}

// sendChannelList answers with 321, a 322 for each channel c may see, 323.
func sendChannelList(w *state.World, c *state.Client, chans []*state.Channel) {
	w.Numeric(c, irc.RPL_LISTSTART, "Channel", "Users  Name")
	for _, ch := range chans {
		sendListEntry(w, c, ch)
	}
	w.Numeric(c, irc.RPL_LISTEND, "End of /LIST")
}
