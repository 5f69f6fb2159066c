package state

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Kline is a server ban: a client whose nick!user@host matches Mask is
// refused at registration, and one online when the ban is set is
// disconnected. Matching (wildcards, casemapping) is the caller's.
type Kline struct {
	Mask    string    `json:"mask"`
	Reason  string    `json:"reason"`
	SetBy   string    `json:"set_by"`
	SetAt   time.Time `json:"set_at"`
	Expires time.Time `json:"expires,omitzero"` // zero for a permanent ban
}

// Expired reports whether the ban has run out at now.
func (k *Kline) Expired(now time.Time) bool {
	return !k.Expires.IsZero() && !now.Before(k.Expires)
}

// KlineStore keeps K-lines across restarts. Save is called on the state
// goroutine with the whole list encoded by EncodeKlines, after every
// change; it must not block or do I/O itself (hand the bytes to another
// goroutine, keeping only the newest).
type KlineStore interface {
	Save(data []byte)
}

// SetKlineStore sets where changed K-lines go. Call it before Run.
func (w *World) SetKlineStore(s KlineStore) { w.klineStore = s }

// LoadKlines replaces the K-lines (those already expired are dropped)
// without saving them. Call it before Run, or on the state goroutine.
func (w *World) LoadKlines(list []Kline) {
	w.klines = w.klines[:0]
	now := time.Now()
	for _, k := range list {
		if !k.Expired(now) {
			w.klines = append(w.klines, k)
		}
	}
}

// Klines returns the K-lines in force, oldest first, dropping expired ones.
// Callers must not modify the slice.
func (w *World) Klines() []Kline {
	now := time.Now()
	live := w.klines[:0]
	for _, k := range w.klines {
		if !k.Expired(now) {
			live = append(live, k)
		}
	}
	clear(w.klines[len(live):])
	w.klines = live
	return w.klines
}

// AddKline adds k, replacing a K-line with the same mask (compared
// casemapping-aware), and saves the list. It reports whether one was
// replaced.
func (w *World) AddKline(k Kline) (replaced bool) {
	list := w.Klines()
	for i := range list {
		if Fold(list[i].Mask) == Fold(k.Mask) {
			list[i] = k
			w.saveKlines()
			return true
		}
	}
	w.klines = append(w.klines, k)
	w.saveKlines()
	return false
}

// RemoveKline lifts the K-line on mask and saves the list; ok is false
// when there was none.
func (w *World) RemoveKline(mask string) (removed Kline, ok bool) {
	list := w.Klines()
	for i := range list {
		if Fold(list[i].Mask) == Fold(mask) {
			removed = list[i]
			w.klines = slices.Delete(list, i, i+1)
			w.saveKlines()
			return removed, true
		}
	}
	return Kline{}, false
}

func (w *World) saveKlines() {
	if w.klineStore == nil {
		return
	}
	data, err := EncodeKlines(w.Klines())
	if err != nil {
		w.Log.Error("encode K-lines", "err", err)
		return
	}
	w.klineStore.Save(data)
}

// EncodeKlines renders K-lines as the K-line file holds them (JSON).
func EncodeKlines(list []Kline) ([]byte, error) {
	if list == nil {
		list = []Kline{}
	}
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// DecodeKlines parses what EncodeKlines wrote.
func DecodeKlines(data []byte) ([]Kline, error) {
	var list []Kline
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("K-line file: %w", err)
	}
	for i, k := range list {
		if k.Mask == "" {
			return nil, fmt.Errorf("K-line file: entry %d has no mask", i+1)
		}
	}
	return list, nil
}
