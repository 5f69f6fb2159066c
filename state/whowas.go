package state

import "time"

// WhowasEntry records a client that left, for WHOWAS.
type WhowasEntry struct {
	Nick, User, Host, Realname, Server string
	Left                               time.Time
	folded                             string // Fold(Nick), so a lookup folds nothing
}

// whowasRing keeps the most recent departures, bounded by
// limits.whowas_length so memory stays flat however many clients come and go.
type whowasRing struct {
	entries []WhowasEntry
	next    int
	full    bool
}

func newWhowasRing(size int) whowasRing {
	return whowasRing{entries: make([]WhowasEntry, size)}
}

func (r *whowasRing) add(e WhowasEntry) {
	if len(r.entries) == 0 {
		return
	}
	if e.folded == "" {
		e.folded = Fold(e.Nick)
	}
	r.entries[r.next] = e
	r.next = (r.next + 1) % len(r.entries)
	if r.next == 0 {
		r.full = true
	}
}

// Whowas returns up to count entries for nick, newest first (count <= 0
// means all).
func (w *World) Whowas(nick string, count int) []WhowasEntry {
	r := &w.whowas
	folded := Fold(nick)
	var out []WhowasEntry
	n := len(r.entries)
	filled := r.next
	if r.full {
		filled = n
	}
	for i := 1; i <= filled; i++ {
		e := r.entries[(r.next-i+n)%n]
		if e.folded == folded {
			out = append(out, e)
			if count > 0 && len(out) == count {
				break
			}
		}
	}
	return out
}
