// Package passcheck owns what every password check in chatd shares, so
// that guessing passwords costs the guesser time and the server little:
//
//   - Checker bounds the bcrypt work running at once for the whole server
//     (a semaphore; work waits its turn, in order, except that work for
//     clients with no recent failures goes before that of suspects, so a
//     real user is not queued behind a crowd of guessers) and keeps the
//     dummy hashes an unknown name is compared against. Its methods block
//     and are for goroutines other than the state goroutine; they are
//     safe from any goroutine.
//   - Throttle keeps, per IP address (IPv6 by /64), per key (an account
//     name, say) and per client, the failures of one kind of check: a
//     guesser gets a few tries, then one per interval, refused without
//     hashing; and each failure is answered after a delay that doubles
//     with the client's consecutive failures. Only the state goroutine
//     uses a Throttle, with times from the world.
//
// OPER (commands/oper.go) and the account logins (commands/login.go) use
// one Checker per server and a Throttle each.
package passcheck

import (
	"crypto/rand"
	"runtime"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Checker runs password hashing with a bound on how much runs at once.
type Checker struct {
	mu      sync.Mutex
	free    int                // slots not in use
	waiting [2][]chan struct{} // by priority: [0] clean, [1] suspect; FIFO
	dummies map[int][]byte
}

// Priority orders the work waiting for a slot.
type Priority int

const (
	// Clean work, for a client and address without recent failures, goes
	// first.
	Clean Priority = iota
	// Suspect work waits until no clean work does.
	Suspect
)

// New returns a Checker that runs at most n hashing jobs at once; n <= 0
// means DefaultSlots.
func New(n int) *Checker {
	if n <= 0 {
		n = DefaultSlots()
	}
	return &Checker{free: n, dummies: map[int][]byte{}}
}

// DefaultSlots is half the CPUs the process may use, at least one: a storm
// of password checks can take that much of the machine and no more, and
// the state goroutine and the connections keep the rest.
func DefaultSlots() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// Run runs fn once a slot is free and returns when it is done. Clean work
// is served before suspect work, each in order of arrival. For any slow
// hashing: comparing, or hashing a new password.
func (pc *Checker) Run(p Priority, fn func()) {
	pc.acquire(p)
	defer pc.release()
	fn()
}

// Waiting reports how many jobs wait for a slot (for metrics and tests).
func (pc *Checker) Waiting() int {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return len(pc.waiting[Clean]) + len(pc.waiting[Suspect])
}

func (pc *Checker) acquire(p Priority) {
	pc.mu.Lock()
	if pc.free > 0 && len(pc.waiting[Clean]) == 0 && len(pc.waiting[Suspect]) == 0 {
		pc.free--
		pc.mu.Unlock()
		return
	}
	turn := make(chan struct{})
	pc.waiting[p] = append(pc.waiting[p], turn)
	pc.mu.Unlock()
	<-turn // the slot is handed over by release
}

func (pc *Checker) release() {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for p := range pc.waiting {
		if q := pc.waiting[p]; len(q) > 0 {
			turn := q[0]
			q[0] = nil
			pc.waiting[p] = q[1:]
			close(turn)
			return
		}
	}
	pc.free++
}

// Compare reports whether input matches the bcrypt hash. A nil hash (the
// name is unknown) is compared against a dummy hash of dummyCost, so that
// the answer takes as long as for a wrong password and tells nothing about
// which names exist; it never matches. It waits for a slot.
func (pc *Checker) Compare(p Priority, hash, input []byte, dummyCost int) bool {
	match := false
	pc.Run(p, func() {
		h := hash
		if h == nil {
			h = pc.dummy(dummyCost)
		}
		match = bcrypt.CompareHashAndPassword(h, input) == nil && hash != nil
	})
	return match
}

// dummy returns, per cost, a hash of a random password that no input
// matches. Making it the first time costs known and unknown names alike.
func (pc *Checker) dummy(cost int) []byte {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if h, ok := pc.dummies[cost]; ok {
		return h
	}
	h, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	if err != nil {
		h, _ = bcrypt.GenerateFromPassword([]byte(rand.Text()), bcrypt.DefaultCost)
	}
	pc.dummies[cost] = h
	return h
}
