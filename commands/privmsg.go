package commands

import (
	"strconv"
	"strings"

	"chatd/state"

	"gopkg.in/irc.v4"
)

func handlePrivmsg(w *state.World, c *state.Client, m *irc.Message) error {
	return relay(w, c, m, "PRIVMSG", false)
}

func handleNotice(w *state.World, c *state.Client, m *irc.Message) error {
	return relay(w, c, m, "NOTICE", false)
}

func handleTagmsg(w *state.World, c *state.Client, m *irc.Message) error {
	return relay(w, c, m, "TAGMSG", false)
}

// relay delivers PRIVMSG, NOTICE or TAGMSG to each target. NOTICE never
// draws an automatic reply (RFC 2812 3.3.2), so its refusals are dropped.
// With selfEcho (the course verbs) the sender gets its own message back in
// a form its client can show (see echo).
func relay(w *state.World, c *state.Client, m *irc.Message, verb string, selfEcho bool) error {
	report := func(err error) {
		if verb != "NOTICE" {
			sendError(w, c, err)
		}
	}
	if len(m.Params) == 0 || m.Params[0] == "" {
		report(numeric(irc.ERR_NORECIPIENT, "No recipient given ("+verb+")"))
		return nil
	}
	text := ""
	if verb != "TAGMSG" {
		if len(m.Params) < 2 || m.Params[1] == "" {
			report(numeric(irc.ERR_NOTEXTTOSEND, "No text to send"))
			return nil
		}
		text = m.Params[1]
	}
	list, over := targets(m.Params[0], maxMsgTargets)
	if len(list) == 0 {
		report(numeric(irc.ERR_NORECIPIENT, "No recipient given ("+verb+")"))
		return nil
	}
	tags := clientTags(m.Tags)
	if verb == "PRIVMSG" || verb == "NOTICE" {
		w.MarkActive(c)
	}
	var kept []state.OfflineMessage // for accounts that are offline
	for _, target := range list {
		report(relayOne(w, c, verb, target, text, tags, selfEcho, &kept))
	}
	if len(kept) > 0 {
		saveOffline(w, c, kept)
	}
	if over != "" {
		// As hybrid and charybdis do: the first MAXTARGETS targets get the
		// message, the first one past the limit is named in 407 (RFC 2812
		// 5.2) and the rest are dropped.
		report(tooManyTargets(over, maxMsgTargets))
	}
	return nil
}

func relayOne(w *state.World, c *state.Client, verb, target, text string, tags irc.Tags, selfEcho bool, kept *[]state.OfflineMessage) error {
	params := []string{target, text}
	// A TAGMSG is nothing but tags: it goes only to clients that
	// negotiated message-tags, the sender's own echo included.
	need := state.Cap(0)
	if verb == "TAGMSG" {
		params = params[:1]
		need = state.CapMessageTags
	}
	status, chanName := splitStatus(target)
	if isChannel(chanName) {
		ch := w.Channel(chanName)
		if ch == nil || !canSee(c, ch) {
			return numeric(irc.ERR_NOSUCHNICK, target, "No such nick/channel")
		}
		if err := checkSpeak(w, c, ch); err != nil {
			return err
		}
		if err := checkCTCP(ch, verb, text); err != nil {
			return err
		}
		params[0] = status + ch.Name
		msg := &irc.Message{Prefix: prefixOf(c), Command: verb, Params: params}
		if err := checkLineLength(msg); err != nil {
			return err
		}
		var out *state.Fanout
		if status == "" {
			out = w.RelayToChannel(c, ch, msg, tags)
			out.ToChannel(ch, c, need)
		} else {
			// A message for the channel's operators or voiced members
			// (STATUSMSG) is not recorded: the channel's history is
			// read by every member.
			out = w.NewRelay(msg, tags)
			toStatus(w, out, ch, c, need, status)
		}
		if accepts(c, need) {
			echo(w, c, out, selfEcho, ch.Name, true)
		}
		return nil
	}
	if service := serviceFor(target); service != "" {
		if verb == "PRIVMSG" {
			toService(w, c, service, text)
		}
		return nil
	}
	to := w.ClientByNick(target)
	if to == nil {
		if acct := offlineAccount(w, target); acct != nil && verb == "PRIVMSG" {
			return keepOffline(w, c, acct, text, tags, selfEcho, kept)
		}
		return numeric(irc.ERR_NOSUCHNICK, target, "No such nick/channel")
	}
	params[0] = to.Nick
	msg := &irc.Message{Prefix: prefixOf(c), Command: verb, Params: params}
	if err := checkLineLength(msg); err != nil {
		return err
	}
	out := w.RelayPrivate(c, to, msg, tags)
	switch {
	case to == c:
		// A message to oneself is delivered like any other, and is not
		// the reply to the line (labeled-response: only the echo-message
		// copy carries the label), so an echo-message client gets both.
		if accepts(c, need) {
			out.Deliver(c)
			if c.Caps.Has(state.CapEchoMessage) {
				out.To(c)
			}
		}
	default:
		if accepts(to, need) {
			out.To(to)
		}
		if accepts(c, need) {
			echo(w, c, out, selfEcho, to.Nick, false)
		}
	}
	if verb == "PRIVMSG" && to.Away != "" {
		w.Numeric(c, irc.RPL_AWAY, to.Nick, to.Away)
	}
	return nil
}

// statusPrefixes are STATUSMSG's target prefixes: "@#chan" reaches the
// channel's operators, "+#chan" its voiced members and operators.
const statusPrefixes = "@+"

// splitStatus splits a STATUSMSG prefix off a channel target ("@#c" is
// "@" and "#c"); other targets come back whole with an empty prefix.
func splitStatus(target string) (status, rest string) {
	if len(target) > 1 && strings.IndexByte(statusPrefixes, target[0]) >= 0 && isChannel(target[1:]) {
		return target[:1], target[1:]
	}
	return "", target
}

// toStatus delivers a STATUSMSG to the members of ch with the status the
// prefix names (IRC operators count as channel operators in the lobby,
// as everywhere else there), except the sender.
func toStatus(w *state.World, out *state.Fanout, ch *state.Channel, sender *state.Client, need state.Cap, status string) {
	for member := range ch.Members() {
		if member == sender || !accepts(member, need) {
			continue
		}
		if status == "@" && chanPrivileged(w, member, ch) || status == "+" && chanVoiced(w, member, ch) {
			out.To(member)
		}
	}
}

// accepts reports whether c may be sent a message that needs capability
// need (0 for none).
func accepts(c *state.Client, need state.Cap) bool {
	return need == 0 || c.Caps.Has(need)
}

// echo gives the sender its copy of a message it sent. A client that
// negotiated echo-message gets every one. The course verbs PM and GC are
// raw commands the client never saw as messages, so their senders get a
// copy in whatever form their client shows in the right window (courseEcho).
func echo(w *state.World, c *state.Client, out *state.Fanout, course bool, target string, toChannel bool) {
	switch {
	case c.Caps.Has(state.CapEchoMessage):
		out.To(c)
	case course:
		courseEcho(w, c, out, target, toChannel)
	}
}

// checkLineLength refuses a message that would pass 512 bytes once the
// sender's nick!user@host is put in front of it: relaying it cut short
// would lose what the server accepted. It measures the line as encoded in
// full, before any Fanout (whose lines are already cut to fit) is made.
func checkLineLength(m *irc.Message) error {
	line, err := state.Encode(m)
	if err != nil {
		return err
	}
	if len(line) > state.MaxLineBytes {
		return numeric(state.ErrInputTooLong, "Message too long to relay: "+
			strconv.Itoa(len(line)-state.MaxLineBytes)+" bytes over the 512-byte line limit")
	}
	return nil
}

// checkRelayLength is the old form of checkLineLength. It can never refuse
// anything: Fanout.Line cuts an over-long line to 512 bytes before it can
// be measured. Callers should build the *irc.Message, check it with
// checkLineLength, then make the Fanout.
func checkRelayLength(out *state.Fanout) error {
	line := out.Line(0)
	if len(line) > state.MaxLineBytes {
		return numeric(state.ErrInputTooLong, "Message too long to relay")
	}
	return nil
}

// checkSpeak applies +n, +m and bans to a message for a channel.
func checkSpeak(w *state.World, c *state.Client, ch *state.Channel) error {
	if mode := speakBlock(w, c, ch); mode != 0 {
		return numeric(irc.ERR_CANNOTSENDTOCHAN, ch.Name, "Cannot send to channel (+"+string(mode)+")")
	}
	return nil
}

// speakBlock returns the channel mode that keeps c from talking in ch:
// 'n' (not a member), 'm' (moderated, and c has no voice) or 'b' (banned,
// or muted by a +b $m: entry);
// 0 when c may talk there.
func speakBlock(w *state.World, c *state.Client, ch *state.Channel) byte {
	voiced := chanVoiced(w, c, ch)
	switch {
	case ch.Membership(c) == nil && ch.Modes&state.ChanNoOutside != 0:
		return 'n'
	case ch.Modes&state.ChanModerated != 0 && !voiced:
		return 'm'
	case !voiced && isBanned(ch, c):
		return 'b'
	case !voiced && isMuted(ch, c):
		return 'b' // a mute is a ban ($m:) on speaking only
	}
	return 0
}

// checkCTCP applies +C: no CTCP to the channel but ACTION (/me).
func checkCTCP(ch *state.Channel, verb, text string) error {
	if ch.Modes&state.ChanNoCTCP == 0 || verb == "TAGMSG" || !strings.HasPrefix(text, "\x01") || strings.HasPrefix(text, "\x01ACTION ") {
		return nil
	}
	return numeric(irc.ERR_CANNOTSENDTOCHAN, ch.Name, "Cannot send to channel (+C: no CTCP)")
}

// clientTags keeps the client-only tags ("+name") that message-tags relays.
func clientTags(tags irc.Tags) irc.Tags {
	var out irc.Tags
	for k, v := range tags {
		if strings.HasPrefix(k, "+") && validTagKey(k) {
			if out == nil {
				out = irc.Tags{}
			}
			out[k] = v
		}
	}
	return out
}

func validTagKey(k string) bool {
	for i := 1; i < len(k); i++ {
		ch := k[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '/' || ch == '.') {
			return false
		}
	}
	return len(k) > 1
}
