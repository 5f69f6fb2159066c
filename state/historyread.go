package state

import (
	"cmp"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"gopkg.in/irc.v4"
)

// Reading history. Memory answers when it holds the exact answer (the
// ring of every target asked about knows everything in the range asked
// for); otherwise the store does, on its own goroutines, and the answer
// comes back as an event. A read for a client's line holds the client
// meanwhile (Hold, Resume), so its reply keeps its place and its label.

// ErrHistoryBusy is the answer when the store has too many reads waiting.
var ErrHistoryBusy = errors.New("history: too many reads waiting")

// historyRingFor returns the ring of the target key, if any, and whether
// memory knows everything about a target that has none (it never had a
// row in the store, or it is kept in memory only).
func (w *World) historyRingFor(key string) (r *historyRing, known bool) {
	h := &w.history
	if strings.HasPrefix(key, "@") || strings.HasPrefix(key, "$") {
		r = h.private[key]
	} else if ch := w.channels[key]; ch != nil {
		r = ch.history
	}
	if r != nil {
		return r, true
	}
	return nil, !h.kept || strings.HasPrefix(key, "$") || h.stored[key] == 0
}

// historyFromMemory answers ranges from memory; false when memory cannot
// be sure of an answer.
func (w *World) historyFromMemory(ranges []HistoryRange) ([][]*HistoryEntry, bool) {
	out := make([][]*HistoryEntry, len(ranges))
	for i, rg := range ranges {
		r, known := w.historyRingFor(rg.Target)
		if r == nil {
			if !known {
				return nil, false
			}
			continue
		}
		res, exact := r.query(rg)
		if !exact {
			return nil, false
		}
		out[i] = res
	}
	return out, true
}

// ReadHistory answers ranges for c's current line and calls then with the
// entries of each range, oldest first (or err). From memory it calls then
// at once; otherwise c is held until the store answers, and then runs as
// the rest of c's line. Only code running for c's line may call it.
func (w *World) ReadHistory(c *Client, ranges []HistoryRange, then func(w *World, results [][]*HistoryEntry, err error)) {
	if res, ok := w.historyFromMemory(ranges); ok {
		then(w, res, nil)
		return
	}
	w.flushHistory() // the store must see what was recorded until now
	store := w.history.store
	w.Hold(c)
	w.offload(c, func(done func([]byte)) {
		if store == nil || !store.QueryHistory(ranges, func(res [][]*HistoryEntry, err error) { done(historyResult(res, err)) }) {
			done(historyResult(nil, ErrHistoryBusy))
		}
	}, func(w *World, data []byte) {
		res, err := parseHistoryResult(data)
		w.Resume(c, func() { then(w, res, err) })
	})
}

// ReadHistoryLater answers ranges like ReadHistory, but for lines that are
// not a reply to anything (a replay to c): then runs at once from memory,
// or as an event of its own when c's node's store answers (World.Offload).
// It holds nobody.
func (w *World) ReadHistoryLater(c *Client, ranges []HistoryRange, then func(w *World, results [][]*HistoryEntry, err error)) {
	if res, ok := w.historyFromMemory(ranges); ok {
		then(w, res, nil)
		return
	}
	w.flushHistory()
	store := w.history.store
	w.offload(c, func(done func([]byte)) {
		if store == nil || !store.QueryHistory(ranges, func(res [][]*HistoryEntry, err error) { done(historyResult(res, err)) }) {
			done(historyResult(nil, ErrHistoryBusy))
		}
	}, func(w *World, data []byte) {
		res, err := parseHistoryResult(data)
		then(w, res, err)
	})
}

// ReadTargets lists, for c's current line, the targets c may read whose
// newest message has lo < ord < hi (CHATHISTORY TARGETS), oldest first:
// the given channel keys and c's conversations (stored ones under its
// account, and those of its session, in memory only). c is held while
// the store answers, as with ReadHistory.
func (w *World) ReadTargets(c *Client, channels []string, lo, hi uint64, then func(w *World, targets []HistoryTarget, err error)) {
	mine := func() []HistoryTarget {
		var out []HistoryTarget
		for _, key := range w.history.sessions[c.ID] {
			if e := w.history.private[key].last(KindMessage); e != nil && e.Ord > lo && e.Ord < hi {
				out = append(out, HistoryTarget{Target: key, Last: e.Ord})
			}
		}
		return out
	}
	prefix := PrivatePrefix(c)
	if !w.history.kept {
		var out []HistoryTarget
		for _, key := range channels {
			if ch := w.channels[key]; ch != nil {
				if e := ch.history.last(KindMessage); e != nil && e.Ord > lo && e.Ord < hi {
					out = append(out, HistoryTarget{Target: key, Last: e.Ord})
				}
			}
		}
		for key, r := range w.history.private {
			if prefix != "" && strings.HasPrefix(key, prefix) {
				if e := r.last(KindMessage); e != nil && e.Ord > lo && e.Ord < hi {
					out = append(out, HistoryTarget{Target: key, Last: e.Ord})
				}
			}
		}
		then(w, sortTargets(append(out, mine()...)), nil)
		return
	}
	w.flushHistory()
	store := w.history.store
	w.Hold(c)
	w.offload(c, func(done func([]byte)) {
		if store == nil || !store.QueryTargets(channels, prefix, lo, hi, func(list []HistoryTarget, err error) { done(targetsResult(list, err)) }) {
			done(targetsResult(nil, ErrHistoryBusy))
		}
	}, func(w *World, data []byte) {
		list, err := parseTargetsResult(data)
		w.Resume(c, func() {
			if err != nil {
				then(w, nil, err)
				return
			}
			then(w, sortTargets(append(list, mine()...)), nil)
		})
	})
}

// A read's answer is a Result of the log (the store of the reader's node
// answered; every node continues with the same rows). The encodings:

type historyAnswer struct {
	Entries [][]*HistoryEntry `json:"entries,omitempty"`
	Targets []HistoryTarget   `json:"targets,omitempty"`
	Err     string            `json:"err,omitempty"`
}

func historyResult(res [][]*HistoryEntry, err error) []byte {
	a := historyAnswer{Entries: res}
	if err != nil {
		a = historyAnswer{Err: err.Error()}
	}
	data, err := json.Marshal(a)
	if err != nil {
		data, _ = json.Marshal(historyAnswer{Err: "encoding history: " + err.Error()})
	}
	return data
}

func targetsResult(list []HistoryTarget, err error) []byte {
	a := historyAnswer{Targets: list}
	if err != nil {
		a = historyAnswer{Err: err.Error()}
	}
	data, _ := json.Marshal(a)
	return data
}

func parseAnswer(data []byte) (historyAnswer, error) {
	var a historyAnswer
	switch {
	case data == nil:
		return a, errors.New("history: the reading node failed")
	case json.Unmarshal(data, &a) != nil:
		return a, errors.New("history: a broken answer")
	case a.Err == ErrHistoryBusy.Error():
		return a, ErrHistoryBusy
	case a.Err != "":
		return a, errors.New(a.Err)
	}
	return a, nil
}

func parseHistoryResult(data []byte) ([][]*HistoryEntry, error) {
	a, err := parseAnswer(data)
	return a.Entries, err
}

func parseTargetsResult(data []byte) ([]HistoryTarget, error) {
	a, err := parseAnswer(data)
	return a.Targets, err
}

// sortTargets orders targets by their newest message, then by key.
func sortTargets(list []HistoryTarget) []HistoryTarget {
	slices.SortFunc(list, func(a, b HistoryTarget) int {
		if c := cmp.Compare(a.Last, b.Last); c != 0 {
			return c
		}
		return strings.Compare(a.Target, b.Target)
	})
	return list
}

// HistoryLine is e encoded for a client with caps, with its msgid and
// server-time as first sent, and a JOIN in the form the client asked for
// (extended-join or not).
func (w *World) HistoryLine(e *HistoryEntry, caps CapSet) []byte {
	msg := e.Msg
	if msg.Command == "JOIN" && len(msg.Params) > 1 && !caps.Has(CapExtendedJoin) {
		msg = &irc.Message{Prefix: msg.Prefix, Command: "JOIN", Params: msg.Params[:1:1]}
	}
	return w.entryFanout(e, msg).Line(caps)
}
