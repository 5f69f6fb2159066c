package conf

import (
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"chatd/names"

	"golang.org/x/crypto/bcrypt"
)

// fieldError is one problem Validate found, tied to the key it concerns
// so Load can add the key's line.
type fieldError struct {
	key string // "limits.nick_length", "oper[0].name"
	at  string // key whose line to show instead, if set
	msg string
}

func (e *fieldError) Error() string { return e.key + ": " + e.msg }

// checker collects fieldErrors.
type checker struct{ errs []error }

func (ch *checker) add(key, format string, args ...any) {
	ch.errs = append(ch.errs, &fieldError{key: key, msg: fmt.Sprintf(format, args...)})
}

// addAt is add for a problem best shown at the line of another key, such
// as a missing key that a present one requires.
func (ch *checker) addAt(key, at, format string, args ...any) {
	ch.errs = append(ch.errs, &fieldError{key: key, at: at, msg: fmt.Sprintf(format, args...)})
}

func (ch *checker) between(key string, v, lo, hi int) {
	if v < lo || v > hi {
		ch.add(key, "must be between %d and %d, got %d", lo, hi, v)
	}
}

func (ch *checker) atLeast(key string, v, lo int) {
	if v < lo {
		ch.add(key, "must be at least %d, got %d", lo, v)
	}
}

func (ch *checker) positive(key string, d Duration) {
	if d.Duration <= 0 {
		ch.add(key, "must be a positive duration, got %q", d.Duration.String())
	}
}

// Validate checks every value of c and returns all the problems found,
// joined (errors.Join), each naming its key; nil if there are none. With
// TLS listeners it also loads the certificate and key files.
func (c *Config) Validate() error { return c.validate(nil) }

// validate is Validate, refusing [[command]] names in reserved too.
func (c *Config) validate(reserved map[string]bool) error {
	var ch checker
	c.validateServer(&ch)
	c.validateListen(&ch)
	c.validateLimits(&ch)
	c.validateFlood(&ch)
	c.validateChannels(&ch)
	c.validateOpers(&ch)
	c.validateAccounts(&ch)
	c.validateHTTP(&ch)
	c.validateHistory(&ch)
	c.validateMultiline(&ch)
	c.validateCommands(&ch, reserved)
	c.validateCluster(&ch)
	return errors.Join(ch.errs...)
}

// hasControl reports whether s holds a space (if spaces is set) or a
// control character.
func hasControl(s string, spaces bool) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || (spaces && unicode.IsSpace(r))
	})
}

// invisibleIn reports whether s holds a character that a channel name may
// not (names.Invisible), as JOIN would refuse it.
func invisibleIn(s string) bool {
	_, ok := names.FirstInvisible(s)
	return ok
}

func (c *Config) validateServer(ch *checker) {
	s := c.Server
	switch {
	case s.Name == "":
		ch.add("server.name", "must not be empty")
	case hasControl(s.Name, true):
		ch.add("server.name", "must not contain spaces or control characters, got %q", s.Name)
	case strings.ContainsAny(s.Name, "*?!@,"):
		ch.add("server.name", "must not contain any of * ? ! @ , (got %q)", s.Name)
	case !strings.Contains(s.Name, "."):
		ch.add("server.name", "must contain a '.', like a host name (got %q)", s.Name)
	}
	switch {
	case s.Network == "":
		ch.add("server.network", "must not be empty")
	case hasControl(s.Network, true):
		ch.add("server.network", "must not contain spaces or control characters, got %q", s.Network)
	}
	if s.Lobby != "" {
		switch {
		case s.Lobby[0] != '#' || len(s.Lobby) < 2:
			ch.add("server.lobby", "must be \"\" or a channel name starting with '#', got %q", s.Lobby)
		case hasControl(s.Lobby, true) || strings.Contains(s.Lobby, ","):
			ch.add("server.lobby", "must not contain spaces, commas or control characters, got %q", s.Lobby)
		case invisibleIn(s.Lobby):
			r, _ := names.FirstInvisible(s.Lobby)
			ch.add("server.lobby", "must not contain invisible characters such as %s, got %q", names.Describe(r), s.Lobby)
		case len(s.Lobby) > c.Limits.ChannelLength:
			ch.add("server.lobby", "%q is longer than limits.channel_length (%d)", s.Lobby, c.Limits.ChannelLength)
		}
	}
}

func (c *Config) validateListen(ch *checker) {
	l := c.Listen
	seen := make(map[string]bool)
	check := func(key string, addrs []string) {
		for _, a := range addrs {
			if err := checkAddr(a); err != nil {
				ch.add(key, "%q: %v", a, err)
			} else if seen[a] && !strings.HasSuffix(a, ":0") { // port 0: any free port, each its own
				ch.add(key, "%q is listed twice", a)
			}
			seen[a] = true
		}
	}
	check("listen.plain", l.Plain)
	check("listen.tls", l.TLS)
	check("http.listen", c.HTTP.Listen)
	check("http.tls", c.HTTP.TLS)
	if len(l.Plain)+len(l.TLS)+len(c.HTTP.Listen)+len(c.HTTP.TLS) == 0 {
		ch.add("listen.plain", "no listeners: set listen.plain, listen.tls, http.listen or http.tls")
	}
	if len(l.TLS)+len(c.HTTP.TLS) == 0 {
		return
	}
	needer := "listen.tls"
	if len(l.TLS) == 0 {
		needer = "http.tls"
	}
	switch {
	case l.TLSCert == "":
		ch.addAt("listen.tls_cert", needer, "must be set when %s is", needer)
	case l.TLSKey == "":
		ch.addAt("listen.tls_key", needer, "must be set when %s is", needer)
	default:
		if _, err := tls.LoadX509KeyPair(l.TLSCert, l.TLSKey); err != nil {
			ch.add("listen.tls_cert", "cannot load certificate and key: %v", err)
		}
	}
}

// checkAddr checks that a is host:port with a numeric port.
func checkAddr(a string) error {
	_, port, err := net.SplitHostPort(a)
	if err != nil {
		return errors.New("want host:port, e.g. \"127.0.0.1:6667\" or \":6667\"")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q must be a number from 0 to 65535", port)
	}
	return nil
}

func (c *Config) validateLimits(ch *checker) {
	l := c.Limits
	ch.between("limits.nick_length", l.NickLength, 1, 255)
	ch.between("limits.channel_length", l.ChannelLength, 2, 255)
	// At least 1, so that the lobby can always be joined; at most 1,000,
	// which bounds what one NICK, QUIT or JOIN 0 fans out to.
	ch.between("limits.max_channels_per_client", l.MaxChannelsPerClient, 1, 1000)
	ch.atLeast("limits.max_unregistered", l.MaxUnregistered, 1)
	ch.atLeast("limits.max_unregistered_per_ip", l.MaxUnregisteredPerIP, 0)
	ch.between("limits.topic_length", l.TopicLength, 1, 400)
	ch.between("limits.away_length", l.AwayLength, 1, 400)
	ch.between("limits.kick_length", l.KickLength, 1, 400)
	ch.atLeast("limits.max_clients", l.MaxClients, 1)
	ch.atLeast("limits.sendq_bytes", l.SendQBytes, 4096)
	ch.positive("limits.registration_timeout", l.RegistrationTimeout)
	ch.positive("limits.ping_interval", l.PingInterval)
	ch.positive("limits.ping_timeout", l.PingTimeout)
	ch.atLeast("limits.max_per_ip", l.MaxPerIP, 0)
	ch.atLeast("limits.connect_rate", l.ConnectRate, 0)
	ch.atLeast("limits.whowas_length", l.WhowasLength, 0)
	for _, p := range l.LimitExempt {
		if _, err := netip.ParsePrefix(p); err != nil {
			ch.add("limits.limit_exempt", "%q is not a CIDR prefix like \"10.0.0.0/8\" or \"::1/128\"", p)
		}
	}
}

func (c *Config) validateFlood(ch *checker) {
	f := c.Flood
	ch.atLeast("flood.burst", f.Burst, 1)
	if !(f.PerSecond > 0) || math.IsInf(f.PerSecond, 0) {
		ch.add("flood.per_second", "must be a positive number, got %v", f.PerSecond)
	}
}

// channelModes are the parameterless modes a new channel may start with.
const channelModes = "Cimnst"

func (c *Config) validateChannels(ch *checker) {
	m := c.Channels.DefaultModes
	if m == "" {
		return
	}
	if m[0] != '+' {
		ch.add("channels.default_modes", "must start with '+', got %q", m)
		return
	}
	for _, r := range m[1:] {
		if !strings.ContainsRune(channelModes, r) {
			ch.add("channels.default_modes", "mode %q is not one of %q (got %q)", r, channelModes, m)
			return
		}
	}
}

func (c *Config) validateOpers(ch *checker) {
	seen := make(map[string]bool)
	for i, o := range c.Opers {
		key := fmt.Sprintf("oper[%d].", i)
		switch {
		case o.Name == "":
			ch.add(key+"name", "must not be empty")
		case hasControl(o.Name, true):
			ch.add(key+"name", "must not contain spaces or control characters, got %q", o.Name)
		case seen[o.Name]:
			ch.add(key+"name", "%q is defined twice", o.Name)
		}
		seen[o.Name] = true
		if o.PasswordHash == "" && o.Account != "" {
			if hasControl(o.Account, true) {
				ch.add(key+"account", "must not contain spaces or control characters, got %q", o.Account)
			}
			continue
		}
		if _, err := bcrypt.Cost([]byte(o.PasswordHash)); err != nil {
			ch.add(key+"password_hash", "not a bcrypt hash (generate one with `chatd mkpasswd`, or set account instead): %v", err)
		}
	}
}

func (c *Config) validateAccounts(ch *checker) {
	a := c.Accounts
	switch a.NickReservation {
	case NickReservationTimeout, NickReservationStrict, NickReservationOff:
	default:
		ch.add("accounts.nick_reservation", "must be \"timeout\", \"strict\" or \"off\", got %q", a.NickReservation)
	}
	ch.positive("accounts.nick_timeout", a.NickTimeout)
	if a.Required && !a.Enabled {
		ch.add("accounts.required", "needs accounts.enabled = true (nobody could log in)")
	}
	if hasControl(c.Store.Path, false) {
		ch.add("store.path", "must not contain control characters, got %q", c.Store.Path)
	}
	for i, o := range c.Opers {
		if o.Account != "" && !a.Enabled {
			ch.add(fmt.Sprintf("oper[%d].account", i), "needs accounts.enabled = true")
		}
	}
}

func (c *Config) validateHTTP(ch *checker) {
	h := c.HTTP
	for _, o := range h.AllowedOrigins {
		if _, err := NormalizeOrigin(o); err != nil {
			ch.add("http.allowed_origins", "%q: %v", o, err)
		}
	}
	for _, p := range h.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			ch.add("http.trusted_proxies", "%q is not a CIDR prefix like \"10.0.0.0/8\" or \"::1/128\"", p)
		}
	}
}

// NormalizeOrigin checks a web origin as a browser sends it in the Origin
// header (scheme://host[:port], nothing after) and returns it lower-cased,
// without a default port, for comparison.
func NormalizeOrigin(o string) (string, error) {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New(`want an origin like "https://chat.example.org" or "http://localhost:8080"`)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", errors.New("an origin is scheme://host[:port] with no path, query or user")
	}
	host := strings.ToLower(u.Host)
	if port := u.Port(); (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		host = strings.ToLower(u.Hostname())
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	return u.Scheme + "://" + host, nil
}

// Bounds of [history]: each is what one line may make the server do or
// keep (a CHATHISTORY reply, a replay, a mailbox), so each is capped.
const (
	maxHistoryLength   = 100000
	maxChathistoryMax  = 1000
	maxReplayLines     = 1000
	maxOfflineMessages = 10000
)

func (c *Config) validateHistory(ch *checker) {
	h := c.History
	ch.between("history.channel_length", h.ChannelLength, 1, maxHistoryLength)
	ch.between("history.private_length", h.PrivateLength, 1, maxHistoryLength)
	if h.Retention.Duration < 0 {
		ch.add("history.retention", "must be a duration, or \"0\" to keep messages forever; got %q", h.Retention.Duration.String())
	}
	ch.between("history.chathistory_max", h.ChathistoryMax, 1, maxChathistoryMax)
	ch.between("history.replay_lines", h.ReplayLines, 0, maxReplayLines)
	if h.ReplayLines > 0 {
		ch.positive("history.replay_window", h.ReplayWindow)
	} else if h.ReplayWindow.Duration < 0 {
		ch.add("history.replay_window", "must not be negative, got %q", h.ReplayWindow.Duration.String())
	}
	ch.between("history.offline_messages", h.OfflineMessages, 0, maxOfflineMessages)
}

// Bounds of [multiline]. A multiline message is relayed in one event, a
// line per recipient for each of its lines, so max_lines bounds the work
// of one BATCH -ref as a channel's size bounds a PRIVMSG's; max_bytes
// bounds what a client may have the server hold for it meanwhile.
const (
	maxMultilineBytes = 65536
	maxMultilineLines = 256
)

func (c *Config) validateMultiline(ch *checker) {
	m := c.Multiline
	ch.between("multiline.max_bytes", m.MaxBytes, 0, maxMultilineBytes)
	ch.between("multiline.max_lines", m.MaxLines, 1, maxMultilineLines)
	ch.positive("multiline.timeout", m.Timeout)
}
