package web

import (
	"bufio"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"chatd/conf"
	"chatd/ircd"

	"github.com/coder/websocket"
)

// The IRCv3 WebSocket subprotocols.
const (
	protoBinary = "binary.ircv3.net"
	protoText   = "text.ircv3.net"
)

// wsPingInterval is how often a WebSocket client is sent a ping frame:
// below the 60 s after which common reverse proxies close a quiet
// connection.
const wsPingInterval = 30 * time.Second

// serveWebSocket upgrades /ws and hands the connection to ircd, where it
// is a client like any other.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	st := s.settings.Load()
	if s.stopping.Load() {
		s.irc.Stats().Refused("shutting_down")
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	peer := peerAddr(r)
	if !st.originAllowed(r, peer) {
		s.irc.Stats().Refused("origin")
		s.log.Warn("websocket refused: origin not allowed", "origin", r.Header.Get("Origin"), "remote", r.RemoteAddr)
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	addr, secure := st.clientAddr(r, peer)
	proto := chooseSubprotocol(r.Header.Values("Sec-WebSocket-Protocol"))
	opts := &websocket.AcceptOptions{
		// The origin was checked above, against more than the library
		// knows (allowed_origins are whole origins, proxies' hosts).
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	}
	if proto != "" {
		opts.Subprotocols = []string{proto}
	}
	hw := &hijackCapture{ResponseWriter: w}
	ws, err := websocket.Accept(hw, r, opts)
	if err != nil {
		s.irc.Stats().Refused("handshake")
		s.log.Debug("websocket handshake failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	if hw.conn == nil || hw.cork == nil { // cannot happen with net/http's server
		_ = ws.CloseNow()
		return
	}
	_ = hw.conn.SetDeadline(time.Time{})
	ircd.LimitSendBuffer(hw.conn)
	remote := net.TCPAddrFromAddrPort(netip.AddrPortFrom(addr, peer.Port()))
	t := newWSTransport(ws, hw.conn, hw.cork, remote, proto != protoBinary)
	go t.keepalive(wsPingInterval, st.pingTimeout)
	s.irc.Attach(ircd.Accepted{Transport: t, Addr: addr, Kind: ircd.KindWebSocket, Secure: secure})
}

// chooseSubprotocol picks the first subprotocol in the client's order of
// preference that chatd speaks (the IRCv3 WebSocket spec asks for the
// client's order; libraries pick by the server's). "" when there is none:
// the connection goes on without one, as text.
func chooseSubprotocol(headers []string) string {
	for _, h := range headers {
		for _, p := range strings.Split(h, ",") {
			switch p = strings.TrimSpace(p); {
			case strings.EqualFold(p, protoBinary):
				return protoBinary
			case strings.EqualFold(p, protoText):
				return protoText
			}
		}
	}
	return ""
}

// hijackCapture keeps the connection the library hijacks, so that the
// transport can bound its send buffer and cut it when a close handshake
// gets no answer.
type hijackCapture struct {
	http.ResponseWriter
	conn net.Conn  // the socket
	cork *corkConn // what the library writes to
}

func (h *hijackCapture) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return c, rw, err
	}
	cc, crw, err := corkHijack(c, rw)
	if err != nil {
		return c, rw, err
	}
	h.conn, h.cork = c, cc
	return cc, crw, nil
}

func (h *hijackCapture) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// peerAddr is the address the request came from (a proxy, perhaps).
func peerAddr(r *http.Request) netip.AddrPort {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func (st *settings) trusts(a netip.Addr) bool {
	for _, p := range st.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// originAllowed guards against cross-site WebSocket hijacking: a page on
// another site must not open a connection that carries the visitor's
// network position (and, one day, cookies). Allowed: no Origin (not a
// browser; anything can be forged there anyway), the page's own origin
// (the Host it asked, or the X-Forwarded-Host a trusted proxy passed on),
// and allowed_origins.
func (st *settings) originAllowed(r *http.Request, peer netip.AddrPort) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	norm, err := conf.NormalizeOrigin(origin)
	if err != nil {
		return false
	}
	if st.origins[norm] {
		return true
	}
	host := norm[strings.Index(norm, "://")+3:]
	if sameHost(host, r.Host) {
		return true
	}
	if st.trusts(peer.Addr()) {
		if fh := lastValue(r.Header.Values("X-Forwarded-Host")); fh != "" && sameHost(host, fh) {
			return true
		}
	}
	return false
}

// sameHost compares an origin's host[:port] (default port dropped) with a
// Host header.
func sameHost(originHost, hostHeader string) bool {
	hostHeader = strings.ToLower(strings.TrimSpace(hostHeader))
	if originHost == hostHeader {
		return true
	}
	h, port, err := net.SplitHostPort(hostHeader)
	if err == nil && (port == "80" || port == "443") {
		if strings.Contains(h, ":") {
			h = "[" + h + "]"
		}
		return originHost == h
	}
	return false
}

// lastValue is the last comma-separated value of a header (the one the
// nearest proxy added).
func lastValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	v := values[len(values)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}
