package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"chatd/conf"
	"chatd/ircd"
)

// Server serves [http]: the chat page, the WebSocket, /metrics, /healthz.
type Server struct {
	irc *ircd.Server
	log *slog.Logger

	settings atomic.Pointer[settings] // replaced by Reconfigure; handlers load it
	httpSrv  *http.Server
	tlsConf  *tls.Config
	mux      *http.ServeMux
	metrics  atomic.Pointer[http.Handler] // nil until SetMetrics
	health   func(ctx context.Context) error

	stopping atomic.Bool // Shutdown has begun: no new WebSocket clients

	reconfMu  sync.Mutex
	mu        sync.Mutex
	listeners []listener
	serving   bool
	closed    bool
	serveWG   sync.WaitGroup
}

// settings are the [http] values handlers use, parsed once per config.
type settings struct {
	origins     map[string]bool // normalized allowed_origins
	proxies     []netip.Prefix
	metrics     bool
	pingTimeout time.Duration
}

func newSettings(cfg *conf.Config) (*settings, error) {
	st := &settings{origins: make(map[string]bool), metrics: cfg.HTTP.Metrics, pingTimeout: cfg.Limits.PingTimeout.Duration}
	for _, o := range cfg.HTTP.AllowedOrigins {
		n, err := conf.NormalizeOrigin(o)
		if err != nil {
			return nil, fmt.Errorf("web: http.allowed_origins %q: %w", o, err)
		}
		st.origins[n] = true
	}
	for _, p := range cfg.HTTP.TrustedProxies {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("web: http.trusted_proxies: %w", err)
		}
		st.proxies = append(st.proxies, pfx.Masked())
	}
	return st, nil
}

// listener is a bound HTTP or HTTPS socket.
type listener struct {
	net.Listener
	key    string // "http addr" or "https addr", across reloads
	scheme string
}

// New prepares the web side of cfg; Listen binds it. health answers
// /healthz: nil while the state goroutine is responsive.
func New(cfg *conf.Config, irc *ircd.Server, health func(context.Context) error, log *slog.Logger) (*Server, error) {
	st, err := newSettings(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{irc: irc, log: log, health: health}
	s.settings.Store(st)
	s.tlsConf = &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"}, // WebSocket upgrades need HTTP/1.1
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			if c := irc.Certificate(); c != nil {
				return c, nil
			}
			return nil, errors.New("web: no TLS certificate")
		},
	}
	s.mux = http.NewServeMux()
	s.mux.Handle("GET /ws", http.HandlerFunc(s.serveWebSocket))
	s.mux.Handle("GET /metrics", http.HandlerFunc(s.serveMetrics))
	s.mux.Handle("GET /healthz", http.HandlerFunc(s.serveHealth))
	s.mux.Handle("GET /", pageHandler())
	s.httpSrv = &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return s, nil
}

// SetMetrics installs the /metrics handler (served while http.metrics is
// true). Call it before Serve.
func (s *Server) SetMetrics(h http.Handler) { s.metrics.Store(&h) }

// Listen binds every configured address. On error none stays bound.
func (s *Server) Listen(cfg *conf.Config) error {
	ls, err := s.bind(cfg, nil)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.listeners = append(s.listeners, ls...)
	s.mu.Unlock()
	return nil
}

func (s *Server) bind(cfg *conf.Config, have map[string]bool) ([]listener, error) {
	var ls []listener
	open := func(addr, scheme string) error {
		key := scheme + " " + addr
		if have[key] {
			return nil
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("web: listen %s: %w", addr, err)
		}
		if scheme == "https" {
			l = tls.NewListener(l, s.tlsConf)
		}
		ls = append(ls, listener{Listener: l, key: key, scheme: scheme})
		return nil
	}
	for _, a := range cfg.HTTP.Listen {
		if err := open(a, "http"); err != nil {
			closeAll(ls)
			return nil, err
		}
	}
	for _, a := range cfg.HTTP.TLS {
		if err := open(a, "https"); err != nil {
			closeAll(ls)
			return nil, err
		}
	}
	return ls, nil
}

func closeAll(ls []listener) {
	for _, l := range ls {
		_ = l.Close()
	}
}

// URLs are the page's addresses, for the log and for tests.
func (s *Server) URLs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = pageURL(l)
	}
	return out
}

// pageURL is the address to open in a browser: a listener on every
// interface (":8080") is shown as localhost.
func pageURL(l listener) string {
	addr := l.Addr().String()
	if ap, err := netip.ParseAddrPort(addr); err == nil && ap.Addr().IsUnspecified() {
		addr = net.JoinHostPort("localhost", strconv.Itoa(int(ap.Port())))
	}
	return l.scheme + "://" + addr + "/"
}

// Serve starts serving every listener; it does not wait.
func (s *Server) Serve() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.serving = true
	for _, l := range s.listeners {
		s.serve(l)
	}
}

func (s *Server) serve(l listener) {
	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		if err := s.httpSrv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			s.log.Error("web: serve", "addr", l.Addr().String(), "err", err)
		}
	}()
}

// StopAccepting refuses new WebSocket clients (503) while the page,
// /metrics and /healthz go on answering through shutdown.
func (s *Server) StopAccepting() { s.stopping.Store(true) }

// Close stops serving, letting requests in progress finish within
// timeout. WebSocket clients are ircd's connections and are not waited
// for here.
func (s *Server) Close(timeout time.Duration) {
	s.StopAccepting()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.httpSrv.Shutdown(ctx); err != nil {
		_ = s.httpSrv.Close()
	}
	s.mu.Lock()
	closeAll(s.listeners) // never served (Serve was not called)
	s.mu.Unlock()
	s.serveWG.Wait()
}

// Reload is a reconfiguration on its way: its new listeners are bound,
// nothing else has changed yet. Commit puts it in force, Abort drops it.
type Reload struct {
	s     *Server
	st    *settings
	added []listener
	want  map[string]bool
}

// Prepare binds cfg's new listeners and parses its settings. On error
// nothing changed.
func (s *Server) Prepare(cfg *conf.Config) (*Reload, error) {
	st, err := newSettings(cfg)
	if err != nil {
		return nil, err
	}
	s.reconfMu.Lock()
	have := make(map[string]bool)
	s.mu.Lock()
	for _, l := range s.listeners {
		have[l.key] = true
	}
	s.mu.Unlock()
	added, err := s.bind(cfg, have)
	if err != nil {
		s.reconfMu.Unlock()
		return nil, err
	}
	want := make(map[string]bool)
	for _, a := range cfg.HTTP.Listen {
		want["http "+a] = true
	}
	for _, a := range cfg.HTTP.TLS {
		want["https "+a] = true
	}
	return &Reload{s: s, st: st, added: added, want: want}, nil
}

// Abort closes the listeners Prepare bound.
func (r *Reload) Abort() {
	closeAll(r.added)
	r.s.reconfMu.Unlock()
}

// Commit puts the settings in force, closes the listeners no longer
// configured (WebSocket clients that came through them stay) and serves
// the new ones.
func (r *Reload) Commit() {
	s := r.s
	defer s.reconfMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		closeAll(r.added)
		return
	}
	s.settings.Store(r.st)
	kept := s.listeners[:0]
	for _, l := range s.listeners {
		if r.want[l.key] {
			kept = append(kept, l)
			continue
		}
		s.log.Info("web listener closed", "addr", l.Addr().String())
		_ = l.Close()
	}
	clear(s.listeners[len(kept):])
	s.listeners = kept
	for _, l := range r.added {
		s.listeners = append(s.listeners, l)
		s.log.Info("web chat page", "url", pageURL(l))
		if s.serving {
			s.serve(l)
		}
	}
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	h := s.metrics.Load()
	if h == nil || !s.settings.Load().metrics {
		http.NotFound(w, r)
		return
	}
	(*h).ServeHTTP(w, r)
}

// serveHealth answers 200 while the state goroutine handles events, 503
// when it does not answer within a few seconds or has stopped.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.health(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, err)
		return
	}
	fmt.Fprintln(w, "ok")
}

const healthTimeout = 3 * time.Second
