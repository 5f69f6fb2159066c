package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"chatd/store"
)

// BenchmarkAccountLatency measures what a user waits for, end to end over
// loopback TCP against a daemon with a real store file and the default
// bcrypt cost: REGISTER until REGISTER SUCCESS (hash, commit, reply), and
// a SASL PLAIN login until 903 (one bcrypt check). It reports medians.
//
//	go test -run '^$' -bench AccountLatency -benchtime=20x .
func BenchmarkAccountLatency(b *testing.B) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(filepath.Join(b.TempDir(), "chatd.db"), logger)
	if err != nil {
		b.Fatal(err)
	}
	cfg := testConfig(b, []string{`lobby = ""`}, nil)
	d, err := startDaemon(cfg, logger, withStore(st))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(d.stop)
	addr := d.addrs()[0].String()
	var register, login []time.Duration
	b.ResetTimer()
	for i := range b.N {
		c := dialRaw(b, addr)
		name := fmt.Sprintf("bench%d", i)
		c.send("NICK " + name)
		c.send("USER " + name + " 0 * :bench")
		c.expect("welcome", hasNumeric("001"))
		start := time.Now()
		c.send("REGISTER * * password123")
		c.expect("SUCCESS", func(l string) bool { return strings.Contains(l, "REGISTER SUCCESS") })
		register = append(register, time.Since(start))
		c.send("QUIT")

		s := dialRaw(b, addr)
		s.send("CAP REQ sasl")
		s.send("NICK s" + name)
		s.send("USER s 0 * :s")
		s.expect("ACK", func(l string) bool { return strings.Contains(l, " ACK ") })
		start = time.Now()
		s.send("AUTHENTICATE PLAIN")
		s.expect("+", func(l string) bool { return l == "AUTHENTICATE +" })
		s.send("AUTHENTICATE " + base64.StdEncoding.EncodeToString([]byte("\x00"+name+"\x00password123")))
		s.expect("903", hasNumeric("903"))
		login = append(login, time.Since(start))
		s.send("QUIT")
	}
	b.StopTimer()
	b.ReportMetric(float64(median(register).Microseconds())/1000, "register-ms")
	b.ReportMetric(float64(median(login).Microseconds())/1000, "sasl-login-ms")
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
