package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"chatd/conf"
)

// Tests of operator features that a transcript cannot show: K-lines kept
// across a restart, REHASH and SIGHUP re-reading the config file, and the
// ordering of lines sent behind OPER.

// opTestHash is the bcrypt hash of "secret" at cost 4 (fast under -race).
const opTestHash = "$2a$04$41TcQCAa5ZBNa4FKSO1cMOENTtU9akbE.VsN6jDx/UlIw4nHCLjx6"

// opConfigText is a config for these tests: chatd.test, no lobby, no
// flood control, one operator "admin", the given MOTD and listeners.
func opConfigText(motd string, plain []string, extra ...string) string {
	return "[server]\nname = \"chatd.test\"\nlobby = \"\"\nmotd = " + tomlString(motd) + "\n" +
		"[listen]\nplain = [" + strings.Join(quoteAll(plain), ", ") + "]\n" +
		"[flood]\nenabled = false\n" + noWebTOML +
		"[[oper]]\nname = \"admin\"\npassword_hash = \"" + opTestHash + "\"\n" +
		strings.Join(extra, "\n") + "\n"
}

func tomlString(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = tomlString(s)
	}
	return out
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startOpDaemon runs chatd in-process on the config file at path, with
// REHASH and the K-line file wired as main does. stop may be called before
// the test ends; cleanup calls it otherwise.
func startOpDaemon(t *testing.T, path string) (d *daemon, stop func()) {
	t.Helper()
	cfg, err := conf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var logOut io.Writer = io.Discard
	if testing.Verbose() {
		logOut = os.Stderr
	}
	d, err = startDaemon(cfg, slog.New(slog.NewTextHandler(logOut, nil)), withConfigPath(path), withKlineFile(klinePathFor(path)))
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(d.stop) }
	t.Cleanup(stop)
	return d, stop
}

// freeAddr returns a loopback address with a port that was free just now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// opRegister registers nick on a new connection to addr and reads through
// the end of the MOTD.
func opRegister(t *testing.T, addr, nick string) *rawClient {
	t.Helper()
	c := dialRaw(t, addr)
	c.send("NICK " + nick)
	c.send("USER " + nick + " 0 * :" + nick)
	c.expect("end of MOTD", func(l string) bool {
		return strings.Contains(l, " 376 "+nick+" ") || strings.Contains(l, " 422 "+nick+" ")
	})
	return c
}

func opOper(t *testing.T, c *rawClient, nick string) {
	t.Helper()
	c.send("OPER admin secret")
	c.expect("381", func(l string) bool { return strings.Contains(l, " 381 "+nick+" ") })
}

// motdLine sends MOTD and returns its first 372 line's text.
func motdLine(c *rawClient, nick string) string {
	c.t.Helper()
	c.send("MOTD")
	l := c.expect("MOTD text", func(l string) bool {
		return strings.Contains(l, " 372 "+nick+" ") || strings.Contains(l, " 422 "+nick+" ")
	})
	c.expect("end of MOTD", func(l string) bool {
		return strings.Contains(l, " 376 "+nick+" ") || strings.Contains(l, " 422 "+nick+" ")
	})
	_, text, _ := strings.Cut(l, " :- ")
	return text
}

func TestKlineSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chatd.toml")
	writeFile(t, path, opConfigText("hello", []string{"127.0.0.1:0"}))
	klinePath := filepath.Join(dir, "chatd.klines")
	if got := klinePathFor(path); got != klinePath {
		t.Fatalf("klinePathFor(%q) = %q, want %q", path, got, klinePath)
	}
	// An expired K-line in the file is ignored (and dropped at the next save).
	writeFile(t, klinePath, `[{"mask":"old!*@*","reason":"long ago","set_by":"x","set_at":"2001-01-01T00:00:00Z","expires":"2001-01-02T00:00:00Z"}]`)

	d, stop := startOpDaemon(t, path)
	addr := d.addrs()[0].String()
	old := opRegister(t, addr, "old")
	alice := opRegister(t, addr, "alice")
	opOper(t, alice, "alice")
	alice.send("KLINE bob!*@* :no bobs")
	alice.expect("K-line notice", func(l string) bool { return strings.Contains(l, "Added permanent K-line for bob!*@* (no bobs)") })
	alice.send("KLINE 1h *!*@192.0.2.9 :temporary")
	alice.expect("K-line notice", func(l string) bool { return strings.Contains(l, "K-line for *!*@192.0.2.9") })
	stop()
	old.expectClosed()

	data, err := os.ReadFile(klinePath)
	if err != nil {
		t.Fatalf("K-line file: %v", err)
	}
	if s := string(data); !strings.Contains(s, `"bob!*@*"`) || !strings.Contains(s, "192.0.2.9") || strings.Contains(s, "old!") {
		t.Errorf("K-line file after the daemon stopped:\n%s\nwant bob!*@* and *!*@192.0.2.9, not the expired old!*@*", s)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp-*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}

	// A new daemon on the same config: bob is refused at registration.
	d, _ = startOpDaemon(t, path)
	addr = d.addrs()[0].String()
	bob := dialRaw(t, addr)
	bob.send("NICK bob")
	bob.send("USER bob 0 * :Bob")
	bob.expect("465", func(l string) bool {
		return l == ":chatd.test 465 bob :You are banned from this server (no bobs)"
	})
	bob.expect("ERROR", func(l string) bool { return l == "ERROR :Closing Link: 127.0.0.1 (K-lined)" })
	bob.expectClosed()
	for _, l := range bob.seen {
		if strings.Contains(l, " 001 ") {
			t.Errorf("a K-lined client was welcomed: %q", l)
		}
	}
	// Others still get in, and the K-lines are listed.
	carol := opRegister(t, addr, "carol")
	opOper(t, carol, "carol")
	carol.send("STATS k")
	carol.expect("bob's K-line", func(l string) bool { return strings.Contains(l, " 216 carol K bob!*@* 0 alice :no bobs") })
	carol.expect("the temporary K-line", func(l string) bool { return strings.Contains(l, " 216 carol K *!*@192.0.2.9 ") })
	carol.expect("219", func(l string) bool { return strings.Contains(l, " 219 carol k ") })
}

func TestRehash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chatd.toml")
	writeFile(t, path, opConfigText("first motd", []string{"127.0.0.1:0"}))
	d, _ := startOpDaemon(t, path)
	addr := d.addrs()[0].String()
	alice := opRegister(t, addr, "alice")
	if got := motdLine(alice, "alice"); got != "first motd" {
		t.Fatalf("MOTD = %q, want %q", got, "first motd")
	}
	opOper(t, alice, "alice")

	// A config that does not validate changes nothing.
	writeFile(t, path, opConfigText("broken motd", []string{"127.0.0.1:0"}, "[limits]", "nick_length = 0"))
	alice.send("REHASH")
	l := alice.expect("FAIL REHASH", func(l string) bool { return strings.Contains(l, "FAIL REHASH CONFIG_INVALID") })
	if !strings.Contains(l, "limits.nick_length") || !strings.Contains(l, path) {
		t.Errorf("REHASH failure %q does not name the file and the key", l)
	}
	if got := motdLine(alice, "alice"); got != "first motd" {
		t.Errorf("after a failed REHASH the MOTD = %q, want it unchanged", got)
	}
	// Neither does a new server name.
	writeFile(t, path, strings.Replace(opConfigText("renamed", []string{"127.0.0.1:0"}), "chatd.test", "other.test", 1))
	alice.send("REHASH")
	alice.expect("FAIL REHASH for server.name", func(l string) bool {
		return strings.Contains(l, "FAIL REHASH CONFIG_INVALID") && strings.Contains(l, "server.name")
	})

	// A valid config: new MOTD, a new listener; the old one and its
	// clients stay.
	newAddr := freeAddr(t)
	writeFile(t, path, opConfigText("second motd", []string{"127.0.0.1:0", newAddr}))
	alice.send("REHASH")
	alice.expect("382", func(l string) bool { return l == ":chatd.test 382 alice "+path+" Rehashing" })
	if got := motdLine(alice, "alice"); got != "second motd" {
		t.Errorf("after REHASH the MOTD = %q, want %q", got, "second motd")
	}
	bob := opRegister(t, newAddr, "bob")
	if got := motdLine(bob, "bob"); got != "second motd" {
		t.Errorf("MOTD on the new listener = %q", got)
	}
	opRegister(t, addr, "carol") // the kept listener still accepts
	if n := len(d.addrs()); n != 2 {
		t.Errorf("%d listeners after adding one, want 2: %v", n, d.addrs())
	}

	// Removing the listener closes it; its clients stay connected.
	writeFile(t, path, opConfigText("third motd", []string{"127.0.0.1:0"}))
	alice.send("REHASH")
	alice.expect("382", func(l string) bool { return strings.Contains(l, " 382 alice ") })
	if conn, err := net.DialTimeout("tcp", newAddr, time.Second); err == nil {
		conn.Close()
		t.Errorf("removed listener %s still accepts connections", newAddr)
	}
	if got := motdLine(bob, "bob"); got != "third motd" {
		t.Errorf("client of a removed listener: MOTD = %q, want %q", got, "third motd")
	}

	// REHASH is for operators only.
	bob.send("REHASH")
	bob.expect("481", func(l string) bool { return strings.Contains(l, " 481 bob ") })
}

// OPER's password check runs off the state goroutine; lines sent right
// behind it wait for it, so they are handled as an operator's.
func TestRehashOperLinesStayInOrder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chatd.toml")
	writeFile(t, path, opConfigText("motd", []string{"127.0.0.1:0"}))
	d, _ := startOpDaemon(t, path)
	alice := opRegister(t, d.addrs()[0].String(), "alice")
	alice.send("MODE alice +w\r\nOPER admin secret\r\nWALLOPS :first\r\nOPER admin wrong\r\nWALLOPS :second\r\nPING :done")
	var got []string
	alice.expect("PONG", func(l string) bool {
		got = append(got, l)
		return strings.HasSuffix(l, "done")
	})
	want := []string{
		":alice!alice@127.0.0.1 MODE alice +w",
		":chatd.test 381 alice :You are now an IRC operator",
		":alice!alice@127.0.0.1 MODE alice +o",
		":alice!alice@127.0.0.1 WALLOPS :first",
		":chatd.test 464 alice :Password incorrect",
		":alice!alice@127.0.0.1 WALLOPS :second",
		":chatd.test PONG chatd.test done",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("replies:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// SIGHUP makes the chatd binary re-read its config file.
func TestSighupReloadsConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chatd.toml")
	writeFile(t, path, opConfigText("before the signal", []string{"127.0.0.1:0"}))
	p := startChatd(t, "-config", path)
	c := opRegister(t, p.addr, "hup")
	if got := motdLine(c, "hup"); got != "before the signal" {
		t.Fatalf("MOTD = %q", got)
	}

	waitLog := func(what string, n int) {
		t.Helper()
		deadline := time.After(binTimeout)
		for strings.Count(p.stderr.String(), what) < n {
			select {
			case <-p.stderr.changed:
			case <-p.exited:
				t.Fatalf("chatd exited waiting for %q:\n%s", what, p.stderr.String())
			case <-deadline:
				t.Fatalf("no %q in the log within %v:\n%s", what, binTimeout, p.stderr.String())
			}
		}
	}

	// A broken file: logged, nothing changes, chatd keeps running.
	writeFile(t, path, opConfigText("broken", []string{"127.0.0.1:0"}, "[limits]", "nick_length = -1"))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog("config reload failed", 1)
	if got := motdLine(c, "hup"); got != "before the signal" {
		t.Errorf("after a failed reload the MOTD = %q, want it unchanged", got)
	}

	writeFile(t, path, opConfigText("after the signal", []string{"127.0.0.1:0"}))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog("config reloaded", 1)
	if got := motdLine(c, "hup"); got != "after the signal" {
		t.Errorf("after SIGHUP the MOTD = %q, want %q", got, "after the signal")
	}
	if code := p.signalAndWait(syscall.SIGTERM, 5*time.Second); code != 0 {
		t.Errorf("exit status after SIGTERM = %d", code)
	}
}

// writeTestCert writes a self-signed certificate for 127.0.0.1 with the
// given common name, as PEM files certPath and keyPath.
func writeTestCert(t *testing.T, certPath, keyPath, cn string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, certPath, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, keyPath, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
}

// REHASH re-reads the TLS certificate: new TLS connections get the new one
// on the listener that was kept, and a TLS client connected before stays.
func TestRehashTLSCertificate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chatd.toml")
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeTestCert(t, certPath, keyPath, "first")
	// The TLS address may not repeat the plain one, even with port 0.
	tlsAddr := freeAddr(t)
	tlsKeys := "tls = [" + tomlString(tlsAddr) + "]\ntls_cert = " + tomlString(certPath) + "\ntls_key = " + tomlString(keyPath) + "\n"
	text := func(motd string) string {
		s := opConfigText(motd, []string{"127.0.0.1:0"})
		return strings.Replace(s, "[flood]", tlsKeys+"[flood]", 1) // into [listen]
	}
	writeFile(t, path, text("one"))
	d, _ := startOpDaemon(t, path)
	addrs := d.addrs()
	if len(addrs) != 2 {
		t.Fatalf("listeners %v, want a plain and a TLS one", addrs)
	}
	plainAddr := addrs[0].String()
	peerCN := func() string {
		t.Helper()
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: binTimeout}, "tcp", tlsAddr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatalf("TLS dial: %v", err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if cn := peerCN(); cn != "first" {
		t.Fatalf("certificate CN %q, want first", cn)
	}
	early, err := tls.Dial("tcp", tlsAddr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	if _, err := early.Write([]byte("NICK early\r\nUSER early 0 * :Early\r\n")); err != nil {
		t.Fatal(err)
	}
	early.SetReadDeadline(time.Now().Add(binTimeout))
	for br := bufio.NewReader(early); ; {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("TLS client registering: %v", err)
		}
		if strings.Contains(l, " 001 early ") {
			break
		}
	}

	writeTestCert(t, certPath, keyPath, "second")
	writeFile(t, path, text("two"))
	alice := opRegister(t, plainAddr, "alice")
	opOper(t, alice, "alice")
	alice.send("REHASH")
	alice.expect("382", func(l string) bool { return strings.Contains(l, " 382 alice ") })
	if cn := peerCN(); cn != "second" {
		t.Errorf("after REHASH the certificate CN is %q, want second", cn)
	}
	if got := d.addrs()[1].String(); got != tlsAddr {
		t.Errorf("TLS listener moved from %s to %s; it should have been kept", tlsAddr, got)
	}
	// The client connected before the REHASH is still there.
	alice.send("ISON early")
	alice.expect("303", func(l string) bool {
		return strings.HasSuffix(l, " 303 alice early") || strings.HasSuffix(l, " 303 alice :early")
	})
}
