package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// BenchmarkLoopbackFanoutWebSocketMix is BenchmarkLoopbackFanout with a
// fifth of the 50 members on WebSocket: one TCP sender, 39 TCP and 10
// WebSocket receivers in one channel; each op is one PRIVMSG delivered to
// all 49. tcp-deliveries/s is to be compared with BenchmarkLoopbackFanout's
// deliveries/s: what WebSocket members cost the TCP ones.
func BenchmarkLoopbackFanoutWebSocketMix(b *testing.B) {
	const tcpClients, wsClients = 40, 10
	cfg := testConfig(b, []string{`lobby = ""`}, []string{"[http]", `listen = ["127.0.0.1:0"]`})
	d, err := startDaemon(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(d.stop)
	addr := d.addrs()[0].String()
	url := "ws" + strings.TrimPrefix(d.webURLs()[0], "http") + "ws"

	conns := make([]net.Conn, tcpClients)
	readers := make([]*bufio.Reader, tcpClients)
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
	wss := make([]*websocket.Conn, wsClients)
	for i := range wss {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"text.ircv3.net"}})
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		defer ws.CloseNow()
		for _, line := range []string{fmt.Sprintf("NICK w%d", i), "USER w 0 * :w", "JOIN #fan"} {
			if err := ws.Write(context.Background(), websocket.MessageText, []byte(line)); err != nil {
				b.Fatal(err)
			}
		}
		wsWaitFor(b, ws, " 366 ")
		wss[i] = ws
	}
	waitFor(b, conns[0], readers[0], fmt.Sprintf(":w%d!", wsClients-1))

	b.ResetTimer()
	var wg sync.WaitGroup
	for i := 1; i < tcpClients; i++ {
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
	for _, ws := range wss {
		wg.Add(1)
		go func(ws *websocket.Conn) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			for n := 0; n < b.N; {
				_, data, err := ws.Read(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				if strings.Contains(string(data), " PRIVMSG #fan ") {
					n++
				}
			}
		}(ws)
	}
	w := bufio.NewWriter(conns[0])
	for i := 0; i < b.N; i++ {
		fmt.Fprintf(w, "PRIVMSG #fan :message %d with some ordinary chat text in it\r\n", i)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	wg.Wait()
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*(tcpClients+wsClients-1))/secs, "deliveries/s")
	b.ReportMetric(float64(b.N*(tcpClients-1))/secs, "tcp-deliveries/s")
}

func wsWaitFor(b *testing.B, ws *websocket.Conn, substr string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			b.Fatalf("waiting for %q: %v", substr, err)
		}
		if strings.Contains(string(data), substr) {
			return
		}
	}
}
