package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"chatd/conf"
)

// startTestDaemon runs chatd on 127.0.0.1:0 named chatd.test, with extra
// TOML: serverTOML lines go in [server], rawTOML lines follow as they are.
// Flood control is off unless rawTOML has a [flood] table: the harness
// sends a PING after every line, which would otherwise be paced.
// It returns the daemon and the configured lobby.
func startTestDaemon(t testing.TB, serverTOML, rawTOML []string) (*daemon, string) {
	t.Helper()
	if !strings.Contains(strings.Join(rawTOML, "\n"), "[flood]") {
		rawTOML = append(append([]string{}, rawTOML...), "[flood]", "enabled = false")
	}
	text := "[server]\nname = \"chatd.test\"\n" + strings.Join(serverTOML, "\n") +
		"\n[listen]\nplain = [\"127.0.0.1:0\"]\n" + strings.Join(rawTOML, "\n") + "\n"
	path := filepath.Join(t.TempDir(), "chatd.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load(path)
	if err != nil {
		t.Fatalf("test config: %v\n%s", err, text)
	}
	var logOut io.Writer = io.Discard
	if testing.Verbose() {
		logOut = os.Stderr
	}
	d, err := startDaemon(cfg, slog.New(slog.NewTextHandler(logOut, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.stop)
	return d, cfg.Server.Lobby
}

func sortStrings(s []string) { sort.Strings(s) }
