package ircd

import (
	"container/list"
	"net/netip"
	"sync"
)

// pendingConns enforces [limits] max_unregistered and
// max_unregistered_per_ip: connections that have not completed
// registration, kept oldest first. A new connection past the per-IP limit
// is refused; one past the total limit makes the oldest unregistered
// connection go instead. Refusing would let anyone who keeps
// max_unregistered connections open (re-opening each after the
// registration timeout) keep every new user out; evicting the oldest
// means such an attacker must open them faster than a real client
// registers, in milliseconds. Registered clients are never affected.
//
// Entries leave when the connection registers (conn.Registered) or closes.
// Safe from any goroutine.
type pendingConns struct {
	mu    sync.Mutex
	order list.List // of *conn, oldest first
	perIP map[netip.Addr]int
}

const (
	whyUnregisteredPerIP = "Too many unregistered connections from your IP address (max_unregistered_per_ip)"
	whyUnregisteredEvict = "Too many unregistered connections; the oldest are closed (max_unregistered)"
)

// admit counts c as unregistered, or says why it is refused; evict, if
// not nil, is the oldest unregistered connection, to be closed to make
// room. max and perIP are the limits in force (perIP 0: none; exempt:
// c's address is exempt from it).
func (p *pendingConns) admit(c *conn, max, perIP int, exempt bool) (refusal string, evict *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if perIP > 0 && !exempt && p.perIP[c.addr] >= perIP {
		return whyUnregisteredPerIP, nil
	}
	if p.order.Len() >= max {
		oldest := p.order.Front().Value.(*conn)
		p.removeLocked(oldest)
		evict = oldest
	}
	if p.perIP == nil {
		p.perIP = make(map[netip.Addr]int)
	}
	p.perIP[c.addr]++
	c.pending = p.order.PushBack(c)
	return "", evict
}

// remove forgets c (it registered or closed); harmless if c is not there.
func (p *pendingConns) remove(c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.removeLocked(c)
}

func (p *pendingConns) removeLocked(c *conn) {
	if c.pending == nil {
		return
	}
	p.order.Remove(c.pending)
	c.pending = nil
	if p.perIP[c.addr] <= 1 {
		delete(p.perIP, c.addr)
	} else {
		p.perIP[c.addr]--
	}
}

// count is the number of unregistered connections.
func (p *pendingConns) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.order.Len()
}
