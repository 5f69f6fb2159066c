package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chatd/conf"

	"github.com/xdg-go/scram"
)

// SASL mechanisms that transcripts cannot show: SCRAM-SHA-256 driven by
// the xdg-go/scram library's client, and EXTERNAL over a TLS listener with
// a client certificate.

// field returns the n-th space-separated field of an IRC line ("" if none).
func field(line string, n int) string {
	f := strings.Fields(line)
	if n < len(f) {
		return f[n]
	}
	return ""
}

func hasNumeric(code string) func(string) bool {
	return func(l string) bool { return field(l, 1) == code }
}

// registerAccount connects, registers and REGISTERs an account, and quits.
func registerAccount(t *testing.T, addr, name, password string) {
	t.Helper()
	c := dialRaw(t, addr)
	c.send("NICK " + name)
	c.send("USER " + name + " 0 * :" + name)
	c.expect("welcome", hasNumeric("001"))
	c.send("REGISTER * * :" + password)
	c.expect("REGISTER SUCCESS", func(l string) bool { return strings.Contains(l, "REGISTER SUCCESS "+name) })
	c.send("QUIT")
	c.expectClosed()
}

// startSASL sends CAP REQ sasl, NICK, USER and AUTHENTICATE mech, and
// waits for the server's empty challenge.
func startSASL(c *rawClient, nick, mech string) {
	c.t.Helper()
	c.send("CAP REQ sasl")
	c.send("NICK " + nick)
	c.send("USER " + nick + " 0 * :" + nick)
	c.expect("CAP ACK", func(l string) bool { return strings.Contains(l, " ACK ") })
	c.send("AUTHENTICATE " + mech)
	c.expect("AUTHENTICATE +", func(l string) bool { return l == "AUTHENTICATE +" })
}

// challenge reads the server's next AUTHENTICATE and decodes it.
func challenge(c *rawClient) string {
	c.t.Helper()
	l := c.expect("AUTHENTICATE challenge", func(l string) bool {
		return strings.HasPrefix(l, "AUTHENTICATE ") || field(l, 1) == "904"
	})
	if field(l, 1) == "904" {
		c.t.Fatalf("SASL failed early: %s", l)
	}
	data, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(l, "AUTHENTICATE "))
	if err != nil {
		c.t.Fatalf("challenge %q: %v", l, err)
	}
	return string(data)
}

func TestSASLScramSHA256(t *testing.T) {
	d, _ := startTestDaemon(t, []string{`lobby = ""`}, nil)
	addr := d.addrs()[0].String()
	registerAccount(t, addr, "scrammy", "correct horse")

	login := func(nick, user, password string) (*rawClient, string) {
		client, err := scram.SHA256.NewClient(user, password, "")
		if err != nil {
			t.Fatal(err)
		}
		conv := client.NewConversation()
		c := dialRaw(t, addr)
		startSASL(c, nick, "SCRAM-SHA-256")
		first, err := conv.Step("")
		if err != nil {
			t.Fatal(err)
		}
		c.send("AUTHENTICATE " + base64.StdEncoding.EncodeToString([]byte(first)))
		final, err := conv.Step(challenge(c))
		if err != nil {
			t.Fatalf("server-first: %v", err)
		}
		c.send("AUTHENTICATE " + base64.StdEncoding.EncodeToString([]byte(final)))
		l := c.expect("server-final or 904", func(l string) bool {
			return strings.HasPrefix(l, "AUTHENTICATE ") || field(l, 1) == "904"
		})
		if field(l, 1) == "904" {
			return c, l
		}
		data, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(l, "AUTHENTICATE "))
		if _, err := conv.Step(string(data)); err != nil || !conv.Valid() {
			t.Fatalf("the client does not accept the server's signature %q: %v", data, err)
		}
		c.send("AUTHENTICATE +")
		return c, c.expect("900 or 904", func(l string) bool { return field(l, 1) == "900" || field(l, 1) == "904" })
	}

	c, l := login("s1", "scrammy", "correct horse")
	if field(l, 1) != "900" || field(l, 4) != "scrammy" {
		t.Fatalf("SCRAM with the right password: %s", l)
	}
	c.expect("903", hasNumeric("903"))
	c.send("CAP END")
	c.expect("welcome", hasNumeric("001"))

	_, wrong := login("s2", "scrammy", "wrong horse")
	_, unknown := login("s3", "nobody", "correct horse")
	for _, l := range []string{wrong, unknown} {
		if field(l, 1) != "904" || !strings.HasSuffix(l, "Invalid account name or password") {
			t.Errorf("SCRAM failure: %s", l)
		}
	}
	// The same reply for an unknown account as for a wrong password: the
	// exchange went through the server-first message with a salt either way.
	if strings.SplitN(wrong, " ", 3)[2][2:] != strings.SplitN(unknown, " ", 3)[2][2:] {
		t.Errorf("unknown account (%s) and wrong password (%s) answered differently", unknown, wrong)
	}
}

// clientCert makes a self-signed client certificate and its fingerprint.
func clientCert(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "student"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, hex.EncodeToString(sum[:])
}

func TestSASLExternal(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	writeTestCert(t, certPath, keyPath, "chatd.test")
	cfg := testConfig(t, []string{`lobby = ""`}, nil)
	cfg.Listen.TLS = []string{"127.0.0.1:0"}
	cfg.Listen.TLSCert, cfg.Listen.TLSKey = certPath, keyPath
	cfg.Opers = []conf.Oper{{Name: "boss", Account: "boss"}}
	d, err := startDaemon(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), withWorldTuning(cheapPasswords))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.stop)
	plainAddr, tlsAddr := d.addrs()[0].String(), d.addrs()[1].String()
	cert, fp := clientCert(t)
	dialTLS := func(withCert bool) *rawClient {
		conf := &tls.Config{InsecureSkipVerify: true}
		if withCert {
			conf.Certificates = []tls.Certificate{cert}
		}
		conn, err := tls.Dial("tcp", tlsAddr, conf)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return newRawClient(t, conn)
	}

	// Register over TLS with the certificate and add it to the account
	// (CERT ADD alone takes the connection's own).
	c := dialTLS(true)
	c.send("NICK student")
	c.send("USER student 0 * :Student")
	c.expect("welcome", hasNumeric("001"))
	c.send("WHOIS student")
	if l := c.expect("276", func(l string) bool { return field(l, 1) == "276" || field(l, 1) == "318" }); !strings.HasSuffix(l, "has client certificate fingerprint "+fp) {
		t.Errorf("WHOIS of oneself shows no fingerprint: %s", l)
	}
	c.send("REGISTER * * password123")
	c.expect("900", hasNumeric("900"))
	c.send("NS CERT ADD")
	c.expect("CERT ADD", func(l string) bool { return strings.Contains(l, "Certificate "+fp+" added to student") })

	// Someone else's WHOIS does not show it (only opers and the user).
	other := dialRaw(t, plainAddr)
	other.send("NICK other")
	other.send("USER other 0 * :Other")
	other.expect("welcome", hasNumeric("001"))
	other.send("WHOIS student")
	other.expect("318", hasNumeric("318"))
	for _, l := range other.seen {
		if field(l, 1) == "276" {
			t.Errorf("a non-operator sees the fingerprint: %s", l)
		}
	}
	// An operator does: logging in to the account "boss" makes one.
	other.send("REGISTER boss * password123")
	other.expect("381 (oper by account)", hasNumeric("381"))
	other.send("WHOIS student")
	if l := other.expect("276", func(l string) bool { return field(l, 1) == "276" || field(l, 1) == "318" }); !strings.HasSuffix(l, "has client certificate fingerprint "+fp) {
		t.Errorf("an operator's WHOIS shows no fingerprint: %s", l)
	}
	c.send("QUIT")
	c.expectClosed()

	// EXTERNAL with the certificate logs in; without one it fails.
	e := dialTLS(true)
	startSASL(e, "ext", "EXTERNAL")
	e.send("AUTHENTICATE +")
	if l := e.expect("900", func(l string) bool { return field(l, 1) == "900" || field(l, 1) == "904" }); field(l, 1) != "900" || field(l, 4) != "student" {
		t.Fatalf("EXTERNAL with the certificate: %s", l)
	}
	e.expect("903", hasNumeric("903"))

	named := dialTLS(true)
	startSASL(named, "ext2", "EXTERNAL")
	named.send("AUTHENTICATE " + base64.StdEncoding.EncodeToString([]byte("someoneelse")))
	if l := named.expect("904", func(l string) bool { return field(l, 1) == "900" || field(l, 1) == "904" }); field(l, 1) != "904" {
		t.Errorf("EXTERNAL naming another account: %s", l)
	}

	n := dialTLS(false)
	startSASL(n, "nocert", "EXTERNAL")
	n.send("AUTHENTICATE +")
	if l := n.expect("904", func(l string) bool { return field(l, 1) == "900" || field(l, 1) == "904" }); !strings.HasSuffix(l, "no TLS client certificate") {
		t.Errorf("EXTERNAL without a certificate: %s", l)
	}
}
