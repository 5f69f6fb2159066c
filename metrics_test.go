package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMetricsMoveUnderLoad: while a TCP client and a WebSocket client
// chat as fast as they can, scrapes of /metrics answer, and the counters
// move as the traffic says they should.
func TestMetricsMoveUnderLoad(t *testing.T) {
	d := startWebDaemon(t, nil, nil)
	tcp := hdial(t, d.addr, "tcp")
	tcp.register("tom")
	web := mustWSDial(t, wsURL(t, d.daemon), "web", "binary.ircv3.net")
	web.register("wendy")
	tcp.waitFor(":wendy!wendy@127.0.0.1 JOIN #lobby")
	tcp.send("JOIN #side")
	tcp.waitFor(":tom!tom@127.0.0.1 JOIN #side")

	before := scrape(t, d.daemon)
	const n = 2000
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "PRIVMSG #lobby :load %d\r\n", i)
	}
	// Scrape while the load runs: every scrape answers and no counter
	// goes back.
	stop := make(chan struct{})
	var scrapes sync.WaitGroup
	scrapes.Add(1)
	go func() {
		defer scrapes.Done()
		last := before
		for {
			select {
			case <-stop:
				return
			default:
			}
			now := scrape(t, d.daemon)
			for _, k := range []string{`chatd_lines_in_total{command="PRIVMSG"}`, `chatd_lines_out_total{command="PRIVMSG"}`, "chatd_bytes_out_total"} {
				if now[k] < last[k] {
					t.Errorf("%s went back from %v to %v", k, last[k], now[k])
				}
			}
			last = now
		}
	}()
	tcp.write([]byte(b.String()))
	for i := range n {
		web.waitFor(fmt.Sprintf(":tom!tom@127.0.0.1 PRIVMSG #lobby :load %d", i))
	}
	tcp.sync()
	close(stop)
	scrapes.Wait()

	after := scrape(t, d.daemon)
	moved := func(series string) float64 { return after[series] - before[series] }
	if got := moved(`chatd_lines_in_total{command="PRIVMSG"}`); got != n {
		t.Errorf("PRIVMSG lines in moved by %v, want %d", got, n)
	}
	if got := moved(`chatd_lines_out_total{command="PRIVMSG"}`); got != n {
		t.Errorf("PRIVMSG lines out moved by %v, want %d (one recipient each)", got, n)
	}
	if got := moved("chatd_bytes_in_total"); got < float64(n*len("PRIVMSG #lobby :load 0")) {
		t.Errorf("bytes in moved by %v, want at least %d", got, n*len("PRIVMSG #lobby :load 0"))
	}
	if got := moved("chatd_bytes_out_total"); got < float64(n*len(":tom!tom@127.0.0.1 PRIVMSG #lobby :load 0\r\n")) {
		t.Errorf("bytes out moved by %v", got)
	}
	if got := moved("chatd_state_event_seconds_count"); got < n {
		t.Errorf("state events observed moved by %v, want at least %d", got, n)
	}
	for series, want := range map[string]float64{
		`chatd_clients{registered="true",transport="tcp"}`:        1,
		`chatd_clients{registered="true",transport="websocket"}`:  1,
		`chatd_clients{registered="false",transport="websocket"}`: 0,
		"chatd_channels": 2,
	} {
		if after[series] != want {
			t.Errorf("%s = %v, want %v", series, after[series], want)
		}
	}
	for _, series := range []string{"chatd_state_queue_length", "chatd_store_queue_length", "chatd_store_write_seconds_count", `chatd_connections_refused_total{reason="max_per_ip"}`} {
		if _, ok := after[series]; !ok {
			t.Errorf("/metrics has no %s", series)
		}
	}
}

// TestHealthAndMetricsDuringShutdown: /healthz answers 200 while the state
// goroutine runs; while the daemon shuts down (the world has stopped, the
// sockets are being flushed) /metrics still answers, and /healthz says
// 503.
func TestHealthAndMetricsDuringShutdown(t *testing.T) {
	var during map[string]float64
	var health int
	var hd *hostileDaemon
	hook := func() {
		during = scrape(t, hd.daemon)
		health = getStatus(t, hd.webURLs()[0]+"healthz")
	}
	hd = startWebDaemon(t, nil, nil, withStopHook(func() { hook() }))
	web := mustWSDial(t, wsURL(t, hd.daemon), "web", "text.ircv3.net")
	web.register("wendy")
	if got := getStatus(t, hd.webURLs()[0]+"healthz"); got != http.StatusOK {
		t.Fatalf("/healthz while running: %d", got)
	}
	hd.stop()
	if during == nil {
		t.Fatal("the scrape during shutdown did not happen")
	}
	if got := during[`chatd_clients{registered="true",transport="websocket"}`]; got > 1 {
		t.Errorf("during shutdown: websocket clients %v", got)
	}
	if health != http.StatusServiceUnavailable {
		t.Errorf("/healthz during shutdown: %d, want 503", health)
	}
	web.waitFor("ERROR :Server shutting down")
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	client := http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestWebListenersFollowRehash: a REHASH that moves [http] listen to
// another address serves the page there and closes the old address, and a
// WebSocket client that came through the old one stays connected.
func TestWebListenersFollowRehash(t *testing.T) {
	first, second := freeAddr(t), freeAddr(t)
	path := filepath.Join(t.TempDir(), "chatd.toml")
	write := func(addr string) {
		text := opConfigText("", []string{"127.0.0.1:0"}) + "[http]\nlisten = [" + tomlString(addr) + "]\n"
		text = strings.Replace(text, noWebTOML, "", 1)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(first)
	d, _ := startOpDaemon(t, path)
	if got := getStatus(t, "http://"+first+"/"); got != http.StatusOK {
		t.Fatalf("page at %s: %d", first, got)
	}
	w := mustWSDial(t, "ws://"+first+"/ws", "w", "text.ircv3.net")
	w.register("w")

	write(second)
	if _, err := d.Prepare(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if got := getStatus(t, "http://"+second+"/"); got != http.StatusOK {
		t.Fatalf("page at %s after REHASH: %d", second, got)
	}
	if c, err := net.Dial("tcp", first); err == nil {
		c.Close()
		t.Errorf("%s still accepts after REHASH moved [http] listen away", first)
	}
	w.sync() // still connected
}
