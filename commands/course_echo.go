package commands

import (
	"chatd/state"
)

// courseEcho gives the sender of a PM or GC its own message back, in the
// one form its client files under the conversation it belongs to. The
// copy is a "self-message": a PRIVMSG whose source is the sender and whose
// target is the other party. What each client does with one, as checked
// in the clients themselves:
//
//   - irssi 1.4 requests znc.in/self-message and shows it in the query
//     with the target; WeeChat 3.8 shows it there too when asked to
//     request znc.in/self-message (the shipped clients/chatd.py does);
//     clients with echo-message take it as the echo of what they sent.
//   - HexChat 2.16 requests neither and opens a query named after the
//     sender (itself), so the conversation is split over two tabs.
//   - Every client files a message to a channel under the channel, so a
//     GC copy is always right.
//   - A client that never negotiated capabilities (nc, ii, bots) reads the
//     raw line, or files it by its target (ii).
//
// So a PM copy goes to clients that asked for self-messages or never
// negotiated, and a client that negotiated without asking is told with a
// NOTE that the message went out, and how to see both sides in one window.
func courseEcho(w *state.World, c *state.Client, out *state.Fanout, target string, toChannel bool) {
	if toChannel || c.Caps.Has(state.CapSelfMessage) || !negotiatedCaps(c) {
		out.To(c)
		return
	}
	w.ServerMessage(c, "NOTE", "PM", "NOT_ECHOED", target,
		"Sent to "+target+". To see both sides in one window, type /query "+target+" and chat there")
}

// negotiatedCaps reports whether the client took part in capability
// negotiation at all (CAP LS or a CAP REQ that was acknowledged).
func negotiatedCaps(c *state.Client) bool {
	return c.CapVersion != 0 || c.Caps != 0
}
