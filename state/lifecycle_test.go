package state

import (
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"chatd/conf"

	"gopkg.in/irc.v4"
)

// stopBound is how long an entry point may take to return once the world
// has stopped. They return at once; the bound only catches one that never
// does, generously for a busy machine.
const stopBound = 10 * time.Second

// TestEntryPointsReturnAfterShutdown: readers blocked on a full inbox when
// the world stops are let go, and every entry point called afterwards
// returns at once, reporting that nothing was queued where it can.
// Shutdown twice is harmless.
func TestEntryPointsReturnAfterShutdown(t *testing.T) {
	w := New(conf.Default(), func(*World, *Client, *irc.Message) {}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ran := make(chan struct{})
	go func() { w.Run(); close(ran) }()

	// Stall the state goroutine, then fill the inbox and have more
	// readers wait on it, one per entry point, plus a second Shutdown.
	release := make(chan struct{})
	stalled := make(chan struct{})
	go w.Call(func(*World) { close(stalled); <-release })
	<-stalled
	for len(w.inbox) < cap(w.inbox) {
		w.inbox <- callEvent{fn: func(*World) {}}
	}
	var blocked sync.WaitGroup
	callers := map[string]func(){
		"Line":     func() { w.Line(1, &irc.Message{Command: "PING", Params: []string{"x"}}) },
		"BadLine":  func() { w.BadLine(1, LineTooLong, "", "") },
		"Gone":     func() { w.Gone(1, "bye") },
		"Connect":  func() { w.Connect(2, &nopOutbox{}, netip.MustParseAddr("127.0.0.1"), false) },
		"Call":     func() { w.Call(func(*World) {}) },
		"Post":     func() { w.Post(func(*World) {}) },
		"Shutdown": func() { w.Shutdown("again") },
	}
	returned := make(chan string, 4*len(callers))
	for name, call := range callers {
		for range 4 {
			blocked.Add(1)
			go func() { defer blocked.Done(); call(); returned <- name }()
		}
	}
	shutdownDone := make(chan struct{})
	go func() { w.Shutdown("bye"); close(shutdownDone) }()
	close(release)

	select {
	case <-ran:
	case <-time.After(stopBound):
		t.Fatal("Run did not return after Shutdown")
	}
	waitAll := make(chan struct{})
	go func() { blocked.Wait(); close(waitAll) }()
	select {
	case <-waitAll:
	case <-time.After(stopBound):
		counts := map[string]int{}
		for len(returned) > 0 {
			counts[<-returned]++
		}
		t.Fatalf("entry points still blocked after the world stopped; returned so far: %v", counts)
	}
	<-shutdownDone

	// After the stop: nothing blocks, and those that can say so report
	// that nothing was queued.
	after := make(chan struct{})
	go func() {
		defer close(after)
		for range 2 * cap(w.inbox) {
			w.Line(1, &irc.Message{Command: "PING", Params: []string{"x"}})
			w.Gone(1, "bye")
		}
		if w.Connect(3, &nopOutbox{}, netip.MustParseAddr("127.0.0.1"), false) {
			t.Error("Connect reported success after the world stopped")
		}
		if w.Call(func(*World) { t.Error("Call ran fn after the world stopped") }) {
			t.Error("Call reported success after the world stopped")
		}
		if w.Post(func(*World) {}) {
			t.Error("Post reported success after the world stopped")
		}
		w.Shutdown("third time")
	}()
	select {
	case <-after:
	case <-time.After(stopBound):
		t.Fatal("an entry point blocked after the world stopped")
	}
}
