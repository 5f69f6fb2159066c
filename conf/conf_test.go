package conf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io/fs"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testHash is bcrypt("secret") at the minimum cost.
const testHash = "$2a$04$DpFRB36DWBWaEMHYGoMMvOjGlm0Llo5bFKQkEGTUYyG7/St4MXkpS"

func TestDefaultValidates(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestDefaultIsFresh(t *testing.T) {
	a := Default()
	a.Listen.Plain[0] = "changed:1"
	a.Limits.LimitExempt[0] = "changed"
	if b := Default(); b.Listen.Plain[0] != "127.0.0.1:6667" || b.Limits.LimitExempt[0] != "127.0.0.0/8" {
		t.Fatal("Default shares slices between calls")
	}
}

func TestShippedConfigIsDefault(t *testing.T) {
	c, err := Load("../chatd.toml")
	if err != nil {
		t.Fatalf("Load(../chatd.toml) = %v", err)
	}
	if want := defaultFor("../chatd.toml"); !reflect.DeepEqual(c, want) {
		t.Fatalf("chatd.toml differs from Default():\n got %+v\nwant %+v", c, want)
	}
}

// defaultFor is Default() as Load gives it for a file at path that sets
// nothing: with its relative paths (the store file) resolved against the
// file's directory.
func defaultFor(path string) *Config {
	c := Default()
	c.resolvePaths(filepath.Dir(path))
	return c
}

func TestPartialKeepsDefaults(t *testing.T) {
	c, err := Load("../testdata/conf/partial.toml")
	if err != nil {
		t.Fatalf("Load = %v", err)
	}
	want := defaultFor("../testdata/conf/partial.toml")
	want.Server.Name = "irc.example.org"
	want.Limits.NickLength = 16
	want.Limits.PingInterval = Duration{2 * time.Minute}
	want.Opers = []Oper{{Name: "alice", PasswordHash: testHash}}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("partial config:\n got %+v\nwant %+v", c, want)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string // substrings of the error, besides the file name
	}{
		{"unknown_key.toml", []string{"line 6", `unknown key "limits.nick_lenght"`}},
		{"unknown_table.toml", []string{"line 4", `unknown key "limts"`}},
		{"wrong_type.toml", []string{"line 3", "limits.nick_length", "incompatible types"}},
		{"bad_duration.toml", []string{"line 3", "limits.ping_interval", `"90 seconds"`}},
		{"bad_lobby.toml", []string{"line 3", "server.lobby", `"lobby"`}},
		{"bad_cidr.toml", []string{"line 3", "limits.limit_exempt", `"10.0.0.0/33"`}},
		{"bad_oper_hash.toml", []string{"line 7", "oper[1].password_hash", "bcrypt"}},
		{"syntax_error.toml", []string{"line 5", "limits.nick_length", "syntax error"}},
		{"tls_missing_cert.toml", []string{"line 3", "listen.tls_cert", "must be set"}},
		{"bad_nick_length.toml", []string{"line 9: limits.nick_length: must be between 1 and 255, got 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("..", "testdata", "conf", tt.file)
			c, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%s) = %+v, want an error", tt.file, c)
			}
			msg := err.Error()
			for _, w := range append([]string{"conf: " + path + ": "}, tt.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("no/such/chatd.toml")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "no/such/chatd.toml") {
		t.Fatalf("Load(missing) = %v", err)
	}
}

// writeConf writes text to a chatd.toml in a fresh directory.
func writeConf(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "chatd.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadReportsEveryProblem(t *testing.T) {
	path := writeConf(t, `[server]
bogus = 1
[limits]
also_bogus = 2
`)
	_, err := Load(path)
	for _, w := range []string{`line 2: unknown key "server.bogus"`, `line 4: unknown key "limits.also_bogus"`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Load = %v, want it to contain %q", err, w)
		}
	}

	path = writeConf(t, "[limits]\nnick_length = 0\n\ntopic_length = 0\n")
	_, err = Load(path)
	for _, w := range []string{"line 2: limits.nick_length", "line 4: limits.topic_length"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Load = %v, want it to contain %q", err, w)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
		want   string // "" if the config is valid, else a substring of the error
	}{
		{"server name empty", func(c *Config) { c.Server.Name = "" }, "server.name: must not be empty"},
		{"server name without dot", func(c *Config) { c.Server.Name = "chatd" }, "server.name: must contain a '.'"},
		{"server name with space", func(c *Config) { c.Server.Name = "chat d.local" }, "server.name: must not contain spaces"},
		{"server name with control", func(c *Config) { c.Server.Name = "chat\x01.local" }, "server.name: must not contain spaces"},
		{"server name wildcard", func(c *Config) { c.Server.Name = "*.local" }, "server.name: must not contain any of"},
		{"server name at", func(c *Config) { c.Server.Name = "a@b.local" }, "server.name: must not contain any of"},
		{"network empty", func(c *Config) { c.Server.Network = "" }, "server.network: must not be empty"},
		{"network space", func(c *Config) { c.Server.Network = "my net" }, "server.network: must not contain spaces"},
		{"lobby empty ok", func(c *Config) { c.Server.Lobby = "" }, ""},
		{"lobby no hash", func(c *Config) { c.Server.Lobby = "lobby" }, "server.lobby: must be \"\" or a channel name"},
		{"lobby only hash", func(c *Config) { c.Server.Lobby = "#" }, "server.lobby: must be"},
		{"lobby space", func(c *Config) { c.Server.Lobby = "#a b" }, "server.lobby: must not contain"},
		{"lobby comma", func(c *Config) { c.Server.Lobby = "#a,b" }, "server.lobby: must not contain"},
		{"lobby bell", func(c *Config) { c.Server.Lobby = "#a\x07b" }, "server.lobby: must not contain"},
		{"lobby zero-width space", func(c *Config) { c.Server.Lobby = "#lobby\u200b" }, "server.lobby: must not contain invisible characters such as U+200B"},
		{"lobby bidi override", func(c *Config) { c.Server.Lobby = "#\u202elobby" }, "server.lobby: must not contain invisible characters such as U+202E"},
		{"lobby non-ASCII ok", func(c *Config) { c.Server.Lobby = "#café" }, ""},
		{"lobby too long", func(c *Config) { c.Server.Lobby = "#" + strings.Repeat("a", 64) }, "server.lobby: \"#aaa"},
		{"lobby at channel_length", func(c *Config) { c.Server.Lobby = "#" + strings.Repeat("a", 63) }, ""},
		{"motd anything", func(c *Config) { c.Server.MOTD = "" }, ""},

		{"no listeners", func(c *Config) { c.Listen.Plain = nil; c.HTTP.Listen = nil }, "listen.plain: no listeners"},
		{"web only ok", func(c *Config) { c.Listen.Plain = nil }, ""},
		{"http bad addr", func(c *Config) { c.HTTP.Listen = []string{"8080"} }, `http.listen: "8080": want host:port`},
		{"http same as irc", func(c *Config) { c.HTTP.Listen = []string{"127.0.0.1:6667"} }, `http.listen: "127.0.0.1:6667" is listed twice`},
		{"http disabled ok", func(c *Config) { c.HTTP.Listen = []string{} }, ""},
		{"http tls without cert", func(c *Config) { c.HTTP.TLS = []string{":8443"} }, "listen.tls_cert: must be set when http.tls is"},
		{"origin ok", func(c *Config) { c.HTTP.AllowedOrigins = []string{"https://chat.example.org", "http://[::1]:8080"} }, ""},
		{"origin with path", func(c *Config) { c.HTTP.AllowedOrigins = []string{"https://example.org/chat"} }, `http.allowed_origins: "https://example.org/chat": an origin is scheme://host[:port]`},
		{"origin bare host", func(c *Config) { c.HTTP.AllowedOrigins = []string{"example.org"} }, `http.allowed_origins: "example.org": want an origin`},
		{"proxy not cidr", func(c *Config) { c.HTTP.TrustedProxies = []string{"10.0.0.1"} }, `http.trusted_proxies: "10.0.0.1" is not a CIDR`},
		{"proxy ok", func(c *Config) { c.HTTP.TrustedProxies = []string{"10.0.0.0/8", "::1/128"} }, ""},
		{"plain no port", func(c *Config) { c.Listen.Plain = []string{"127.0.0.1"} }, `listen.plain: "127.0.0.1": want host:port`},
		{"plain port name", func(c *Config) { c.Listen.Plain = []string{"127.0.0.1:irc"} }, `listen.plain: "127.0.0.1:irc": port "irc"`},
		{"plain port too big", func(c *Config) { c.Listen.Plain = []string{":65536"} }, `port "65536"`},
		{"plain port zero ok", func(c *Config) { c.Listen.Plain = []string{"127.0.0.1:0"} }, ""},
		{"plain ipv6 ok", func(c *Config) { c.Listen.Plain = []string{"[::1]:6667", ":6668"} }, ""},
		{"plain twice", func(c *Config) { c.Listen.Plain = []string{":6667", ":6667"} }, `listen.plain: ":6667" is listed twice`},
		{"tls bad addr", func(c *Config) { c.Listen.TLS = []string{"nope"} }, `listen.tls: "nope"`},
		{"tls without cert", func(c *Config) { c.Listen.TLS = []string{":6697"} }, "listen.tls_cert: must be set"},
		{"tls without key", func(c *Config) { c.Listen.TLS = []string{":6697"}; c.Listen.TLSCert = "cert.pem" }, "listen.tls_key: must be set"},
		{"tls missing files", func(c *Config) {
			c.Listen.TLS = []string{":6697"}
			c.Listen.TLSCert = "no/such/cert.pem"
			c.Listen.TLSKey = "no/such/key.pem"
		}, "listen.tls_cert: cannot load certificate and key"},

		{"nick_length 0", func(c *Config) { c.Limits.NickLength = 0 }, "limits.nick_length: must be between 1 and 255, got 0"},
		{"nick_length 256", func(c *Config) { c.Limits.NickLength = 256 }, "limits.nick_length: must be between 1 and 255, got 256"},
		{"channel_length 1", func(c *Config) { c.Limits.ChannelLength = 1; c.Server.Lobby = "" }, "limits.channel_length: must be between 2 and 255"},
		{"topic_length 0", func(c *Config) { c.Limits.TopicLength = 0 }, "limits.topic_length: must be between 1 and 400"},
		{"topic_length 401", func(c *Config) { c.Limits.TopicLength = 401 }, "limits.topic_length"},
		{"away_length 0", func(c *Config) { c.Limits.AwayLength = 0 }, "limits.away_length"},
		{"kick_length 500", func(c *Config) { c.Limits.KickLength = 500 }, "limits.kick_length"},
		{"max_clients 0", func(c *Config) { c.Limits.MaxClients = 0 }, "limits.max_clients: must be at least 1, got 0"},
		{"sendq_bytes small", func(c *Config) { c.Limits.SendQBytes = 4095 }, "limits.sendq_bytes: must be at least 4096"},
		{"sendq_bytes min ok", func(c *Config) { c.Limits.SendQBytes = 4096 }, ""},
		{"registration_timeout 0", func(c *Config) { c.Limits.RegistrationTimeout = Duration{} }, "limits.registration_timeout: must be a positive duration"},
		{"ping_interval negative", func(c *Config) { c.Limits.PingInterval = Duration{-time.Second} }, "limits.ping_interval: must be a positive duration, got \"-1s\""},
		{"ping_timeout 0", func(c *Config) { c.Limits.PingTimeout = Duration{} }, "limits.ping_timeout"},
		{"max_per_ip negative", func(c *Config) { c.Limits.MaxPerIP = -1 }, "limits.max_per_ip: must be at least 0"},
		{"max_per_ip 0 ok", func(c *Config) { c.Limits.MaxPerIP = 0 }, ""},
		{"connect_rate negative", func(c *Config) { c.Limits.ConnectRate = -1 }, "limits.connect_rate"},
		{"connect_rate set ok", func(c *Config) { c.Limits.ConnectRate = 5 }, ""},
		{"limit_exempt not cidr", func(c *Config) { c.Limits.LimitExempt = []string{"10.0.0.1"} }, `limits.limit_exempt: "10.0.0.1" is not a CIDR`},
		{"limit_exempt bad bits", func(c *Config) { c.Limits.LimitExempt = []string{"::1/129"} }, `limits.limit_exempt: "::1/129"`},
		{"limit_exempt empty ok", func(c *Config) { c.Limits.LimitExempt = nil }, ""},
		{"whowas_length negative", func(c *Config) { c.Limits.WhowasLength = -1 }, "limits.whowas_length: must be at least 0"},
		{"whowas_length 0 ok", func(c *Config) { c.Limits.WhowasLength = 0 }, ""},
		{"max_channels_per_client 0", func(c *Config) { c.Limits.MaxChannelsPerClient = 0 }, "limits.max_channels_per_client: must be between 1 and 1000, got 0"},
		{"max_channels_per_client 1001", func(c *Config) { c.Limits.MaxChannelsPerClient = 1001 }, "limits.max_channels_per_client: must be between 1 and 1000, got 1001"},
		{"max_channels_per_client 1 ok", func(c *Config) { c.Limits.MaxChannelsPerClient = 1 }, ""},
		{"max_unregistered 0", func(c *Config) { c.Limits.MaxUnregistered = 0 }, "limits.max_unregistered: must be at least 1, got 0"},
		{"max_unregistered 1 ok", func(c *Config) { c.Limits.MaxUnregistered = 1 }, ""},
		{"max_unregistered_per_ip -1", func(c *Config) { c.Limits.MaxUnregisteredPerIP = -1 }, "limits.max_unregistered_per_ip: must be at least 0, got -1"},
		{"max_unregistered_per_ip 0 ok", func(c *Config) { c.Limits.MaxUnregisteredPerIP = 0 }, ""},

		{"burst 0", func(c *Config) { c.Flood.Burst = 0 }, "flood.burst: must be at least 1"},
		{"per_second 0", func(c *Config) { c.Flood.PerSecond = 0 }, "flood.per_second: must be a positive number"},
		{"per_second NaN", func(c *Config) { c.Flood.PerSecond = math.NaN() }, "flood.per_second"},
		{"per_second Inf", func(c *Config) { c.Flood.PerSecond = math.Inf(1) }, "flood.per_second"},
		{"per_second fraction ok", func(c *Config) { c.Flood.PerSecond = 0.5 }, ""},
		{"flood disabled ok", func(c *Config) { c.Flood.Enabled = false }, ""},

		{"default_modes no plus", func(c *Config) { c.Channels.DefaultModes = "nt" }, "channels.default_modes: must start with '+'"},
		{"default_modes key", func(c *Config) { c.Channels.DefaultModes = "+ntk" }, "channels.default_modes: mode 'k'"},
		{"default_modes limit", func(c *Config) { c.Channels.DefaultModes = "+l" }, "channels.default_modes: mode 'l'"},
		{"default_modes all ok", func(c *Config) { c.Channels.DefaultModes = "+imnst" }, ""},
		{"default_modes empty ok", func(c *Config) { c.Channels.DefaultModes = "" }, ""},
		{"default_modes plus ok", func(c *Config) { c.Channels.DefaultModes = "+" }, ""},

		{"oper ok", func(c *Config) {
			c.Opers = []Oper{{Name: "alice", PasswordHash: testHash}, {Name: "bob", PasswordHash: testHash}}
		}, ""},
		{"oper empty name", func(c *Config) { c.Opers = []Oper{{Name: "", PasswordHash: testHash}} }, "oper[0].name: must not be empty"},
		{"oper name space", func(c *Config) { c.Opers = []Oper{{Name: "al ice", PasswordHash: testHash}} }, "oper[0].name: must not contain spaces"},
		{"oper twice", func(c *Config) {
			c.Opers = []Oper{{Name: "alice", PasswordHash: testHash}, {Name: "alice", PasswordHash: testHash}}
		}, `oper[1].name: "alice" is defined twice`},
		{"oper plain password", func(c *Config) { c.Opers = []Oper{{Name: "alice", PasswordHash: "secret"}} }, "oper[0].password_hash: not a bcrypt hash"},
		{"oper account ok", func(c *Config) { c.Opers = []Oper{{Name: "teacher", Account: "teacher"}} }, ""},
		{"oper account accounts off", func(c *Config) {
			c.Accounts.Enabled = false
			c.Opers = []Oper{{Name: "teacher", Account: "teacher"}}
		}, "oper[0].account: needs accounts.enabled"},
		{"nick_reservation bad", func(c *Config) { c.Accounts.NickReservation = "hard" }, "accounts.nick_reservation: must be"},
		{"required without accounts", func(c *Config) { c.Accounts.Enabled, c.Accounts.Required = false, true }, "accounts.required: needs"},
		{"nick_timeout zero", func(c *Config) { c.Accounts.NickTimeout.Duration = 0 }, "accounts.nick_timeout: must be a positive"},
		{"oper no hash", func(c *Config) { c.Opers = []Oper{{Name: "alice", PasswordHash: ""}} }, "oper[0].password_hash"},

		{"history off ok", func(c *Config) { c.History.Enabled = false }, ""},
		{"channel_length 0", func(c *Config) { c.History.ChannelLength = 0 }, "history.channel_length: must be between 1 and 100000, got 0"},
		{"private_length huge", func(c *Config) { c.History.PrivateLength = 100001 }, "history.private_length: must be between 1 and 100000"},
		{"retention forever ok", func(c *Config) { c.History.Retention = Duration{} }, ""},
		{"retention negative", func(c *Config) { c.History.Retention = Duration{-time.Hour} }, "history.retention: must be a duration"},
		{"chathistory_max 0", func(c *Config) { c.History.ChathistoryMax = 0 }, "history.chathistory_max: must be between 1 and 1000, got 0"},
		{"chathistory_max 1001", func(c *Config) { c.History.ChathistoryMax = 1001 }, "history.chathistory_max: must be between 1 and 1000"},
		{"replay_lines 0 ok", func(c *Config) { c.History.ReplayLines, c.History.ReplayWindow = 0, Duration{} }, ""},
		{"replay_lines negative", func(c *Config) { c.History.ReplayLines = -1 }, "history.replay_lines: must be between 0 and 1000"},
		{"replay_window 0 with lines", func(c *Config) { c.History.ReplayWindow = Duration{} }, "history.replay_window: must be a positive duration"},
		{"offline_messages 0 ok", func(c *Config) { c.History.OfflineMessages = 0 }, ""},
		{"offline_messages huge", func(c *Config) { c.History.OfflineMessages = 10001 }, "history.offline_messages: must be between 0 and 10000"},
		{"offline_messages without accounts ok", func(c *Config) { c.Accounts.Enabled = false }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Fatalf("Validate() = nil, want an error containing %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("Validate() = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestValidateReportsAll(t *testing.T) {
	c := Default()
	c.Limits.NickLength = 0
	c.Flood.Burst = 0
	c.Server.Name = ""
	err := c.Validate()
	for _, w := range []string{"server.name", "limits.nick_length", "flood.burst"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() = %v, want it to mention %s", err, w)
		}
	}
}

// writeKeyPair writes a self-signed certificate and its key to dir.
func writeKeyPair(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "chatd.local"},
		DNSNames:     []string{"chatd.local"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile = filepath.Join(dir, "cert.pem")
	keyFile = filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeKeyPair(t, dir)

	c := Default()
	c.Listen.Plain = nil
	c.Listen.TLS = []string{"127.0.0.1:6697"}
	c.Listen.TLSCert, c.Listen.TLSKey = certFile, keyFile
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() with a good key pair = %v", err)
	}

	c.Listen.TLSCert, c.Listen.TLSKey = keyFile, certFile // swapped
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "listen.tls_cert: cannot load") {
		t.Fatalf("Validate() with swapped files = %v", err)
	}

	path := writeConf(t, "[listen]\ntls = [\":6697\"]\ntls_cert = \""+certFile+"\"\ntls_key = \""+keyFile+"\"\n")
	got, err := Load(path)
	if err != nil {
		t.Fatalf("Load = %v", err)
	}
	if got.Listen.TLSCert != certFile || len(got.Listen.Plain) != 1 {
		t.Fatalf("Load gave %+v", got.Listen)
	}
}

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		text string
		want time.Duration
	}{
		{"30s", 30 * time.Second},
		{"1m30s", 90 * time.Second},
		{"2h", 2 * time.Hour},
		{"250ms", 250 * time.Millisecond},
	} {
		var d Duration
		if err := d.UnmarshalText([]byte(tt.text)); err != nil || d.Duration != tt.want {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", tt.text, d.Duration, err, tt.want)
		}
		back, err := d.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var again Duration
		if err := again.UnmarshalText(back); err != nil || again != d {
			t.Errorf("round trip of %q via %q gave %v, %v", tt.text, back, again, err)
		}
	}
	if got, _ := (Duration{90 * time.Second}).MarshalText(); string(got) != "1m30s" {
		t.Errorf("MarshalText(90s) = %q", got)
	}
	for _, bad := range []string{"", "30", "30 seconds", "soon"} {
		var d Duration
		err := d.UnmarshalText([]byte(bad))
		if err == nil || !strings.Contains(err.Error(), `"`+bad+`"`) {
			t.Errorf("UnmarshalText(%q) = %v, want an error naming the value", bad, err)
		}
	}
}

func TestMOTDLines(t *testing.T) {
	for _, tt := range []struct {
		motd string
		want []string
	}{
		{"", []string{}},
		{"\n\n", []string{}},
		{"one", []string{"one"}},
		{"one\ntwo\n", []string{"one", "two"}},
		{"one\r\n\r\ntwo\r\n\r\n", []string{"one", "", "two"}},
		{"\nafter blank", []string{"", "after blank"}},
	} {
		c := Default()
		c.Server.MOTD = tt.motd
		if got := c.MOTDLines(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("MOTDLines(%q) = %q, want %q", tt.motd, got, tt.want)
		}
	}
	// The default MOTD says how to reach the server's HELP (a client's own
	// /help is not it).
	if got := Default().MOTDLines(); len(got) != 7 || got[0] != "Welcome to the chat :)" || !strings.Contains(got[2], "/quote HELP") {
		t.Errorf("default MOTDLines() = %q", got)
	}
}

func TestKeyLines(t *testing.T) {
	ki := keyLines(`top = 1
[server]
# name = "commented"
motd = """
fake = "inside a string"
"""
"name" = "x" # quoted key
[ limits ]
a.b = 2
list = [
  "x=y",
]
[[oper]]
name = "a"
[[oper]]
password_hash = "h"
name = "b"
`)
	for key, want := range map[string]int{
		"top": 1, "server": 2, "server.motd": 4, "server.name": 7, "limits": 8, "limits.a.b": 9,
		"limits.list": 10, "oper": 13, "oper[0].name": 14, "oper.name": 14, "oper[1]": 15,
		"oper[1].password_hash": 16, "oper[1].name": 17,
	} {
		if got := ki.line[key]; got != want {
			t.Errorf("line of %q = %d, want %d", key, got, want)
		}
	}
	for _, key := range []string{"server.fake", "fake", `limits."x`} {
		if n, ok := ki.line[key]; ok {
			t.Errorf("%q found at line %d, want absent", key, n)
		}
	}
	if got := ki.find("oper[1].nope"); got != 15 {
		t.Errorf("find(oper[1].nope) = %d, want 15", got)
	}
	if got := ki.find("channels.default_modes"); got != 0 {
		t.Errorf("find(channels.default_modes) = %d, want 0", got)
	}
}

func TestEmptyFileIsDefault(t *testing.T) {
	path := writeConf(t, "# nothing set\n")
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load(empty) = %v", err)
	}
	if !reflect.DeepEqual(c, defaultFor(path)) {
		t.Fatalf("Load(empty) = %+v, want Default()", c)
	}
}

// Relative paths are resolved against the config file's directory; absolute
// ones and empty ones are kept.
func TestLoadResolvesPathsAgainstTheFile(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeKeyPair(t, dir)
	path := filepath.Join(dir, "chatd.toml")
	text := "[listen]\ntls = [\":6697\"]\ntls_cert = \"" + filepath.Base(certFile) + "\"\ntls_key = \"" + keyFile + "\"\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatalf("Load with a relative tls_cert = %v", err)
	}
	if got.Listen.TLSCert != certFile || got.Listen.TLSKey != keyFile {
		t.Errorf("tls_cert, tls_key = %q, %q; want %q, %q", got.Listen.TLSCert, got.Listen.TLSKey, certFile, keyFile)
	}
	if got, err := Load(writeConf(t, "[server]\nname = \"a.b\"\n")); err != nil || got.Listen.TLSCert != "" {
		t.Errorf("an unset path became %q (%v), want it left empty", got.Listen.TLSCert, err)
	}
}

// A whole number where a fraction is allowed is still a number: per_second
// = 2 loads as 2.0. The other way round, a fraction where a count is
// expected is refused, naming the key.
func TestLoadNumberKinds(t *testing.T) {
	for text, want := range map[string]float64{"per_second = 2": 2, "per_second = 0.5": 0.5, "per_second = 3.0": 3} {
		c, err := Load(writeConf(t, "[flood]\n"+text+"\n"))
		if err != nil || c.Flood.PerSecond != want {
			t.Errorf("%s: got %v, %v; want %v", text, c.Flood.PerSecond, err, want)
		}
	}
	if _, err := Load(writeConf(t, "[flood]\nburst = 2.5\n")); err == nil || !strings.Contains(err.Error(), "flood.burst") {
		t.Errorf("burst = 2.5: error %v, want one naming flood.burst", err)
	}
}

// TestNormalizeOrigin: origins compare as browsers send them, whatever
// the case or a default port in the config.
func TestNormalizeOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://Chat.Example.org":     "https://chat.example.org",
		"https://chat.example.org:443": "https://chat.example.org",
		"http://localhost:8080/":       "http://localhost:8080",
		"http://[::1]:80":              "http://[::1]",
	} {
		got, err := NormalizeOrigin(in)
		if err != nil || got != want {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://x", "https://", "https://a/b", "https://u@a", "https://a?x"} {
		if got, err := NormalizeOrigin(bad); err == nil {
			t.Errorf("NormalizeOrigin(%q) = %q; want an error", bad, got)
		}
	}
}

// [[command]] tables are validated like every other key, each problem on
// the line of the key it concerns; a name taken by a built-in command is
// refused when Load is told the built-in ones.
func TestLoadCommands(t *testing.T) {
	good := writeConf(t, `[[command]]
name = "RULES"
help = "Show the class rules."
reply = """1. Be kind.
2. No spoilers."""

[[command]]
name = "ask"
send_to = "#teachers"
`)
	c, err := Load(good, ReservedCommands([]string{"JOIN", "PRIVMSG"}))
	if err != nil {
		t.Fatalf("Load = %v", err)
	}
	if got := c.FindCommand("Rules"); got == nil || !reflect.DeepEqual(got.ReplyLines(), []string{"1. Be kind.", "2. No spoilers."}) {
		t.Errorf("RULES = %+v", got)
	}
	if got := c.FindCommand("ASK"); got == nil || got.SendTo != "#teachers" {
		t.Errorf("ASK = %+v", got)
	}

	bad := writeConf(t, `[[command]]
name = "join"
reply = "x"

[[command]]
name = "two words"
reply = "x"

[[command]]
name = "ASK"
reply = "x"
send_to = "#t"

[[command]]
name = "Ask"
help = "Ask."

[[command]]
reply = "x"

[[command]]
name = "TO"
send_to = "#a,#b"
`)
	_, err = Load(bad, ReservedCommands([]string{"JOIN"}))
	if err == nil {
		t.Fatal("Load accepted bad [[command]] tables")
	}
	for _, want := range []string{
		"line 2: command[0].name: JOIN is a built-in command",
		`line 6: command[1].name: must be a letter then letters or digits`,
		"line 12: command[2].send_to: set reply or send_to, not both",
		"line 15: command[3].name: ASK is defined twice (also command[2])",
		"line 14: command[3].reply: set reply",
		"line 18: command[4].name: must be set",
		`line 23: command[5].send_to: must be one channel ("#teachers") or nick, got "#a,#b"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// Without the built-in verbs (Validate alone) a name is only checked
	// for its form.
	if _, err := Load(writeConf(t, "[[command]]\nname = \"JOIN\"\nreply = \"x\"\n")); err != nil {
		t.Errorf("Load without ReservedCommands = %v", err)
	}
}

// A file without motd gets the default MOTD made for it: the lobby and
// the web page it names, the page's line left out when there is none and
// its host left to the reader on every interface. A motd in the file is
// kept as it is.
func TestDefaultMOTDFollowsTheFile(t *testing.T) {
	tests := []struct {
		name, text string
		want, not  []string
	}{
		{"defaults", "", []string{"Everyone starts in #lobby:", "Chat in a browser: http://127.0.0.1:8080/"}, nil},
		{"lobby and port", "[server]\nlobby = \"#general\"\n[http]\nlisten = [\"127.0.0.1:9000\"]\n",
			[]string{"Everyone starts in #general:", "Chat in a browser: http://127.0.0.1:9000/"}, []string{"#lobby", "8080"}},
		{"no lobby, no page", "[server]\nlobby = \"\"\n[http]\nlisten = []\n", nil, []string{"Everyone starts", "browser"}},
		{"every interface", "[http]\nlisten = [\"0.0.0.0:8080\"]\n", []string{"Chat in a browser: http://<this server's address>:8080/"}, []string{"0.0.0.0"}},
		{"IPv6", "[http]\nlisten = [\"[::1]:8080\"]\n", []string{"Chat in a browser: http://[::1]:8080/"}, nil},
		{"own motd", "[server]\nmotd = \"Hello\"\n[http]\nlisten = [\"127.0.0.1:9000\"]\n", []string{"Hello"}, []string{"Welcome", "browser"}},
	}
	for _, tt := range tests {
		c, err := Load(writeConf(t, tt.text))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		motd := strings.Join(c.MOTDLines(), "\n")
		for _, w := range tt.want {
			if !strings.Contains(motd, w) {
				t.Errorf("%s: MOTD has no %q:\n%s", tt.name, w, motd)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(motd, n) {
				t.Errorf("%s: MOTD has %q:\n%s", tt.name, n, motd)
			}
		}
	}
}
