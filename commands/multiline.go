package commands

import (
	"errors"
	"strconv"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// The lines of a multiline batch and its relay (batch.go opens and closes
// it). A line is checked as it comes, so nothing past the limits is ever
// held: its command (PRIVMSG or NOTICE, the same throughout), its target
// (the batch's), a concat line must not be blank, max-lines, max-bytes
// (the combined message: each line break between lines counts one), and
// that it can be relayed within 512 bytes once the sender's prefix is in
// front. The relay at BATCH -ref applies what a single PRIVMSG or NOTICE
// meets (+n, +m, bans and mutes, +C, unknown targets, away), with the same
// numerics, none for a NOTICE.

// addBatchLine takes one line of c's open batch b.
func addBatchLine(w *state.World, c *state.Client, b *state.ClientBatch, m *irc.Message) error {
	verb := m.Command
	if verb != "PRIVMSG" && verb != "NOTICE" {
		return failBatch(w, c, b, "MULTILINE_INVALID", "A multiline batch holds PRIVMSG or NOTICE lines only, not "+verb)
	}
	if b.Verb != "" && verb != b.Verb {
		return failBatch(w, c, b, "MULTILINE_INVALID", "A multiline batch holds PRIVMSG lines or NOTICE lines, not both")
	}
	target := m.Param(0)
	if state.Fold(target) != state.Fold(b.Target) {
		return failBatch(w, c, b, "MULTILINE_INVALID_TARGET", b.Target, target, "Invalid multiline target: every line must be for "+b.Target)
	}
	text := m.Param(1)
	_, concat := m.Tags[state.MultilineConcat]
	concat = concat && len(b.Lines) > 0 // on the first line it joins nothing
	if concat && text == "" {
		return failBatch(w, c, b, "MULTILINE_INVALID", "Invalid multiline batch with concatenated blank line")
	}
	limits := w.Config.Multiline
	if len(b.Lines) >= limits.MaxLines {
		n := strconv.Itoa(limits.MaxLines)
		return failBatch(w, c, b, "MULTILINE_MAX_LINES", n, "Multiline batch max-lines exceeded ("+n+")")
	}
	size := len(text)
	if len(b.Lines) > 0 && !concat {
		size++ // the line feed that joins it to the line before
	}
	if b.Bytes+size > limits.MaxBytes {
		n := strconv.Itoa(limits.MaxBytes)
		return failBatch(w, c, b, "MULTILINE_MAX_BYTES", n, "Multiline batch max-bytes exceeded ("+n+")")
	}
	if err := checkLineLength(&irc.Message{Prefix: prefixOf(c), Command: verb, Params: []string{b.Target, text}}); err != nil {
		return failBatch(w, c, b, "MULTILINE_INVALID", "A line is too long to relay once your nick!user@host is in front of it")
	}
	b.Verb = verb
	b.Lines = append(b.Lines, state.BatchLine{Text: text, Concat: concat})
	b.Bytes += size
	return nil
}

// relayMultiline delivers the message of c's batch b, which just ended.
func relayMultiline(w *state.World, c *state.Client, b *state.ClientBatch) error {
	if len(b.Lines) == 0 {
		return fail("BATCH", "MULTILINE_INVALID", "Invalid multiline batch: it holds no lines")
	}
	if blankOnly(b.Lines) {
		return fail("BATCH", "MULTILINE_INVALID", "Invalid multiline batch with blank lines only")
	}
	err := relayMultilineTo(w, c, b)
	if b.Verb == "NOTICE" {
		var re *replyError
		if errors.As(err, &re) && !re.fail {
			return nil // a NOTICE draws no automatic reply (RFC 2812 3.3.2)
		}
	}
	return err
}

func relayMultilineTo(w *state.World, c *state.Client, b *state.ClientBatch) error {
	verb, target, lines, tags := b.Verb, b.Target, b.Lines, b.Tags
	w.MarkActive(c)
	status, chanName := splitStatus(target)
	if isChannel(chanName) {
		ch := w.Channel(chanName)
		if ch == nil || !canSee(c, ch) {
			return numeric(irc.ERR_NOSUCHNICK, target, "No such nick/channel")
		}
		if err := checkSpeak(w, c, ch); err != nil {
			return err
		}
		for _, l := range lines {
			if err := checkCTCP(ch, verb, l.Text); err != nil {
				return err
			}
		}
		var out *state.MultilineFanout
		if status == "" {
			out = w.RelayMultilineToChannel(c, ch, verb, lines, tags)
			out.ToChannel(ch, c)
		} else {
			// STATUSMSG: not recorded, as for a single line (relayOne).
			out = w.RelayMultiline(c, verb, status+ch.Name, lines, tags)
			for member := range ch.Members() {
				if member != c && (status == "@" && chanPrivileged(w, member, ch) || status == "+" && chanVoiced(w, member, ch)) {
					out.To(member, false)
				}
			}
		}
		if c.Caps.Has(state.CapEchoMessage) {
			out.To(c, true)
		}
		return nil
	}
	if serviceFor(target) != "" {
		return fail("BATCH", "MULTILINE_INVALID_TARGET", target, target, "Services take commands one line at a time, not multiline messages")
	}
	to := w.ClientByNick(target)
	if to == nil {
		if acct := offlineAccount(w, target); acct != nil && verb == "PRIVMSG" {
			return keepMultilineOffline(w, c, acct, lines, tags)
		}
		return numeric(irc.ERR_NOSUCHNICK, target, "No such nick/channel")
	}
	out := w.RelayMultilinePrivate(c, to, verb, lines, tags)
	away := verb == "PRIVMSG" && to.Away != ""
	if to == c {
		// As for a single line (relayOne): the delivered copy is not the
		// reply; with echo-message the echo is.
		out.Deliver(c)
	} else {
		out.To(to, false)
	}
	if c.Caps.Has(state.CapEchoMessage) {
		out.To(c, !away) // with a 301 to follow, the reply is a labeled-response batch
	}
	if away {
		w.Numeric(c, irc.RPL_AWAY, to.Nick, to.Away)
	}
	return nil
}

// keepMultilineOffline keeps c's multiline message for acct, offline, as
// one message (keepOffline).
func keepMultilineOffline(w *state.World, c *state.Client, acct *state.Account, lines []state.BatchLine, tags irc.Tags) error {
	if room, full := w.OfflineRoom(c, acct.Name); !room {
		size := w.Config.History.OfflineMessages
		if full {
			return fail("PRIVMSG", "MAILBOX_FULL", acct.Name, acct.Name+" already has "+strconv.Itoa(size)+" messages waiting; try again when they are online")
		}
		return fail("PRIVMSG", "MAILBOX_FULL", acct.Name, "You already have "+strconv.Itoa(state.OfflineShare(size))+" messages waiting for "+acct.Name+"; try again when they are online")
	}
	out, kept := w.RelayMultilineOffline(c, acct, lines, tags)
	if c.Caps.Has(state.CapEchoMessage) {
		out.To(c, false) // the 301 that saveOffline sends follows
	}
	saveOffline(w, c, []state.OfflineMessage{kept})
	return nil
}

// blankOnly reports whether every line is blank ("Clients MUST NOT send
// messages consisting entirely of blank lines").
func blankOnly(lines []state.BatchLine) bool {
	for _, l := range lines {
		if l.Text != "" {
			return false
		}
	}
	return true
}
