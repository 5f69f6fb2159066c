package commands

import (
	"strings"
	"time"

	"chatd/state"

	"gopkg.in/irc.v4"
)

// MARKREAD (IRCv3 draft/read-marker): a client tells the server the time
// of the last message its user read in a target, and every client of the
// same user (account) with the capability is told, so that a second
// device knows what was read. The marker only moves forward; it is kept
// per account in the store (the answer comes once it is saved), per
// session for a client without an account. After each JOIN a client with
// the capability is told the channel's marker ("*" for none), before the
// NAMES.
//
//	MARKREAD <target>                        -> MARKREAD <target> timestamp=...|*
//	MARKREAD <target> timestamp=<time>       -> the same, with the marker now
//
// Refusals: FAIL MARKREAD NEED_MORE_PARAMS, INVALID_PARAMS (a target that
// is no channel or nick name, or a bad timestamp) and INTERNAL_ERROR (it
// could not be saved).

// addMarkreadCommand adds MARKREAD to the table.
func addMarkreadCommand(t table) {
	t["MARKREAD"] = command{handle: handleMarkread, minParams: 0,
		usage: "MARKREAD <target> [timestamp=<time>]",
		help:  "Tell your other devices what you have read (IRCv3 read-marker; clients do this for you)."}
}

func handleMarkread(w *state.World, c *state.Client, m *irc.Message) error {
	if !w.Config.History.Enabled {
		return numeric(irc.ERR_UNKNOWNCOMMAND, "MARKREAD", "Unknown command")
	}
	if len(m.Params) == 0 || m.Params[0] == "" {
		return fail("MARKREAD", "NEED_MORE_PARAMS", "Missing parameters")
	}
	target := m.Params[0]
	if !markerTarget(w, target) {
		return fail("MARKREAD", "INVALID_PARAMS", target, "Not a channel or nick name")
	}
	if len(m.Params) == 1 {
		sendMarker(w, c, target)
		return nil
	}
	value, ok := strings.CutPrefix(m.Params[1], "timestamp=")
	at, err := time.Parse(time.RFC3339Nano, value)
	if !ok || err != nil {
		return fail("MARKREAD", "INVALID_PARAMS", m.Params[1], "Timestamps are timestamp=YYYY-MM-DDThh:mm:ss.sssZ")
	}
	// Never later than now, never earlier than the marker already kept.
	if now := w.Now(); at.After(now) {
		at = now
	}
	at = at.Truncate(time.Millisecond)
	if old, ok := w.ReadMarker(c, target); ok && !at.After(old) {
		sendMarker(w, c, target)
		return nil
	}
	if c.Account == "" {
		w.MoveReadMarker(c, target, at)
		sendMarker(w, c, target)
		return nil
	}
	account := c.Account
	w.Hold(c)
	w.Persist(state.SetReadMarker{Account: state.Fold(account), Target: state.Fold(target), Time: at}, func(w *state.World, err error) {
		moved := false
		if err == nil && !c.Gone() && c.Account == account {
			moved = w.MoveReadMarker(c, target, at)
		}
		w.Resume(c, func() {
			if err != nil {
				w.Log.Error("read marker not saved", "account", account, "target", target, "err", err)
				sendError(w, c, fail("MARKREAD", "INTERNAL_ERROR", target, "The read timestamp could not be set"))
				return
			}
			sendMarker(w, c, target)
		})
		if moved {
			// The user's other clients learn of it too.
			for _, other := range w.AccountClients(account) {
				if other != c && other.Caps.Has(state.CapReadMarker) {
					w.Deliver(other, markerLine(w, other, target))
				}
			}
		}
	})
	return nil
}

// markerTarget reports whether name can be a MARKREAD target: a channel
// name or a nick.
func markerTarget(w *state.World, name string) bool {
	if isChannel(name) {
		return validChannel(name, w.Config.Limits.ChannelLength)
	}
	return validNick(name, w.Config.Limits.NickLength)
}

// sendMarker tells c its marker for target.
func sendMarker(w *state.World, c *state.Client, target string) {
	w.Send(c, markerLine(w, c, target))
}

// markerLine is MARKREAD <target> timestamp=... (or * for none) for c.
func markerLine(w *state.World, c *state.Client, target string) []byte {
	value := "*"
	if at, ok := w.ReadMarker(c, target); ok {
		value = "timestamp=" + at.UTC().Format(chathistoryTimeLayout)
	}
	line, err := state.Encode(&irc.Message{Prefix: w.ServerPrefix(), Command: "MARKREAD", Params: state.SafeParams([]string{target, value})})
	if err != nil {
		w.Log.Error("MARKREAD", "err", err)
		return nil
	}
	return line
}

// joinMarker tells a read-marker client, after its JOIN, its marker for
// the channel (read-marker: before the channel's RPL_ENDOFNAMES).
func joinMarker(w *state.World, c *state.Client, ch *state.Channel) {
	if c.Caps.Has(state.CapReadMarker) && w.Config.History.Enabled {
		sendMarker(w, c, ch.Name)
	}
}
