package commands

import (
	"time"

	"chatd/passcheck"
	"chatd/state"
)

// checkSecret checks a password for c, the one way every password check
// goes (OPER, SASL PLAIN, PASS and NickServ logins):
//
//   - c is held from the start (its later lines wait, in order) until then
//     has run, as the rest of the handling of the line (World.Resume);
//   - th decides whether the attempt may be checked at all (failures per
//     address and per key); a refused attempt costs no hashing;
//   - the comparison runs off the state goroutine (World.Offload: on c's
//     own node, its outcome coming back as an event of the log), waiting
//     its turn for one of pc's slots (a bound for the whole server), after
//     clients without recent failures if c or its address has failed
//     lately;
//   - a failed or refused attempt is answered only after th's delay for
//     c, which doubles with c's (or its address's) recent failures: the
//     guesser waits, the server spends nothing meanwhile (a timer).
//
// hash is nil for an unknown name: a dummy of dummyCost is compared, so the
// answer takes as long and says the same. key is what is guessed at (an
// account name), "" for none. then runs on the state goroutine with ok,
// or with retry > 0 when the attempt was refused; it does not run if c
// leaves first.
func checkSecret(w *state.World, pc *passcheck.Checker, th *passcheck.Throttle, c *state.Client, key string, hash, input []byte, dummyCost int, then func(w *state.World, ok bool, retry time.Duration)) {
	id := uint64(c.ID)
	w.Hold(c)
	// Suspect if it or its address failed lately, or other attempts from
	// the address are under way; decided before this attempt takes its
	// share of the budget, which would make every attempt look suspect.
	prio := passcheck.Clean
	if th.Delay(w.Now(), id, c.Addr) > 0 {
		prio = passcheck.Suspect
	}
	if wait := th.Begin(w.Now(), id, c.Addr, key); wait > 0 {
		answerAfter(w, c, th.Delay(w.Now(), id, c.Addr), func(w *state.World) { then(w, false, wait) })
		return
	}
	// Only c's own node compares; every node applies the outcome, which
	// is all the log carries (one byte, never the password).
	w.Offload(c, func() []byte {
		if pc.Compare(prio, hash, input, dummyCost) {
			return []byte{1}
		}
		return []byte{0}
	}, func(w *state.World, result []byte) {
		if result == nil { // c's node failed before it could say: c is gone
			th.End(w.Now(), id, c.Addr, key, true)
			th.Forget(id)
			return
		}
		ok := result[0] == 1
		th.End(w.Now(), id, c.Addr, key, ok)
		if c.Gone() {
			th.Forget(id)
			return
		}
		if delay := th.Delay(w.Now(), id, c.Addr); !ok && delay > 0 {
			answerAfter(w, c, delay, func(w *state.World) { then(w, ok, 0) })
			return
		}
		w.Resume(c, func() { then(w, ok, 0) })
	})
}

// answerAfter resumes held c with fn after delay (at least one event
// later), without ever blocking the state goroutine: the wait is a timer
// on c's node, and the answer an event of the log (World.After).
func answerAfter(w *state.World, c *state.Client, delay time.Duration, fn func(*state.World)) {
	w.After(c, max(delay, 0), func(w *state.World) { w.Resume(c, func() { fn(w) }) })
}
