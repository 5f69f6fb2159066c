package state

import "time"

// Read markers (IRCv3 draft/read-marker): for each target, the time of
// the last message the user has read, so that the user's other devices
// know. They are kept per account, in memory (loaded at start) and in the
// store, and per session for a client without an account, in memory
// only. A marker only moves forward.

// SetReadMarker saves an account's marker for a target.
type SetReadMarker struct {
	Account string // folded
	Target  string // folded channel name or nick
	Time    time.Time
}

func (SetReadMarker) isWrite() {}

// LoadReadMarkers sets every account's markers (folded account → folded
// target → time), as the store has them. Call it before Run.
func (w *World) LoadReadMarkers(m map[string]map[string]time.Time) {
	w.history.markers = m
}

// markersOf returns the marker map of c's account, or of its session.
func (w *World) markersOf(c *Client, make bool) map[string]time.Time {
	h := &w.history
	if c.Account != "" {
		key := Fold(c.Account)
		m := h.markers[key]
		if m == nil && make {
			if h.markers == nil {
				h.markers = map[string]map[string]time.Time{}
			}
			m = map[string]time.Time{}
			h.markers[key] = m
		}
		return m
	}
	m := h.sessionMarkers[c.ID]
	if m == nil && make {
		if h.sessionMarkers == nil {
			h.sessionMarkers = map[ClientID]map[string]time.Time{}
		}
		m = map[string]time.Time{}
		h.sessionMarkers[c.ID] = m
	}
	return m
}

// ReadMarker is c's marker for target (by account, or by session without
// one); false when it has none.
func (w *World) ReadMarker(c *Client, target string) (time.Time, bool) {
	t, ok := w.markersOf(c, false)[Fold(target)]
	return t, ok
}

// MoveReadMarker sets c's marker for target to t if that moves it forward
// (the caller saved it first for an account: SetReadMarker) and reports
// whether it moved.
func (w *World) MoveReadMarker(c *Client, target string, t time.Time) bool {
	key := Fold(target)
	m := w.markersOf(c, true)
	if old, ok := m[key]; ok && !t.After(old) {
		return false
	}
	m[key] = t
	return true
}

// forgetSessionMarkers drops the markers of a client without an account.
func (w *World) forgetSessionMarkers(c *Client) { delete(w.history.sessionMarkers, c.ID) }
