package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/store"
)

// BenchmarkLoopbackFanout measures delivery through the whole server over
// loopback TCP: one sender, 50 receivers in one channel; each op is one
// PRIVMSG delivered to all 49 others. The server keeps its store in a real
// file; history=on records every message (and writes it there), history=off
// is the server without history, side by side in one run:
//
//	go test -run '^$' -bench LoopbackFanout -count 6 .
func BenchmarkLoopbackFanout(b *testing.B) {
	for _, on := range []bool{true, false} {
		b.Run(fmt.Sprintf("history=%v", map[bool]string{true: "on", false: "off"}[on]), func(b *testing.B) {
			benchLoopbackFanout(b, on)
		})
	}
}

func benchLoopbackFanout(b *testing.B, history bool) {
	const clients = 50
	cfg := testConfig(b, []string{`lobby = ""`}, []string{"[history]", fmt.Sprintf("enabled = %v", history)})
	st, err := store.Open(filepath.Join(b.TempDir(), "chatd.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	d, err := startDaemon(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), withStore(st))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(d.stop)
	addr := d.addrs()[0].String()
	conns := make([]net.Conn, clients)
	readers := make([]*bufio.Reader, clients)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		conns[i], readers[i] = c, bufio.NewReaderSize(c, 65536)
		fmt.Fprintf(c, "NICK f%d\r\nUSER f 0 * :f\r\nJOIN #fan\r\n", i)
		waitFor(b, c, readers[i], " 366 ")
	}
	// Everyone has joined once the last client's JOIN is seen by client 0.
	waitFor(b, conns[0], readers[0], fmt.Sprintf(":f%d!", clients-1))

	b.ResetTimer()
	var wg sync.WaitGroup
	for i := 1; i < clients; i++ {
		wg.Add(1)
		go func(c net.Conn, r *bufio.Reader) {
			defer wg.Done()
			_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
			for n := 0; n < b.N; {
				line, err := r.ReadString('\n')
				if err != nil {
					b.Error(err)
					return
				}
				if strings.Contains(line, " PRIVMSG #fan ") {
					n++
				}
			}
		}(conns[i], readers[i])
	}
	w := bufio.NewWriter(conns[0])
	for i := 0; i < b.N; i++ {
		fmt.Fprintf(w, "PRIVMSG #fan :message %d with some ordinary chat text in it\r\n", i)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	wg.Wait()
	b.ReportMetric(float64(b.N*(clients-1))/b.Elapsed().Seconds(), "deliveries/s")
}

func waitFor(b *testing.B, c net.Conn, r *bufio.Reader, substr string) {
	b.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			b.Fatalf("waiting for %q: %v", substr, err)
		}
		if strings.Contains(line, substr) {
			return
		}
	}
}
