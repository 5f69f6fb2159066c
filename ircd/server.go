package ircd

import (
	"context"
	"crypto/tls"
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
	cfg   *conf.Config
	world *state.World
	log   *slog.Logger

	pingLine []byte
	limits   *ipLimits
	nextID   atomic.Uint64
	live     atomic.Int64 // open connections, for max_clients

	mu        sync.Mutex
	listeners []listener
	conns     sync.WaitGroup // one per open socket, done when it is closed
	accepting sync.WaitGroup
}

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
	return &Server{cfg: cfg, world: world, log: log, pingLine: ping, limits: limits}, nil
}

// Listen binds every configured listener. On error none stays bound.
func (s *Server) Listen() error {
	var tlsConfig *tls.Config
	if len(s.cfg.Listen.TLS) > 0 {
		cert, err := tls.LoadX509KeyPair(s.cfg.Listen.TLSCert, s.cfg.Listen.TLSKey)
		if err != nil {
			return fmt.Errorf("ircd: tls certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	var ls []listener
	bind := func(addr string, tc *tls.Config) error {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("ircd: listen %s: %w", addr, err)
		}
		if tc != nil {
			l = tls.NewListener(l, tc)
		}
		ls = append(ls, listener{Listener: l, tls: tc != nil})
		return nil
	}
	for _, a := range s.cfg.Listen.Plain {
		if err := bind(a, nil); err != nil {
			closeAll(ls)
			return err
		}
	}
	for _, a := range s.cfg.Listen.TLS {
		if err := bind(a, tlsConfig); err != nil {
			closeAll(ls)
			return err
		}
	}
	s.mu.Lock()
	s.listeners = append(s.listeners, ls...)
	s.mu.Unlock()
	return nil
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
	s.mu.Unlock()
	<-ctx.Done()
	s.mu.Lock()
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
	s.conns.Add(1)
	if n := s.live.Add(1); n > int64(s.cfg.Limits.MaxClients) {
		s.refuse(nc, addr, "Too many connections on this server (max_clients)")
		return
	}
	if why := s.limits.admit(addr, time.Now()); why != "" {
		s.refuse(nc, addr, why)
		return
	}
	c := &conn{srv: s, id: state.ClientID(s.nextID.Add(1)), nc: nc, addr: addr}
	c.sendQueue = &sendQueue{
		nc:           nc,
		limit:        s.cfg.Limits.SendQBytes,
		writeTimeout: 60 * time.Second,
		flushTimeout: 3 * time.Second,
		onClosed: func() {
			s.limits.release(addr)
			s.live.Add(-1)
			s.conns.Done()
		},
	}
	s.log.Debug("connect", "id", c.id, "remote", nc.RemoteAddr())
	s.world.Connect(c.id, c, addr, isTLS)
	go c.readLoop()
}

// refuse tells a connection why it is not wanted and closes it, off the
// accept loop so that a client that does not read cannot stall accepting.
func (s *Server) refuse(nc net.Conn, addr netip.Addr, why string) {
	s.log.Warn("connection refused", "remote", nc.RemoteAddr(), "reason", why)
	line, err := state.Encode(&irc.Message{Command: "ERROR", Params: []string{"Closing Link: " + addr.String() + " (" + why + ")"}})
	go func() {
		if err == nil {
			_ = nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_, _ = nc.Write(line)
		}
		_ = nc.Close()
		s.live.Add(-1)
		s.conns.Done()
	}()
}

// listener is a bound socket and whether it speaks TLS.
type listener struct {
	net.Listener
	tls bool
}

func closeAll(ls []listener) {
	for _, l := range ls {
		_ = l.Close()
	}
}
