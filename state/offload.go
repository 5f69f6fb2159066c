package state

import (
	"errors"
	"slices"
	"time"
)

// Slow work (bcrypt, a timer, a store write) never runs on the state
// goroutine, and its outcome is an event of the log like any other: a
// Result, applied in log order on every node by the same continuation.
// Every node ran the same handler, so every node registered the same
// continuation under the same key (a counter in the world); only the
// client's own node does the work and puts its result in the log. On a
// single server the result comes back through the inbox, which costs
// what World.Post costs.

// cont is a continuation waiting for its Result.
type cont struct {
	c  *Client // whose work it is; nil for a store write
	fn func(w *World, data []byte)
}

// await registers fn as the continuation for the next key.
func (w *World) await(c *Client, fn func(w *World, data []byte)) uint64 {
	w.contSeq++
	w.conts[w.contSeq] = cont{c: c, fn: fn}
	return w.contSeq
}

// resume runs the continuation a Result is for (once: a repeated Result
// finds nothing).
func (w *World) resume(r Result) {
	k, ok := w.conts[r.Key]
	if !ok {
		return
	}
	delete(w.conts, r.Key)
	k.fn(w, r.Data)
}

// Waiting is the number of continuations waiting for their Result. A
// snapshot can only be taken when it is 0 (continuations are code, not
// data).
func (w *World) Waiting() int { return len(w.conts) }

// Offload runs work off the state goroutine, on c's node only, and then
// apply on the state goroutine of every node with what work returned, as
// an event of the log. work must return a non-nil slice (an empty one
// will do): apply gets nil when the work was lost because c's node
// failed first. apply runs even if c has left meanwhile (check c.Gone);
// a handler that must keep c's later lines waiting Holds c first and ends
// apply with Resume.
func (w *World) Offload(c *Client, work func() []byte, apply func(w *World, result []byte)) {
	w.offload(c, func(done func([]byte)) { go func() { done(work()) }() }, apply)
}

// After runs fn on the state goroutine of every node once d has passed on
// c's node's clock, as an event of the log; not at all if c's node
// failed first.
func (w *World) After(c *Client, d time.Duration, fn func(w *World)) {
	w.Timer(c, d, fn)
}

// Timer is After, and returns the key of fn's continuation for
// CancelTimer.
func (w *World) Timer(c *Client, d time.Duration, fn func(w *World)) uint64 {
	var key uint64
	var t *time.Timer
	key = w.offload(c, func(done func([]byte)) {
		t = time.AfterFunc(d, func() { done([]byte{}) })
	}, func(w *World, result []byte) {
		delete(w.localTimers, key)
		if result != nil {
			fn(w)
		}
	})
	if t != nil {
		w.localTimers[key] = t
	}
	return key
}

// CancelTimer forgets the continuation of a Timer that has not fired, so
// that it no longer keeps the world from being Quiescent (a snapshot),
// and on the timer's own node stops it, so that no empty Result goes
// through the log for it. (One that fired already finds nothing to run.)
// Every node cancels the same key at the same event.
func (w *World) CancelTimer(key uint64) {
	delete(w.conts, key)
	if t := w.localTimers[key]; t != nil {
		t.Stop()
		delete(w.localTimers, key)
	}
}

// offload registers apply and, where c is local, starts the work, which
// calls done once with its result from any goroutine. It returns the
// continuation's key.
func (w *World) offload(c *Client, start func(done func([]byte)), apply func(*World, []byte)) uint64 {
	key := w.await(c, apply)
	if c.remote || w.mode == Replica {
		return key // its own node does the work
	}
	log := w.log
	start(func(data []byte) {
		if data == nil {
			data = []byte{}
		}
		if log != nil {
			log.Publish(Result{Key: key, Data: data})
			return
		}
		w.Later(func(w *World) { w.apply(Result{Key: key, Data: data}) })
	})
	return key
}

// loseWork runs, with a nil result, the continuations of clients whose
// node failed: their results will never come.
func (w *World) loseWork(lost func(*Client) bool) {
	var keys []uint64
	for key, k := range w.conts {
		if k.c != nil && lost(k.c) {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	for _, key := range keys {
		w.resume(Result{Key: key})
	}
}

// Persist hands wr to the store; then runs on the state goroutine once it
// committed (err nil) or failed. A reply that says something was saved
// belongs in then.
//
// On a single server the store's answer comes back as a Result (through
// Later, so the store's goroutine never waits for a full inbox); a
// Replica replaying its log waits for that Result (a replayed server is
// taken to have had a store; without one, then runs at once). On a
// cluster node the write is committed when its event is in the log (the
// event being applied now: JetStream has stored it on a majority of its
// replicas), so then runs at once on every node, and the node's store
// applies the write as a projection of the log.
func (w *World) Persist(wr Write, then func(w *World, err error)) {
	switch {
	case w.mode == Clustered:
		if w.store != nil {
			w.store.Submit(Projected{Seq: w.seq, Write: wr}, nil)
		}
		then(w, nil)
		return
	case w.store == nil && w.mode == Standalone:
		then(w, nil)
		return
	}
	key := w.await(nil, func(w *World, data []byte) { then(w, storeError(data)) })
	if w.mode == Replica {
		return // the recorded server's store answered: its Result is in the log
	}
	answer := func(err error) {
		w.Later(func(w *World) { w.apply(Result{Key: key, Data: storeOutcome(err)}) })
	}
	if !w.store.Submit(wr, answer) {
		answer(ErrStoreBusy)
	}
}

// storeOutcome is a store write's answer as a Result carries it: empty
// for success, else the error's text.
func storeOutcome(err error) []byte {
	if err == nil {
		return []byte{}
	}
	return []byte(err.Error())
}

func storeError(data []byte) error {
	switch {
	case len(data) == 0:
		return nil
	case string(data) == ErrStoreBusy.Error():
		return ErrStoreBusy
	}
	return errors.New(string(data))
}
