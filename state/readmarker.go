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
	w.history.indexMarkers()
}

// markerHolders are the accounts (folded) and the sessions that have a
// marker for one target: historyState.markedBy, an index of markers and
// sessionMarkers by target. An empty set is deleted, so the index is
// the same however it was reached.
type markerHolders struct {
	accounts map[string]struct{}
	sessions map[ClientID]struct{}
}

// indexMarkers rebuilds markedBy from the markers (at start, and when a
// snapshot is restored).
func (h *historyState) indexMarkers() {
	h.markedBy = nil
	for acct, m := range h.markers {
		for target := range m {
			h.holders(target).accounts[acct] = struct{}{}
		}
	}
	for id, m := range h.sessionMarkers {
		for target := range m {
			h.holders(target).sessions[id] = struct{}{}
		}
	}
}

// holders returns target's entry of markedBy, made if need be.
func (h *historyState) holders(target string) *markerHolders {
	hs := h.markedBy[target]
	if hs == nil {
		if h.markedBy == nil {
			h.markedBy = map[string]*markerHolders{}
		}
		hs = &markerHolders{accounts: map[string]struct{}{}, sessions: map[ClientID]struct{}{}}
		h.markedBy[target] = hs
	}
	return hs
}

// unmark takes the account acct (or, with acct "", the session id) out
// of target's holders.
func (h *historyState) unmark(target, acct string, id ClientID) {
	hs := h.markedBy[target]
	if hs == nil {
		return
	}
	if acct != "" {
		delete(hs.accounts, acct)
	} else {
		delete(hs.sessions, id)
	}
	if len(hs.accounts) == 0 && len(hs.sessions) == 0 {
		delete(h.markedBy, target)
	}
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
	if _, had := m[key]; !had {
		hs := w.history.holders(key)
		if c.Account != "" {
			hs.accounts[Fold(c.Account)] = struct{}{}
		} else {
			hs.sessions[c.ID] = struct{}{}
		}
	}
	m[key] = t
	return true
}

// forgetSessionMarkers drops the markers of a client without an account.
func (w *World) forgetSessionMarkers(c *Client) {
	h := &w.history
	for target := range h.sessionMarkers[c.ID] {
		h.unmark(target, "", c.ID)
	}
	delete(h.sessionMarkers, c.ID)
}
