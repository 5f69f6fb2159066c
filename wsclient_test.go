package main

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// A WebSocket test client (github.com/coder/websocket's client, a real
// one) for the web side's tests: it reads every message into a queue,
// noting each one's type, and fails the test on a wait that runs out.

// startWebDaemon is startHostileDaemon with the web listener on a free
// port; httpKeys go in its [http] table, rawTOML before it.
func startWebDaemon(t *testing.T, httpKeys, rawTOML []string, opts ...daemonOption) *hostileDaemon {
	t.Helper()
	raw := append(append([]string{}, rawTOML...), "[http]", `listen = ["127.0.0.1:0"]`)
	return startHostileDaemon(t, nil, append(raw, httpKeys...), opts...)
}

// wsURL is the daemon's WebSocket address.
func wsURL(t *testing.T, d *daemon) string {
	t.Helper()
	urls := d.webURLs()
	if len(urls) == 0 {
		t.Fatal("no web listener")
	}
	return "ws" + strings.TrimPrefix(urls[0], "http") + "ws"
}

type wsMsg struct {
	typ  websocket.MessageType
	text string
}

type wsClient struct {
	t    *testing.T
	name string
	c    *websocket.Conn
	typ  websocket.MessageType // what send sends

	paused atomic.Bool // stopReading

	mu      sync.Mutex
	queue   []wsMsg
	closed  bool
	readErr error
	notify  chan struct{}
}

// wsDial opens a WebSocket asking for protocols (in that order) and
// starts reading unless silent.
func wsDial(t *testing.T, url, name string, protocols []string, header http.Header, silent bool) (*wsClient, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hTimeout)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: protocols, HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	c.SetReadLimit(1 << 20)
	w := &wsClient{t: t, name: name, c: c, typ: websocket.MessageText, notify: make(chan struct{}, 1)}
	if c.Subprotocol() == "binary.ircv3.net" {
		w.typ = websocket.MessageBinary
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	if !silent {
		w.startReading()
	}
	return w, resp, nil
}

// mustWSDial is wsDial that fails the test on an error.
func mustWSDial(t *testing.T, url, name string, protocols ...string) *wsClient {
	t.Helper()
	w, _, err := wsDial(t, url, name, protocols, nil, false)
	if err != nil {
		t.Fatalf("%s: dial %s: %v", name, url, err)
	}
	return w
}

// stopReading makes the client read nothing more after the message it
// is waiting for now: the server's writes then back up.
func (w *wsClient) stopReading() { w.paused.Store(true) }

func (w *wsClient) startReading() {
	go func() {
		for !w.paused.Load() {
			typ, data, err := w.c.Read(context.Background())
			w.mu.Lock()
			if err != nil {
				w.closed, w.readErr = true, err
			} else {
				w.queue = append(w.queue, wsMsg{typ, string(data)})
			}
			w.mu.Unlock()
			select {
			case w.notify <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
}

// sendAs sends one message of the given type.
func (w *wsClient) sendAs(typ websocket.MessageType, payload string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hTimeout)
	defer cancel()
	if err := w.c.Write(ctx, typ, []byte(payload)); err != nil {
		w.t.Fatalf("%s: write: %v", w.name, err)
	}
}

func (w *wsClient) send(line string) { w.t.Helper(); w.sendAs(w.typ, line) }

// trySend sends a line and returns the error, if any.
func (w *wsClient) trySend(line string) error {
	ctx, cancel := context.WithTimeout(context.Background(), hTimeout)
	defer cancel()
	return w.c.Write(ctx, w.typ, []byte(line))
}

// nextMsg returns the next message, or ok false once the connection is
// closed; the test fails if nothing comes within hTimeout.
func (w *wsClient) nextMsg() (wsMsg, bool) {
	w.t.Helper()
	deadline := time.NewTimer(hTimeout)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		if len(w.queue) > 0 {
			m := w.queue[0]
			w.queue = w.queue[1:]
			w.mu.Unlock()
			return m, true
		}
		if w.closed {
			w.mu.Unlock()
			return wsMsg{}, false
		}
		w.mu.Unlock()
		select {
		case <-w.notify:
		case <-deadline.C:
			w.t.Fatalf("%s: nothing from the server within %v", w.name, hTimeout)
		}
	}
}

// waitFor reads until a message contains want and returns it.
func (w *wsClient) waitFor(want string) string {
	w.t.Helper()
	for {
		m, ok := w.nextMsg()
		if !ok {
			w.t.Fatalf("%s: closed (%v) while waiting for %q", w.name, w.readErr, want)
		}
		if strings.Contains(m.text, want) {
			return m.text
		}
	}
}

// sync is a PING round trip: everything the server sent before it has
// been read.
func (w *wsClient) sync() {
	w.t.Helper()
	w.send("PING sync")
	w.waitFor(":chatd.test PONG chatd.test sync")
}

// register sends NICK/USER and waits for the end of the welcome (the
// lobby's names).
func (w *wsClient) register(nick string) {
	w.t.Helper()
	w.send("NICK " + nick)
	w.send("USER " + nick + " 0 * :" + nick)
	w.waitFor(" 001 " + nick + " ")
	w.sync()
}

// closeStatus waits for the connection to end and returns the close code
// the server sent (-1 for none).
func (w *wsClient) closeStatus() websocket.StatusCode {
	w.t.Helper()
	for {
		if _, ok := w.nextMsg(); !ok {
			return websocket.CloseStatus(w.readErr)
		}
	}
}

// scrapeValue fetches /metrics and returns the value of the sample named
// exactly series (name and labels as the text format writes them).
func scrapeValue(t *testing.T, d *daemon, series string) float64 {
	t.Helper()
	v, ok := scrape(t, d)[series]
	if !ok {
		t.Fatalf("/metrics has no %s", series)
	}
	return v
}

// scrape fetches /metrics and returns every sample by series.
func scrape(t *testing.T, d *daemon) map[string]float64 {
	t.Helper()
	client := http.Client{Timeout: hTimeout}
	resp, err := client.Get(d.webURLs()[0] + "metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s", resp.Status)
	}
	out := make(map[string]float64)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("scrape: bad sample %q", line)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("scrape: %v", err)
	}
	return out
}
