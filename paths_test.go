package main

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
)

// Relative paths in the config are relative to the config file, wherever
// chatd is started from: the binary runs in one directory with -config
// naming a file in another, whose tls_cert and tls_key are bare names of
// files next to it, and its TLS listener answers with that certificate.
func TestConfigPathsRelativeToConfigFile(t *testing.T) {
	confDir := t.TempDir()
	writeTestCert(t, filepath.Join(confDir, "cert.pem"), filepath.Join(confDir, "key.pem"), "paths.test")
	tlsAddr := freeAddr(t)
	path := filepath.Join(confDir, "chatd.toml")
	writeFile(t, path, "[server]\nname = \"chatd.test\"\n[listen]\nplain = []\n"+
		"tls = ["+tomlString(tlsAddr)+"]\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n"+noWebTOML)

	elsewhere := t.TempDir()
	p := startChatdIn(t, elsewhere, "-config", path)
	conn, err := tls.Dial("tcp", p.addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("TLS dial %s: %v", p.addr, err)
	}
	defer conn.Close()
	if cn := conn.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "paths.test" {
		t.Errorf("certificate CN = %q, want the one next to the config file", cn)
	}
	if _, err := os.Stat(filepath.Join(elsewhere, "cert.pem")); err == nil {
		t.Fatal("test setup: the working directory has a cert.pem")
	}
}
