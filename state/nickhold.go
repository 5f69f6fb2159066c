package state

import "strconv"

// NextTimer returns a fresh, never zero, number that a handler stores to
// recognise its own timer when it fires (a later one replaces it).
func (w *World) NextTimer() uint64 {
	w.timers++
	return w.timers
}

// GuestNick returns a nick no one uses, "Guest" and a number that grows
// with each one handed out (deterministic: no random source).
func (w *World) GuestNick() string {
	for {
		w.guests++
		nick := "Guest" + strconv.FormatUint(w.guests, 10)
		if w.nicks[Fold(nick)] == nil {
			return nick
		}
	}
}

// ClearNick takes an unregistered client's nick away (a reserved nick
// refused at registration), so that the nick is free and the client must
// send another NICK.
func (w *World) ClearNick(c *Client) {
	if c.Registered || c.Nick == "" {
		return
	}
	if w.nicks[Fold(c.Nick)] == c {
		delete(w.nicks, Fold(c.Nick))
	}
	c.Nick = ""
}
