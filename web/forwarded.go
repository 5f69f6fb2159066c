package web

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the address a WebSocket client is counted, limited,
// K-lined and shown by, and whether its connection is encrypted all the
// way. The connection's own address, unless it comes from a trusted proxy:
// then the proxies' chain (Forwarded, RFC 7239, or else X-Forwarded-For)
// is read from the nearest hop back, skipping trusted proxies, and the
// first address that is not one is the client. A hop that is not an
// address (RFC 7239's "unknown" or an obfuscated name) stops the walk at
// the proxy that reported it. From anyone else the headers are ignored:
// they are whatever the client wants them to be.
func (st *settings) clientAddr(r *http.Request, peer netip.AddrPort) (addr netip.Addr, secure bool) {
	addr, secure = peer.Addr(), r.TLS != nil
	if !st.trusts(addr) {
		return addr, secure
	}
	hops, proto := forwardedChain(r.Header)
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseNode(hops[i])
		if !ok {
			break
		}
		addr = a
		if !st.trusts(a) {
			break
		}
	}
	if proto != "" {
		secure = strings.EqualFold(proto, "https")
	}
	return addr, secure
}

// forwardedChain returns the "for" nodes of the Forwarded header, client
// first, and the proto its nearest hop gave; without that header, those
// of X-Forwarded-For and X-Forwarded-Proto.
func forwardedChain(h http.Header) (hops []string, proto string) {
	if values := h.Values("Forwarded"); len(values) > 0 {
		for _, v := range values {
			for _, elem := range strings.Split(v, ",") {
				node, p := "", ""
				for _, pair := range strings.Split(elem, ";") {
					k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
					if !ok {
						continue
					}
					val = strings.Trim(strings.TrimSpace(val), `"`)
					switch strings.ToLower(strings.TrimSpace(k)) {
					case "for":
						node = val
					case "proto":
						p = val
					}
				}
				hops = append(hops, node)
				proto = p
			}
		}
		return hops, proto
	}
	for _, v := range h.Values("X-Forwarded-For") {
		for _, node := range strings.Split(v, ",") {
			hops = append(hops, strings.TrimSpace(node))
		}
	}
	return hops, lastValue(h.Values("X-Forwarded-Proto"))
}

// parseNode reads an address as proxies write it: 192.0.2.1,
// 192.0.2.1:4711, [2001:db8::1], [2001:db8::1]:4711 or a bare IPv6
// address.
func parseNode(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}
