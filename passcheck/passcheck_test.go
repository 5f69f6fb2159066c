package passcheck

import (
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestThrottleBudgetPerAddress: an address's budget is taken as attempts
// start, so parallel attempts cannot exceed it; a success gives its share
// back; it refills with time; IPv6 addresses share a /64.
func TestThrottleBudgetPerAddress(t *testing.T) {
	th := NewThrottle(Policy{IPBurst: 3, IPEvery: time.Minute})
	a := netip.MustParseAddr("192.0.2.1")
	for i := range 3 {
		if wait := th.Begin(t0, uint64(i), a, ""); wait != 0 {
			t.Fatalf("attempt %d refused (wait %v) within the burst", i, wait)
		}
	}
	if wait := th.Begin(t0, 9, a, ""); wait <= 0 || wait > time.Minute {
		t.Fatalf("a fourth parallel attempt: wait %v, want refused for up to a minute", wait)
	}
	if wait := th.Begin(t0, 10, netip.MustParseAddr("192.0.2.2"), ""); wait != 0 {
		t.Fatalf("another address was refused: %v", wait)
	}
	th.End(t0, 0, a, "", true) // a success gives its share back
	if wait := th.Begin(t0, 11, a, ""); wait != 0 {
		t.Fatalf("refused after a success gave its share back: %v", wait)
	}
	if wait := th.Begin(t0.Add(time.Minute), 12, a, ""); wait != 0 {
		t.Fatalf("refused after the budget refilled by one: %v", wait)
	}

	v6 := NewThrottle(Policy{IPBurst: 1, IPEvery: time.Hour})
	v6.Begin(t0, 1, netip.MustParseAddr("2001:db8:1:2::1"), "")
	if wait := v6.Begin(t0, 2, netip.MustParseAddr("2001:db8:1:2:ffff::9"), ""); wait == 0 {
		t.Fatal("another address in the same IPv6 /64 got a budget of its own")
	}
	if wait := v6.Begin(t0, 3, netip.MustParseAddr("2001:db8:1:3::1"), ""); wait != 0 {
		t.Fatal("another /64 was refused")
	}
}

// TestThrottleBudgetPerKey: a key (an account) has a budget of its own,
// whatever the address.
func TestThrottleBudgetPerKey(t *testing.T) {
	th := NewThrottle(Policy{KeyBurst: 2, KeyEvery: time.Minute, IPBurst: 100, IPEvery: time.Second})
	for i := range 2 {
		addr := netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})
		if th.Begin(t0, uint64(i), addr, "alice") != 0 {
			t.Fatal("refused within the key's burst")
		}
		th.End(t0, uint64(i), addr, "alice", false)
	}
	if th.Begin(t0, 5, netip.MustParseAddr("203.0.113.5"), "alice") == 0 {
		t.Fatal("a third failure for the key from a new address was let through")
	}
	if th.Begin(t0, 6, netip.MustParseAddr("203.0.113.5"), "bob") != 0 {
		t.Fatal("another key was refused")
	}
}

// TestThrottleDelay: the answer to a failure waits Delay, doubling with
// each consecutive failure up to MaxDelay; a success starts afresh; a new
// connection from an address that failed lately does not.
func TestThrottleDelay(t *testing.T) {
	th := NewThrottle(Policy{IPBurst: 2, IPEvery: time.Hour, Delay: time.Second, MaxDelay: 8 * time.Second})
	a := netip.MustParseAddr("192.0.2.7")
	if d := th.Delay(t0, 1, a); d != 0 {
		t.Fatalf("delay %v before any failure", d)
	}
	for i, want := range []time.Duration{1, 2, 4, 8, 8} {
		if th.Begin(t0, 1, a, "") == 0 {
			th.End(t0, 1, a, "", false)
		}
		if d := th.Delay(t0, 1, a); d != want*time.Second {
			t.Fatalf("after failure %d: delay %v, want %v", i+1, d, want*time.Second)
		}
	}
	if d := th.Delay(t0, 2, a); d != 2*time.Second {
		t.Fatalf("a new client from an address two failures short: delay %v, want 2s", d)
	}
	b := netip.MustParseAddr("192.0.2.8")
	th.Begin(t0, 3, b, "")
	th.End(t0, 3, b, "", false)
	th.Begin(t0, 3, b, "")
	th.End(t0, 3, b, "", true)
	if d := th.Delay(t0, 3, b); d != time.Second {
		t.Fatalf("after a success: delay %v, want 1s (the address's earlier failure)", d)
	}
}

// TestCheckerBound: never more than n jobs at once.
func TestCheckerBound(t *testing.T) {
	pc := New(2)
	var running, most atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pc.Run(Suspect, func() {
				n := running.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(time.Millisecond) // hold the slot a little (work, not synchronisation)
				running.Add(-1)
			})
		}()
	}
	wg.Wait()
	if m := most.Load(); m > 2 || m < 1 {
		t.Fatalf("at most %d jobs ran at once, want 1 or 2 (bound 2)", m)
	}
}

// TestCheckerCleanFirst: with the slot busy, clean work that arrives after
// suspect work still runs first; each class in order of arrival.
func TestCheckerCleanFirst(t *testing.T) {
	pc := New(1)
	hold := make(chan struct{})
	started := make(chan struct{})
	go pc.Run(Clean, func() { close(started); <-hold })
	<-started
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	for _, w := range []struct {
		p    Priority
		name string
	}{{Suspect, "s1"}, {Suspect, "s2"}, {Clean, "c1"}, {Clean, "c2"}} {
		before := countQueued(pc)
		wg.Add(1)
		go pc.Run(w.p, func() {
			mu.Lock()
			order = append(order, w.name)
			mu.Unlock()
			wg.Done()
		})
		for countQueued(pc) == before {
			runtime.Gosched() // until it waits in its queue
		}
	}
	close(hold)
	wg.Wait()
	if got := order; len(got) != 4 || got[0] != "c1" || got[1] != "c2" || got[2] != "s1" || got[3] != "s2" {
		t.Fatalf("order %v, want [c1 c2 s1 s2]", got)
	}
}

func countQueued(pc *Checker) int {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return len(pc.waiting[0]) + len(pc.waiting[1])
}

// TestCompare: a match, a mismatch, and an unknown name (nil hash) that
// never matches, not even the dummy's own password.
func TestCompare(t *testing.T) {
	pc := New(1)
	h, err := bcrypt.GenerateFromPassword([]byte("right"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if !pc.Compare(Clean, h, []byte("right"), bcrypt.MinCost) {
		t.Error("the right password did not match")
	}
	if pc.Compare(Clean, h, []byte("wrong"), bcrypt.MinCost) {
		t.Error("a wrong password matched")
	}
	if pc.Compare(Clean, nil, []byte("right"), bcrypt.MinCost) {
		t.Error("an unknown name matched")
	}
}
