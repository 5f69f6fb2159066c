package ircd

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"chatd/conf"
	"chatd/state"

	"gopkg.in/irc.v4"
)

// Server accepts connections and wires each to the state goroutine.
type Server struct {
	cfg   atomic.Pointer[conf.Config] // replaced by Reconfigure; readers load it
	world *state.World
	log   *slog.Logger

	pingLine []byte
	// idleHandOff is how long a connection stays quiet before its reader
	// moves to a fresh goroutine with the smallest stack (reader.run).
	idleHandOff time.Duration
	limits      *ipLimits
	stats       *Stats
	pending     pendingConns // connections still registering (unregistered.go)
	queues      queueLimits  // send queue limits, shared by every connection
	nextID      atomic.Uint64
	idBase      atomic.Uint64 // high bits of every client ID: a cluster node's slot
	live        atomic.Int64  // open connections, for max_clients
	cert        atomic.Pointer[tls.Certificate]
	tlsConfig   *tls.Config // shared by TLS listeners; serves cert

	reconfMu  sync.Mutex // one Reconfigure at a time
	mu        sync.Mutex
	listeners []listener
	serving   bool           // Serve has started the accept loops
	closed    bool           // Serve has closed the listeners
	conns     sync.WaitGroup // one per open socket, done when it is closed
	accepting sync.WaitGroup
}

// DefaultIdleHandOff is long enough that a client in the middle of an
// exchange (registration, a burst of commands) keeps its reader goroutine,
// and short against the minutes a chat connection spends idle.
const DefaultIdleHandOff = 200 * time.Millisecond

// SetIdleHandOff changes how long a connection stays quiet before its
// reader moves to a fresh minimal goroutine; tests set 0 to take that path
// after every line. Call it before Serve.
func (s *Server) SetIdleHandOff(d time.Duration) { s.idleHandOff = d }

// SetStallTimeout changes how long a congested send queue may make no
// progress before its client is dropped (DefaultStallTimeout otherwise);
// for tests. It applies to existing connections too.
func (s *Server) SetStallTimeout(d time.Duration) { s.queues.stall.Store(int64(d)) }

// Stats are the network side's counters (for /metrics).
func (s *Server) Stats() *Stats { return s.stats }

// SetClientIDBase puts base in the high bits of every client ID from
// now on: a cluster node's IDs must differ from every other node's.
func (s *Server) SetClientIDBase(base uint64) { s.idBase.Store(base) }

// Config returns the configuration in force.
func (s *Server) Config() *conf.Config { return s.cfg.Load() }

// New prepares a server; Listen binds its addresses.
func New(cfg *conf.Config, world *state.World, log *slog.Logger) (*Server, error) {
	ping, err := state.Encode(&irc.Message{Command: "PING", Params: []string{cfg.Server.Name}})
	if err != nil {
		return nil, fmt.Errorf("ircd: ping line: %w", err)
	}
	limits, err := newIPLimits(cfg.Limits)
	if err != nil {
		return nil, err
	}
	s := &Server{world: world, log: log, pingLine: ping, limits: limits, stats: newStats(), idleHandOff: DefaultIdleHandOff}
	s.cfg.Store(cfg)
	s.queues.hard.Store(int64(cfg.Limits.SendQBytes))
	s.queues.stall.Store(int64(DefaultStallTimeout))
	s.tlsConfig = &tls.Config{
		MinVersion: tls.VersionTLS12,
		// A client certificate is asked for, never required or checked
		// against a CA: it is an identity (SASL EXTERNAL matches its
		// fingerprint against accounts), and self-signed ones are usual.
		ClientAuth: tls.RequestClientCert,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return s.cert.Load(), nil
		},
	}
	return s, nil
}

// Listen binds every configured listener. On error none stays bound.
func (s *Server) Listen() error {
	cfg := s.Config()
	cert, err := loadCert(cfg)
	if err != nil {
		return err
	}
	if cert != nil {
		s.cert.Store(cert)
	}
	ls, err := s.bind(cfg, nil)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.listeners = append(s.listeners, ls...)
	s.mu.Unlock()
	return nil
}

// loadCert reads the TLS certificate and key when cfg has TLS listeners
// (IRC or HTTPS); nil when it has none.
func loadCert(cfg *conf.Config) (*tls.Certificate, error) {
	if len(cfg.Listen.TLS)+len(cfg.HTTP.TLS) == 0 {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.Listen.TLSCert, cfg.Listen.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("ircd: tls certificate: %w", err)
	}
	return &cert, nil
}

// bind opens cfg's listeners except those whose key is in have. On error
// none of the new ones stays open.
func (s *Server) bind(cfg *conf.Config, have map[string]bool) ([]listener, error) {
	var ls []listener
	open := func(addr string, isTLS bool) error {
		key := listenerKey(addr, isTLS)
		if have[key] {
			return nil
		}
		// TCP keepalive is off: chatd's own PING finds dead clients, and
		// each keepalive setting is one more syscall per connection.
		lc := net.ListenConfig{KeepAlive: -1}
		l, err := lc.Listen(context.Background(), "tcp", addr)
		if err != nil {
			return fmt.Errorf("ircd: listen %s: %w", addr, err)
		}
		if isTLS {
			l = tls.NewListener(l, s.tlsConfig)
		}
		ls = append(ls, listener{Listener: l, tls: isTLS, key: key})
		return nil
	}
	for _, a := range cfg.Listen.Plain {
		if err := open(a, false); err != nil {
			closeAll(ls)
			return nil, err
		}
	}
	for _, a := range cfg.Listen.TLS {
		if err := open(a, true); err != nil {
			closeAll(ls)
			return nil, err
		}
	}
	return ls, nil
}

// Addrs returns the bound addresses (useful with port 0 in tests).
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]net.Addr, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = l.Addr()
	}
	return out
}

// Serve accepts on every listener until ctx is cancelled.
func (s *Server) Serve(ctx context.Context) {
	s.mu.Lock()
	for _, l := range s.listeners {
		s.accepting.Add(1)
		go s.acceptLoop(l)
	}
	s.serving = true
	s.mu.Unlock()
	<-ctx.Done()
	s.mu.Lock()
	s.closed = true
	closeAll(s.listeners)
	s.mu.Unlock()
	s.accepting.Wait()
}

// Wait waits until every connection's socket has been closed, at most
// timeout. It reports whether they all closed.
func (s *Server) Wait(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() { s.conns.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

func (s *Server) acceptLoop(l listener) {
	defer s.accepting.Done()
	for {
		nc, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("accept", "err", err)
			time.Sleep(50 * time.Millisecond) // EMFILE and the like: let them pass
			continue
		}
		s.startConn(nc, l.tls)
	}
}

func (s *Server) startConn(nc net.Conn, isTLS bool) {
	var addr netip.Addr
	if tcp, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		addr = tcp.AddrPort().Addr().Unmap()
	}
	limitSendBuffer(nc)
	a := Accepted{Transport: newStreamTransport(nc), Addr: addr, Kind: KindTCP}
	if tc, ok := nc.(*tls.Conn); ok {
		a.Kind, a.Secure = KindTLS, true
		// The handshake runs on the connection's own goroutine, off the
		// accept loop; the world hears of the connection once the client
		// certificate (if any) is known.
		a.Handshake = func() string {
			return handshake(tc, s.Config().Limits.RegistrationTimeout.Duration)
		}
	}
	s.attach(a)
}

// Accepted is a connection for the server to take on: its transport, the
// client's address (the real one, for per-IP limits, K-lines and WHOIS),
// and how it came.
type Accepted struct {
	Transport Transport
	Addr      netip.Addr
	Kind      Kind
	Secure    bool // TLS all the way to the client (WHOIS 671)
	// Handshake, if set, runs on the connection's own goroutine before
	// the world hears of it and returns the SHA-256 fingerprint of the
	// client's certificate ("" for none).
	Handshake func() (certFP string)
}

// Attach takes on a connection accepted elsewhere (a WebSocket upgraded by
// package web): the same limits, registration, flood control, send queue
// and push-back as a TCP client. It never blocks for long. After Serve has
// returned it closes the transport instead.
func (s *Server) Attach(a Accepted) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		_ = a.Transport.Close()
		return
	}
	s.attach(a)
}

func (s *Server) attach(a Accepted) {
	t, addr := a.Transport, a.Addr
	s.conns.Add(1)
	cfg := s.Config()
	if n := s.live.Add(1); n > int64(cfg.Limits.MaxClients) {
		s.refuse(t, addr, "Too many connections on this server (max_clients)")
		return
	}
	if why := s.limits.admit(addr, time.Now()); why != "" {
		s.refuse(t, addr, why)
		return
	}
	c := &conn{srv: s, id: state.ClientID(s.idBase.Load() | s.nextID.Add(1)), t: t, kind: a.Kind, addr: addr, wakeCh: make(chan struct{}, 1)}
	c.sendQueue = &sendQueue{
		t:            t,
		stats:        s.stats,
		limits:       &s.queues,
		writeTimeout: 60 * time.Second,
		flushTimeout: 3 * time.Second,
		onClosing:    c.wake,
		onClosed: func() {
			c.countClosed()
			s.pending.remove(c)
			s.limits.release(addr)
			s.live.Add(-1)
			s.conns.Done()
		},
	}
	s.stats.clients[a.Kind][0].Add(1)
	// Counted as unregistered once its queue exists: another accept may
	// evict it at once.
	l := cfg.Limits
	why, evict := s.pending.admit(c, min(l.MaxUnregistered, l.MaxClients), l.MaxUnregisteredPerIP, s.limits.exempts(addr))
	if why != "" {
		s.stats.clients[a.Kind][0].Add(-1)
		s.limits.release(addr)
		s.refuse(t, addr, why)
		return
	}
	if evict != nil {
		s.stats.Refused("max_unregistered")
		s.log.Warn("unregistered connection closed to make room", "id", evict.id, "remote", evict.t.RemoteAddr())
		evict.closeWith(whyUnregisteredEvict, closingLink(evict.addr, whyUnregisteredEvict))
	}
	s.log.Debug("connect", "id", c.id, "remote", t.RemoteAddr(), "transport", a.Kind.String())
	if a.Handshake != nil {
		go func() {
			if !s.world.ConnectTLS(c.id, c, addr, a.Handshake()) {
				c.refused(addr) // the world will not close it
				return
			}
			c.readLoop()
		}()
		return
	}
	if !s.world.Connect(c.id, c, addr, a.Secure) {
		c.refused(addr) // the world will not close it
		return
	}
	go c.readLoop()
}

// handshake completes a TLS handshake within timeout and returns the
// SHA-256 fingerprint (lower-case hex) of the client's certificate, "" if
// it sent none. A failed handshake gives ""; the reader then meets the
// error on its first read and the connection ends as any other.
func handshake(tc *tls.Conn, timeout time.Duration) string {
	_ = tc.SetDeadline(time.Now().Add(timeout))
	err := tc.Handshake()
	_ = tc.SetDeadline(time.Time{})
	if err != nil {
		return ""
	}
	certs := tc.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return ""
	}
	sum := sha256.Sum256(certs[0].Raw)
	return hex.EncodeToString(sum[:])
}

// Certificate is the TLS certificate in force (re-read by Reconfigure);
// nil when no TLS listener is configured. The web side serves HTTPS with it.
func (s *Server) Certificate() *tls.Certificate { return s.cert.Load() }

// LimitSendBuffer bounds the kernel's send buffer of a connection
// accepted elsewhere (a WebSocket's hijacked socket) as for TCP clients.
func LimitSendBuffer(nc net.Conn) { limitSendBuffer(nc) }

// limitSendBuffer bounds the kernel's send buffer for the socket
// (SO_SNDBUF). Left alone, Linux grows it to megabytes for a client that
// does not read (tcp_wmem), on top of sendq_bytes.
func limitSendBuffer(nc net.Conn) {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	if tcp, ok := nc.(*net.TCPConn); ok {
		_ = tcp.SetWriteBuffer(socketSendBuffer)
	}
}

// socketSendBuffer is the SO_SNDBUF chatd asks for; Linux doubles it for
// its bookkeeping, so the kernel holds at most 128 KiB per client. Less
// costs throughput where it matters most: on loopback (a local bouncer or
// gateway) segments are 64 KiB, and a buffer under two of them leaves every
// ACK delayed (40 ms), which caps a client at a few hundred KB/s.
const socketSendBuffer = 64 << 10

// refuse tells a connection why it is not wanted and closes it, off the
// accept loop so that a client that does not read cannot stall accepting.
func (s *Server) refuse(t Transport, addr netip.Addr, why string) {
	s.log.Warn("connection refused", "remote", t.RemoteAddr(), "reason", why)
	s.stats.refusedFor(why)
	line := closingLink(addr, why)
	go func() {
		if line != nil {
			_ = t.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_ = t.WriteLines([][]byte{line}, func(int) {})
		}
		_ = t.Close()
		s.live.Add(-1)
		s.conns.Done()
	}()
}

// closingLink is the ERROR line for a connection the network side ends;
// nil if it cannot be encoded.
func closingLink(addr netip.Addr, why string) []byte {
	line, err := state.Encode(&irc.Message{Command: "ERROR", Params: []string{"Closing Link: " + addr.String() + " (" + why + ")"}})
	if err != nil {
		return nil
	}
	return line
}

// listener is a bound socket and whether it speaks TLS.
type listener struct {
	net.Listener
	tls bool
	key string // listenerKey of its configured address
}

// listenerKey identifies a configured listener across config reloads.
func listenerKey(addr string, isTLS bool) string {
	if isTLS {
		return "tls " + addr
	}
	return "plain " + addr
}

func closeAll(ls []listener) {
	for _, l := range ls {
		_ = l.Close()
	}
}

// refused closes a connection the world did not take: the server is
// shutting down, or, on a cluster node, has lost the rest of the network.
func (c *conn) refused(addr netip.Addr) {
	if line := closingLink(addr, "Server unavailable; try again or another server"); line != nil {
		c.Enqueue(line)
	}
	c.Close()
}
