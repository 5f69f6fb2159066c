package ircd

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	"chatd/conf"
)

// ipLimits enforces [limits] max_per_ip and connect_rate at accept time,
// before a connection costs the state goroutine anything. Addresses in
// limit_exempt are let through.
type ipLimits struct {
	maxPerIP    int
	connectRate int // per minute; 0 disables
	exempt      []netip.Prefix

	mu    sync.Mutex
	open  map[netip.Addr]int
	rates map[netip.Addr]*tokenBucket
}

func newIPLimits(l conf.Limits) (*ipLimits, error) {
	il := &ipLimits{
		maxPerIP:    l.MaxPerIP,
		connectRate: l.ConnectRate,
		open:        make(map[netip.Addr]int),
		rates:       make(map[netip.Addr]*tokenBucket),
	}
	for _, s := range l.LimitExempt {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("ircd: limits.limit_exempt: %w", err)
		}
		il.exempt = append(il.exempt, p.Masked())
	}
	return il, nil
}

// isExempt must be called with il.mu held.
func (il *ipLimits) isExempt(addr netip.Addr) bool {
	for _, p := range il.exempt {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// exempts reports whether addr is in limit_exempt.
func (il *ipLimits) exempts(addr netip.Addr) bool {
	il.mu.Lock()
	defer il.mu.Unlock()
	return il.isExempt(addr)
}

// admit counts a new connection from addr, or says why it is refused.
// Every admitted connection must be followed by release. Connections from
// exempt addresses are counted too, so that a REHASH changing the
// exemptions keeps the counts right.
func (il *ipLimits) admit(addr netip.Addr, now time.Time) (refusal string) {
	il.mu.Lock()
	defer il.mu.Unlock()
	if il.isExempt(addr) {
		il.open[addr]++
		return ""
	}
	if il.maxPerIP > 0 && il.open[addr] >= il.maxPerIP {
		return "Too many connections from your IP address (max_per_ip)"
	}
	if il.connectRate > 0 {
		b := il.rates[addr]
		if b == nil {
			if len(il.rates) > 10000 {
				il.prune(now)
			}
			nb := newTokenBucket(il.connectRate, float64(il.connectRate)/60, now)
			b = &nb
			il.rates[addr] = b
		}
		if !b.take(now) {
			return "Connecting too fast; try again in a minute (connect_rate)"
		}
	}
	il.open[addr]++
	return ""
}

// release forgets a closed connection from addr.
func (il *ipLimits) release(addr netip.Addr) {
	il.mu.Lock()
	defer il.mu.Unlock()
	if il.open[addr] <= 1 {
		delete(il.open, addr)
	} else {
		il.open[addr]--
	}
}

// prune drops rate buckets that have refilled, keeping the map bounded.
func (il *ipLimits) prune(now time.Time) {
	for addr, b := range il.rates {
		b.refill(now)
		if b.tokens >= b.burst {
			delete(il.rates, addr)
		}
	}
}
