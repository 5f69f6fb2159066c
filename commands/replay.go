package commands

import (
	"strings"
	"time"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// Replay for clients without CHATHISTORY. On JOIN, a client that did not
// negotiate draft/chathistory is sent the channel's last replay_lines
// messages of the last replay_window, after NAMES:
//
//   - with server-time, as they were first sent (its client shows their
//     time), inside a chathistory batch when it also has batch;
//   - otherwise each as a PRIVMSG or NOTICE from its original sender whose
//     text starts with the time it was sent: "[14:02] hello" (a day
//     earlier: "[Tue 14:02] hello"), in the server's time zone. Clients
//     show it as the sender's line, in the channel's window (checked in
//     irssi, HexChat and WeeChat; README §History), and the timestamp in
//     front keeps bots from taking an old "!command" as a new one. A CTCP
//     ACTION keeps its form with the time inside ("* alice [14:02]
//     waves").
//
// Other CTCPs are never replayed: a client would answer them.
//
// A registered group's operators can turn it off: ChanServ SET <#group>
// REPLAY OFF.

// replayJoin replays ch's recent messages to c, which just joined it. From
// memory the lines are part of the JOIN's reply; when the store has to
// be read they follow once it answers.
func replayJoin(w *state.World, c *state.Client, ch *state.Channel) {
	h := w.Config.History
	if !h.Enabled || h.ReplayLines <= 0 || c.Caps.Has(state.CapChatHistory) || ch.NoReplay {
		return
	}
	rg := state.HistoryRange{
		Target:  state.ChannelKey(ch),
		Lo:      state.TimeOrd(w.Now().Add(-h.ReplayWindow.Duration)),
		Hi:      noLimit,
		Limit:   h.ReplayLines,
		FromEnd: true,
		MaxKind: state.KindMessage,
	}
	if rg.Lo > 0 {
		rg.Lo--
	}
	inline := true
	w.ReadHistoryLater(c, []state.HistoryRange{rg}, func(w *state.World, res [][]*state.HistoryEntry, err error) {
		if err != nil {
			w.Log.Warn("replay on join", "channel", ch.Name, "err", err)
			return
		}
		if c.Gone() || ch.Membership(c) == nil || len(res[0]) == 0 {
			return
		}
		sendReplay(w, c, ch.Name, state.InChannel(res[0], ch.Name), inline)
	})
	inline = false
}

// sendReplay sends entries to c in the form its capabilities call for
// (see above). inline says the lines are part of c's current reply;
// otherwise they are delivered on their own.
func sendReplay(w *state.World, c *state.Client, target string, entries []*state.HistoryEntry, inline bool) {
	var lines [][]byte
	timed := c.Caps.Has(state.CapServerTime)
	for _, e := range entries {
		if len(e.Lines) > 0 {
			// A multiline message is replayed as its lines (the spec's
			// fallback), inside the chathistory batch if there is one;
			// each line is a message of its own, so the CTCP requests
			// among them are left out one by one.
			lines = append(lines, replayMultiline(w, c, e, timed)...)
			continue
		}
		if isCTCPRequest(e.Msg) {
			continue // a client would answer it, to someone who did not ask
		}
		var line []byte
		if timed {
			line = w.HistoryLine(e, c.Caps)
		} else {
			line = replayLine(w, c, e, e.Msg.Param(1), true, true)
		}
		if line != nil {
			lines = append(lines, line)
		}
	}
	batch := timed && c.Caps.Has(state.CapBatch)
	if inline {
		if batch {
			w.StartBatch(c, "chathistory", target)
		}
		for _, l := range lines {
			w.Send(c, l)
		}
		if batch {
			w.EndBatch(c)
		}
		return
	}
	if batch {
		ref := w.NewBatchRef()
		start, _ := state.Encode(&irc.Message{Prefix: w.ServerPrefix(), Command: "BATCH", Params: state.SafeParams([]string{"+" + ref, "chathistory", target})})
		end, _ := state.Encode(&irc.Message{Prefix: w.ServerPrefix(), Command: "BATCH", Params: []string{"-" + ref}})
		w.Deliver(c, start)
		for _, l := range lines {
			w.Deliver(c, state.WithTag(l, "batch", ref))
		}
		w.Deliver(c, end)
		return
	}
	for _, l := range lines {
		w.Deliver(c, l)
	}
}

// isCTCPRequest reports whether m is a CTCP other than ACTION.
func isCTCPRequest(m *irc.Message) bool {
	return len(m.Params) >= 2 && isCTCPText(m.Params[1])
}

// isCTCPText reports whether a message's text is a CTCP request other
// than ACTION.
func isCTCPText(text string) bool {
	return strings.HasPrefix(text, "\x01") && !strings.HasPrefix(text, "\x01ACTION ")
}

// replayLine is e as a client without server-time sees it: from its
// sender, its text led by the time it was sent; nil for what is not
// replayed (a CTCP other than ACTION, a TAGMSG).
func replayLine(w *state.World, c *state.Client, e *state.HistoryEntry, text string, stamped, first bool) []byte {
	m := e.Msg
	if len(m.Params) < 2 || (m.Command != "PRIVMSG" && m.Command != "NOTICE") {
		return nil
	}
	stamp := "[" + replayStamp(w.Now(), e.Time()) + "] "
	if !stamped {
		stamp = "" // a multiline message's line that continues the one before
	}
	if body, ok := strings.CutPrefix(text, "\x01ACTION "); ok {
		text = "\x01ACTION " + stamp + body
	} else {
		text = stamp + text
	}
	out := &irc.Message{Prefix: m.Prefix, Command: m.Command, Params: []string{m.Params[0], text}}
	line, err := state.Encode(out)
	if err != nil {
		return nil
	}
	if over := len(line) - state.MaxLineBytes; over > 0 {
		// The time in front must not push the line past 512 bytes: the
		// end of the text gives way (an ACTION keeps its closing byte).
		cut := strings.TrimSuffix(text, "\x01")
		cut = truncateUTF8(cut, len(cut)-over)
		if len(cut) < len(strings.TrimSuffix(text, "\x01")) && strings.HasSuffix(text, "\x01") {
			cut += "\x01"
		}
		out.Params[1] = cut
		if line, err = state.Encode(out); err != nil {
			return nil
		}
	}
	if c.Caps.Has(state.CapMessageTags) && first {
		line = state.WithTag(line, "msgid", e.Msgid())
	}
	return line
}

// replayMultiline is a multiline message as replayed: its lines that are
// neither blank nor CTCP requests (isCTCPText), as first sent to a
// client with server-time, else from its sender with the time in front
// of each line but those that continue the line before
// (draft/multiline-concat): every line reaches a client without
// multiline as a message of its own, and an old "!command" on a later
// line must not pass for a new one either.
func replayMultiline(w *state.World, c *state.Client, e *state.HistoryEntry, timed bool) [][]byte {
	var out [][]byte
	if timed {
		// Plain has a line for each line that is not blank, in order.
		plain := w.MultilineHistory(e).Plain(c.Caps)
		for _, l := range e.Lines {
			if l.Text == "" {
				continue
			}
			if !isCTCPText(l.Text) {
				out = append(out, plain[0])
			}
			plain = plain[1:]
		}
		return out
	}
	for _, l := range e.Lines {
		if l.Text == "" || isCTCPText(l.Text) {
			continue
		}
		first := len(out) == 0
		if line := replayLine(w, c, e, l.Text, first || !l.Concat, first); line != nil {
			out = append(out, line)
		}
	}
	return out
}

// replayStamp is when, as a replay shows it, in the server's time zone:
// "14:02" for today, "Tue 14:02" for the six days before, "Mar 3 14:02"
// before that (a message kept for an offline account may be old).
func replayStamp(now, when time.Time) string {
	now, when = now.Local(), when.Local()
	y, m, d := now.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	switch {
	case !when.Before(midnight):
		return when.Format("15:04")
	case !when.Before(midnight.AddDate(0, 0, -6)):
		return when.Format("Mon 15:04")
	default:
		return when.Format("Jan 2 15:04")
	}
}
