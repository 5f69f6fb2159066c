package main

import (
	"bufio"
	"crypto/tls"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A TLS client registers, WHOIS shows it as secure (671) to others, a
// plain client is not, and TLS older than 1.2 is refused.
func TestTLSListener(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeTestCert(t, certPath, keyPath, "chatd.test")
	tlsAddr := freeAddr(t)
	d, _ := startTestDaemon(t, []string{`lobby = ""`}, []string{
		"tls = [" + tomlString(tlsAddr) + "]",
		"tls_cert = " + tomlString(certPath),
		"tls_key = " + tomlString(keyPath),
	})

	register := func(c net.Conn, nick string) *bufio.Reader {
		t.Helper()
		r := bufio.NewReader(c)
		if _, err := c.Write([]byte("NICK " + nick + "\r\nUSER " + nick + " 0 * :" + nick + "\r\n")); err != nil {
			t.Fatal(err)
		}
		readUntil(t, c, r, " 376 "+nick+" ")
		return r
	}
	secure, err := tls.Dial("tcp", tlsAddr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("TLS dial: %v", err)
	}
	defer secure.Close()
	if v := secure.ConnectionState().Version; v < tls.VersionTLS12 {
		t.Fatalf("negotiated TLS version %x, want 1.2 or newer", v)
	}
	register(secure, "sec")

	plain, err := net.Dial("tcp", d.addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	pr := register(plain, "pln")
	plain.Write([]byte("WHOIS sec\r\n"))
	whois := readUntil(t, plain, pr, " 318 pln sec ")
	if !strings.Contains(whois, ":chatd.test 671 pln sec :is using a secure connection") {
		t.Errorf("WHOIS of a TLS client lacks 671:\n%s", whois)
	}
	plain.Write([]byte("WHOIS pln\r\n"))
	if whois := readUntil(t, plain, pr, " 318 pln pln "); strings.Contains(whois, " 671 ") {
		t.Errorf("WHOIS of a plain client shows 671:\n%s", whois)
	}

	old, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", tlsAddr,
		&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
	if err == nil {
		old.Close()
		t.Fatal("a TLS 1.1 handshake succeeded; the minimum is 1.2")
	}
}

// readUntil reads lines until one contains substr and returns them all.
func readUntil(t *testing.T, c net.Conn, r *bufio.Reader, substr string) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var seen strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("waiting for %q: %v\n%s", substr, err, seen.String())
		}
		seen.WriteString(line)
		if strings.Contains(line, substr) {
			return seen.String()
		}
	}
}
