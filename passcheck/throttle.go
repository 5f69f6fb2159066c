package passcheck

import (
	"math"
	"net/netip"
	"time"
)

// Policy is how one kind of password check is throttled.
type Policy struct {
	// IPBurst failures in a row are allowed from one address (an IPv6
	// /64), then one more per IPEvery. 0: no limit per address.
	IPBurst int
	IPEvery time.Duration
	// KeyBurst and KeyEvery are the same per key (an account name); 0: no
	// limit per key.
	KeyBurst int
	KeyEvery time.Duration
	// Delay is how long the answer to a client's failed (or refused)
	// attempt waits; it doubles with each further consecutive failure of
	// that client, up to MaxDelay. The client is held meanwhile: the
	// guesser waits, the server does nothing.
	Delay    time.Duration
	MaxDelay time.Duration
}

// Throttle applies a Policy. Only the state goroutine may use it.
//
// Begin takes one failure from the budgets of the address and the key
// before the check runs, and End gives it back on success: clients that
// guess in parallel from one address are counted as they start, not as
// they finish, so together they cannot start more checks than the budget.
type Throttle struct {
	p       Policy
	ips     buckets
	keys    buckets
	clients map[uint64]*clientFailures
}

type clientFailures struct {
	n  int
	at time.Time
}

// sweepAt bounds the entries kept: past it, those that no longer matter
// are dropped.
const sweepAt = 10000

// NewThrottle returns a Throttle for p.
func NewThrottle(p Policy) *Throttle {
	return &Throttle{
		p:       p,
		ips:     buckets{burst: float64(p.IPBurst), every: p.IPEvery, m: map[string]*bucket{}},
		keys:    buckets{burst: float64(p.KeyBurst), every: p.KeyEvery, m: map[string]*bucket{}},
		clients: map[uint64]*clientFailures{},
	}
}

// AddrKey is the key an address is throttled under: IPv4 addresses one
// by one, IPv6 by /64 (one subscriber commonly has a whole /64).
func AddrKey(addr netip.Addr) string {
	addr = addr.Unmap()
	if addr.Is6() {
		return netip.PrefixFrom(addr, 64).Masked().String()
	}
	return addr.String()
}

// Begin is called when client (from addr, for key; "" for none) makes an
// attempt. It reserves a failure from the address's and the key's budget
// and returns 0; or, when either is spent, it reserves nothing, counts a
// failure for the client and returns how long until one is back: the
// attempt must then be refused without checking the password.
func (t *Throttle) Begin(now time.Time, client uint64, addr netip.Addr, key string) (wait time.Duration) {
	if wait = t.Wait(now, addr, key); wait > 0 {
		t.failed(now, client)
		return wait
	}
	ip := AddrKey(addr)
	t.ips.take(ip, now)
	t.keys.take(key, now)
	return 0
}

// End records how an attempt that Begin let through went: a success gives
// back what Begin reserved and forgets the client's failures; a failure
// counts one more for the client.
func (t *Throttle) End(now time.Time, client uint64, addr netip.Addr, key string, ok bool) {
	if !ok {
		t.failed(now, client)
		return
	}
	t.ips.give(AddrKey(addr), now)
	t.keys.give(key, now)
	delete(t.clients, client)
}

// Wait reports how long attempts from addr for key must wait (0: they may
// go ahead), reserving nothing. With Fail it throttles a check that costs
// no hashing (SCRAM), where nothing needs reserving.
func (t *Throttle) Wait(now time.Time, addr netip.Addr, key string) time.Duration {
	return max(t.ips.wait(AddrKey(addr), now), t.keys.wait(key, now))
}

// Fail records a failed attempt that Begin did not reserve for.
func (t *Throttle) Fail(now time.Time, client uint64, addr netip.Addr, key string) {
	t.ips.take(AddrKey(addr), now)
	t.keys.take(key, now)
	t.failed(now, client)
}

// Delay is how long the answer to a failed or refused attempt by client
// from addr must wait: Delay, doubled for each failure after the first, at
// most MaxDelay, counting the client's consecutive failures or the
// address's recent ones (what its budget is short of), whichever is more,
// so that a guesser gains nothing by reconnecting. 0 with no failures.
func (t *Throttle) Delay(now time.Time, client uint64, addr netip.Addr) time.Duration {
	n := t.ips.deficit(AddrKey(addr), now)
	if f := t.clients[client]; f != nil {
		n = max(n, f.n)
	}
	if n == 0 || t.p.Delay <= 0 {
		return 0
	}
	d := t.p.Delay
	for i := 1; i < n && d < t.p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, max(t.p.MaxDelay, t.p.Delay))
}

// Forget drops what is kept about client (it left).
func (t *Throttle) Forget(client uint64) { delete(t.clients, client) }

func (t *Throttle) failed(now time.Time, client uint64) {
	f := t.clients[client]
	if f == nil {
		if len(t.clients) >= sweepAt {
			t.sweepClients(now)
		}
		f = &clientFailures{}
		t.clients[client] = f
	}
	f.n++
	f.at = now
}

// sweepClients drops clients whose last failure is long past: their
// connection has most likely gone, and if not they start afresh.
func (t *Throttle) sweepClients(now time.Time) {
	for id, f := range t.clients {
		if now.Sub(f.at) > 10*max(t.p.MaxDelay, time.Minute) {
			delete(t.clients, id)
		}
	}
}

// buckets is a token bucket of failures per key; burst 0 disables it.
type buckets struct {
	burst float64
	every time.Duration
	m     map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func (bs *buckets) get(key string, now time.Time) *bucket {
	if bs.burst <= 0 || key == "" {
		return nil
	}
	b := bs.m[key]
	if b == nil {
		if len(bs.m) >= sweepAt {
			bs.sweep(now)
		}
		b = &bucket{tokens: bs.burst, at: now}
		bs.m[key] = b
		return b
	}
	if now.After(b.at) {
		if bs.every > 0 {
			b.tokens = min(bs.burst, b.tokens+float64(now.Sub(b.at))/float64(bs.every))
		}
		b.at = now
	}
	return b
}

// wait is how long key must wait for a token (0: there is one).
func (bs *buckets) wait(key string, now time.Time) time.Duration {
	b := bs.get(key, now)
	if b == nil || b.tokens >= 1 {
		return 0
	}
	if bs.every <= 0 {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration((1 - b.tokens) * float64(bs.every))
}

func (bs *buckets) take(key string, now time.Time) {
	if b := bs.get(key, now); b != nil {
		b.tokens = max(0, b.tokens-1)
	}
}

func (bs *buckets) give(key string, now time.Time) {
	if b := bs.get(key, now); b != nil {
		b.tokens = min(bs.burst, b.tokens+1)
	}
}

// deficit is how many failures key's budget is short of, rounded up.
func (bs *buckets) deficit(key string, now time.Time) int {
	if bs.burst <= 0 || bs.m[key] == nil {
		return 0
	}
	b := bs.get(key, now)
	return int(math.Ceil(bs.burst - b.tokens))
}

// sweep drops the buckets that have refilled completely.
func (bs *buckets) sweep(now time.Time) {
	for k, b := range bs.m {
		if bs.every > 0 && now.After(b.at) {
			b.tokens = min(bs.burst, b.tokens+float64(now.Sub(b.at))/float64(bs.every))
			b.at = now
		}
		if b.tokens >= bs.burst {
			delete(bs.m, k)
		}
	}
}

// ThrottleState is what a Throttle remembers, as data: the budgets of
// addresses and keys and the failures of clients. A cluster's snapshot of
// the world carries it, so that every node throttles alike.
type ThrottleState struct {
	IPs     map[string]BucketState `json:"ips,omitempty"`
	Keys    map[string]BucketState `json:"keys,omitempty"`
	Clients map[uint64]FailState   `json:"clients,omitempty"`
}

// BucketState is one budget: its tokens at a time.
type BucketState struct {
	Tokens float64   `json:"tokens"`
	At     time.Time `json:"at"`
}

// FailState is one client's consecutive failures and the last one's time.
type FailState struct {
	N  int       `json:"n"`
	At time.Time `json:"at"`
}

// State returns what t remembers.
func (t *Throttle) State() ThrottleState {
	s := ThrottleState{IPs: t.ips.state(), Keys: t.keys.state()}
	if len(t.clients) > 0 {
		s.Clients = make(map[uint64]FailState, len(t.clients))
		for id, f := range t.clients {
			s.Clients[id] = FailState{N: f.n, At: f.at}
		}
	}
	return s
}

// SetState makes t remember s (and nothing else).
func (t *Throttle) SetState(s ThrottleState) {
	t.ips.setState(s.IPs)
	t.keys.setState(s.Keys)
	t.clients = make(map[uint64]*clientFailures, len(s.Clients))
	for id, f := range s.Clients {
		t.clients[id] = &clientFailures{n: f.N, at: f.At}
	}
}

func (bs *buckets) state() map[string]BucketState {
	if len(bs.m) == 0 {
		return nil
	}
	out := make(map[string]BucketState, len(bs.m))
	for k, b := range bs.m {
		out[k] = BucketState{Tokens: b.tokens, At: b.at}
	}
	return out
}

func (bs *buckets) setState(s map[string]BucketState) {
	bs.m = make(map[string]*bucket, len(s))
	for k, b := range s {
		bs.m[k] = &bucket{tokens: b.Tokens, at: b.At}
	}
}
