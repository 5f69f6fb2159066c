// Package conf owns chatd's configuration: the TOML schema, its defaults,
// loading and validation. Of chatd's packages it imports only names, the
// leaf package that says which characters a channel name may hold, so
// that server.lobby is checked as JOIN checks it.
package conf

import (
	"strings"
	"time"
)

// Config is the whole of chatd.toml. Every field has a built-in default
// (see Default); a file only needs the keys it changes.
type Config struct {
	Server   Server   `toml:"server"`
	Listen   Listen   `toml:"listen"`
	Limits   Limits   `toml:"limits"`
	Flood    Flood    `toml:"flood"`
	Channels Channels `toml:"channels"`
	Opers    []Oper   `toml:"oper"`
	Store    Store    `toml:"store"`
	Accounts Accounts `toml:"accounts"`
	HTTP     HTTP     `toml:"http"`
	History  History  `toml:"history"`
	// Multiline is the [multiline] table: IRCv3 draft/multiline batches.
	Multiline Multiline `toml:"multiline"`
	Commands  []Command `toml:"command"` // [[command]]: verbs defined in the config (commands.go)
	Cluster   Cluster   `toml:"cluster"`
}

// HTTP is the [http] table: the web chat page, its WebSocket, /metrics
// and /healthz.
type HTTP struct {
	Listen []string `toml:"listen"` // host:port addresses served over plain HTTP; [] disables
	TLS    []string `toml:"tls"`    // host:port addresses served over HTTPS (listen.tls_cert/tls_key)
	// AllowedOrigins are origins ("https://chat.example.org") besides the
	// page's own whose pages may open the WebSocket.
	AllowedOrigins []string `toml:"allowed_origins"`
	// TrustedProxies are CIDR prefixes whose X-Forwarded-For or Forwarded
	// header names the client's address.
	TrustedProxies []string `toml:"trusted_proxies"`
	Metrics        bool     `toml:"metrics"` // serve /metrics
}

// History is the [history] table: what chatd keeps of what was said, in
// memory and in the store, and what it replays.
type History struct {
	Enabled         bool     `toml:"enabled"`          // record history and offer CHATHISTORY
	ChannelLength   int      `toml:"channel_length"`   // newest messages kept in memory per channel
	PrivateLength   int      `toml:"private_length"`   // newest messages kept in memory per conversation
	Retention       Duration `toml:"retention"`        // how long the store keeps messages; 0 = forever
	ChathistoryMax  int      `toml:"chathistory_max"`  // most messages one CHATHISTORY request returns
	ReplayLines     int      `toml:"replay_lines"`     // replayed on JOIN to clients without chathistory; 0 = none
	ReplayWindow    Duration `toml:"replay_window"`    // how old a replayed message may be
	OfflineMessages int      `toml:"offline_messages"` // stored private messages per offline account; 0 = none
}

// Multiline is the [multiline] table: messages of several lines sent as
// one (IRCv3 draft/multiline, advertised as
// draft/multiline=max-bytes=N,max-lines=M).
type Multiline struct {
	// MaxBytes is the most bytes of text one multiline message holds (its
	// lines' text plus one for each line break between them); 0 turns
	// draft/multiline off.
	MaxBytes int `toml:"max_bytes"`
	// MaxLines is the most lines one multiline message holds.
	MaxLines int `toml:"max_lines"`
	// Timeout is how long a client may leave a multiline batch open
	// before it is dropped (FAIL BATCH TIMEOUT).
	Timeout Duration `toml:"timeout"`
}

// Store is the [store] table: where accounts and registered groups live.
type Store struct {
	// Path is the SQLite file, relative to the config file's directory;
	// "" keeps everything in memory (nothing survives a restart).
	Path string `toml:"path"`
}

// Accounts is the [accounts] table.
type Accounts struct {
	Enabled                   bool     `toml:"enabled"`                     // accounts, SASL, NickServ and ChanServ
	Registration              bool     `toml:"registration"`                // anyone may REGISTER; false: only operators create accounts
	RegistrationBeforeConnect bool     `toml:"registration_before_connect"` // REGISTER allowed before NICK/USER complete
	NickReservation           string   `toml:"nick_reservation"`            // "timeout" | "strict" | "off"
	NickTimeout               Duration `toml:"nick_timeout"`                // how long "timeout" waits before renaming
	Required                  bool     `toml:"required"`                    // only logged-in users may connect
}

// Nick reservation modes ([accounts] nick_reservation).
const (
	NickReservationTimeout = "timeout"
	NickReservationStrict  = "strict"
	NickReservationOff     = "off"
)

// Server is the [server] table: who the server says it is.
type Server struct {
	Name     string `toml:"name"`     // server name, sent as the prefix of server messages
	Network  string `toml:"network"`  // network name, advertised in RPL_ISUPPORT NETWORK=
	Password string `toml:"password"` // connection password (PASS); "" for none
	MOTD     string `toml:"motd"`     // message of the day, one line per "\n"
	Lobby    string `toml:"lobby"`    // channel every client joins on registration; "" for none
}

// Listen is the [listen] table: the addresses chatd accepts clients on.
type Listen struct {
	Plain   []string `toml:"plain"`    // host:port addresses for plain-text clients
	TLS     []string `toml:"tls"`      // host:port addresses for TLS clients
	TLSCert string   `toml:"tls_cert"` // PEM certificate (chain) file, needed if TLS is set
	TLSKey  string   `toml:"tls_key"`  // PEM private key file, needed if TLS is set
}

// Limits is the [limits] table: sizes, timeouts and connection limits.
type Limits struct {
	NickLength          int      `toml:"nick_length"`          // longest nickname
	ChannelLength       int      `toml:"channel_length"`       // longest channel name, '#' included
	TopicLength         int      `toml:"topic_length"`         // longest topic
	MaxClients          int      `toml:"max_clients"`          // most clients connected at once
	SendQBytes          int      `toml:"sendq_bytes"`          // most bytes queued to one client before it is dropped
	RegistrationTimeout Duration `toml:"registration_timeout"` // time allowed to finish NICK/USER
	PingInterval        Duration `toml:"ping_interval"`        // idle time before the server sends PING
	PingTimeout         Duration `toml:"ping_timeout"`         // time allowed to answer that PING
	MaxPerIP            int      `toml:"max_per_ip"`           // most connections from one IP; 0 disables
	ConnectRate         int      `toml:"connect_rate"`         // most new connections per IP per minute; 0 disables
	LimitExempt         []string `toml:"limit_exempt"`         // CIDR prefixes exempt from the per-IP limits
	AwayLength          int      `toml:"away_length"`          // longest AWAY message
	KickLength          int      `toml:"kick_length"`          // longest KICK reason
	WhowasLength        int      `toml:"whowas_length"`        // how many departed clients WHOWAS remembers

	// MaxChannelsPerClient is the most channels one client may be in at
	// once, the lobby included (RPL_ISUPPORT CHANLIMIT).
	MaxChannelsPerClient int `toml:"max_channels_per_client"`

	// MaxUnregistered is the most connections that have not completed
	// registration at once; when it is reached, the oldest of them is
	// closed to make room, so never-registering connections cannot keep
	// new users out. Effectively at most max_clients.
	MaxUnregistered int `toml:"max_unregistered"`
	// MaxUnregisteredPerIP is the most such connections from one IP
	// (limit_exempt applies); more are refused. 0 disables.
	MaxUnregisteredPerIP int `toml:"max_unregistered_per_ip"`
}

// Flood is the [flood] table: per-client command rate limiting (a token
// bucket of Burst commands refilled at PerSecond).
type Flood struct {
	Enabled   bool    `toml:"enabled"`
	Burst     int     `toml:"burst"`
	PerSecond float64 `toml:"per_second"`
}

// Channels is the [channels] table.
type Channels struct {
	DefaultModes string `toml:"default_modes"` // modes a new channel gets, e.g. "+nt"
}

// Oper is one [[oper]] entry: a name and bcrypt hash OPER accepts, or an
// account whose users become operators when they log in (or both).
type Oper struct {
	Name         string `toml:"name"`
	PasswordHash string `toml:"password_hash"`
	Account      string `toml:"account"`
}

// Default returns the built-in configuration. Each call returns a fresh
// value that the caller may modify.
func Default() *Config {
	c := &Config{
		Server: Server{
			Name:     "chatd.local",
			Network:  "chatd",
			Password: "",
			MOTD:     "", // defaultMOTD, below, once the rest is known
			Lobby:    "#lobby",
		},
		Listen: Listen{
			Plain: []string{"127.0.0.1:6667"},
			TLS:   []string{},
		},
		Limits: Limits{
			NickLength:          30,
			ChannelLength:       64,
			TopicLength:         390,
			MaxClients:          10000,
			SendQBytes:          1 << 20,
			RegistrationTimeout: Duration{30 * time.Second},
			PingInterval:        Duration{90 * time.Second},
			PingTimeout:         Duration{60 * time.Second},
			MaxPerIP:            64,
			ConnectRate:         0,
			LimitExempt:         []string{"127.0.0.0/8", "::1/128"},
			AwayLength:          390,
			KickLength:          390,
			WhowasLength:        1000,

			MaxChannelsPerClient: 50,
			MaxUnregistered:      1000,
			MaxUnregisteredPerIP: 10,
		},
		Flood: Flood{
			Enabled:   true,
			Burst:     10,
			PerSecond: 2,
		},
		Channels: Channels{
			DefaultModes: "+nt",
		},
		Store: Store{Path: "chatd.db"},
		Accounts: Accounts{
			Enabled:         true,
			Registration:    true,
			NickReservation: NickReservationTimeout,
			NickTimeout:     Duration{30 * time.Second},
		},
		HTTP: HTTP{
			Listen:         []string{"127.0.0.1:8080"},
			TLS:            []string{},
			AllowedOrigins: []string{},
			TrustedProxies: []string{},
			Metrics:        true,
		},
		Cluster: defaultCluster(),
		History: History{
			Enabled:         true,
			ChannelLength:   1000,
			PrivateLength:   200,
			Retention:       Duration{720 * time.Hour},
			ChathistoryMax:  100,
			ReplayLines:     20,
			ReplayWindow:    Duration{24 * time.Hour},
			OfflineMessages: 100,
		},
		Multiline: Multiline{
			MaxBytes: 4096,
			MaxLines: 32,
			Timeout:  Duration{15 * time.Second},
		},
	}
	c.Server.MOTD = defaultMOTD(c)
	return c
}

// MOTDLines returns the message of the day split on "\n", with any "\r"
// line ending removed and trailing empty lines dropped. An empty MOTD
// gives no lines.
func (c *Config) MOTDLines() []string {
	lines := strings.Split(c.Server.MOTD, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
