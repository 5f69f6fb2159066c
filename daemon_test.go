package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"chatd/commands"
	"chatd/conf"
	"chatd/state"

	"golang.org/x/crypto/bcrypt"
)

// startTestDaemon runs chatd on 127.0.0.1:0 named chatd.test, with the
// extra TOML described at testConfig. It returns the daemon and the
// configured lobby. Its readers hand their wait to a fresh goroutine after
// every line (withIdleHandOff(0)), so every transcript takes that path.
func startTestDaemon(t testing.TB, serverTOML, rawTOML []string) (*daemon, string) {
	t.Helper()
	return startTestDaemonTuned(t, serverTOML, rawTOML, nil)
}

// startTestDaemonTuned is startTestDaemon with tune (may be nil) applied
// to the world before it runs.
func startTestDaemonTuned(t testing.TB, serverTOML, rawTOML []string, tune func(*state.World)) (*daemon, string) {
	t.Helper()
	cfg := testConfig(t, serverTOML, rawTOML)
	var logOut io.Writer = io.Discard
	if testing.Verbose() {
		logOut = os.Stderr
	}
	rec := &recording{}
	d, err := startDaemon(cfg, slog.New(slog.NewTextHandler(logOut, nil)), withIdleHandOff(0), withWorldTuning(func(w *state.World) {
		cheapPasswords(w)
		if tune != nil {
			tune(w)
		}
	}), withBeforeRun(rec.start(t)))
	if err != nil {
		t.Fatal(err)
	}
	recordings.Store(d, rec)
	t.Cleanup(func() { recordings.Delete(d); d.stop() })
	return d, cfg.Server.Lobby
}

// testConfig loads a config for a test server named chatd.test listening
// on 127.0.0.1:0: serverTOML lines go in [server], rawTOML lines follow as
// they are. Flood control is off unless rawTOML has a [flood] table: the
// transcript harness sends a PING after every line, which would be paced.
func testConfig(t testing.TB, serverTOML, rawTOML []string) *conf.Config {
	t.Helper()
	if !strings.Contains(strings.Join(rawTOML, "\n"), "[flood]") {
		rawTOML = append(append([]string{}, rawTOML...), "[flood]", "enabled = false")
	}
	if !strings.Contains(strings.Join(rawTOML, "\n"), "[history]") {
		// Replay on JOIN would add lines to every transcript where a
		// client joins a channel that was spoken in; those about history
		// have a [history] table and get the default.
		rawTOML = append(append([]string{}, rawTOML...), "[history]", "replay_lines = 0")
	}
	text := "[server]\nname = \"chatd.test\"\n" + strings.Join(serverTOML, "\n") +
		"\n[listen]\nplain = [\"127.0.0.1:0\"]\n" + strings.Join(rawTOML, "\n") + "\n"
	if !strings.Contains(text, "[http]") {
		text += noWebTOML
	}
	path := filepath.Join(t.TempDir(), "chatd.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load(path, conf.ReservedCommands(commands.Verbs()))
	if err != nil {
		t.Fatalf("test config: %v\n%s", err, text)
	}
	return cfg
}

// noWebTOML turns the web listener off: the default (127.0.0.1:8080) is a
// fixed port, which tests must never bind. Tests of the web side configure
// [http] listen = ["127.0.0.1:0"].
const noWebTOML = "[http]\nlisten = []\n"

func sortStrings(s []string) { sort.Strings(s) }

// cheapPasswords makes test daemons hash account passwords at bcrypt's
// lowest cost and answer failed checks after a millisecond instead of a
// second: the code path is the same, the tests are faster.
func cheapPasswords(w *state.World) {
	w.PasswordCost = bcrypt.MinCost
	w.PasswordFailDelay = time.Millisecond
}
