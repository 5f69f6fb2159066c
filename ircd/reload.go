package ircd

import (
	"errors"
	"fmt"
	"net/netip"

	"chatd/conf"
)

// Reconfigure puts a new, validated config in force on the network side:
// readers pick up flood settings and timeouts at their next line, every
// connection's send queue the new sendq_bytes, new connections the
// connection limits; listeners still configured are kept
// (connected clients are never dropped), new ones are bound and served,
// removed ones are closed; the TLS certificate is re-read and served to new
// TLS connections. On error nothing changes.
//
// An address moved between listen.plain and listen.tls cannot be rebound
// in one step (the old socket still holds it) and is reported as an error.
func (s *Server) Reconfigure(cfg *conf.Config) error {
	s.reconfMu.Lock()
	defer s.reconfMu.Unlock()

	exempt, err := parseExempt(cfg.Limits)
	if err != nil {
		return err
	}
	cert, err := loadCert(cfg)
	if err != nil {
		return err
	}
	have := make(map[string]bool)
	s.mu.Lock()
	for _, l := range s.listeners {
		have[l.key] = true
	}
	s.mu.Unlock()
	added, err := s.bind(cfg, have)
	if err != nil {
		return err
	}

	want := make(map[string]bool)
	for _, a := range cfg.Listen.Plain {
		want[listenerKey(a, false)] = true
	}
	for _, a := range cfg.Listen.TLS {
		want[listenerKey(a, true)] = true
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		closeAll(added)
		return errors.New("ircd: shutting down")
	}
	if cert != nil {
		s.cert.Store(cert)
	}
	s.cfg.Store(cfg)
	s.limits.update(cfg.Limits, exempt)
	s.queues.hard.Store(int64(cfg.Limits.SendQBytes)) // existing connections too
	kept := s.listeners[:0]
	for _, l := range s.listeners {
		if want[l.key] {
			kept = append(kept, l)
			continue
		}
		s.log.Info("listener closed", "addr", l.Addr().String())
		_ = l.Close() // its accept loop ends; its connections stay
	}
	clear(s.listeners[len(kept):])
	s.listeners = kept
	for _, l := range added {
		s.listeners = append(s.listeners, l)
		s.log.Info("listening", "addr", l.Addr().String())
		if s.serving {
			s.accepting.Add(1)
			go s.acceptLoop(l)
		}
	}
	return nil
}

func parseExempt(l conf.Limits) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range l.LimitExempt {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("ircd: limits.limit_exempt: %w", err)
		}
		out = append(out, pfx.Masked())
	}
	return out, nil
}

// update applies new max_per_ip, connect_rate and limit_exempt. Open
// connections stay counted; connect-rate buckets restart when the rate
// changes.
func (il *ipLimits) update(l conf.Limits, exempt []netip.Prefix) {
	il.mu.Lock()
	defer il.mu.Unlock()
	il.maxPerIP = l.MaxPerIP
	il.exempt = exempt
	if l.ConnectRate != il.connectRate {
		il.connectRate = l.ConnectRate
		clear(il.rates)
	}
}
