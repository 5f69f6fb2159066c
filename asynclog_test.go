package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is an io.Writer safe for the writer goroutine and the test.
type lockedBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	gate chan struct{} // when non-nil, writes wait for it to close
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	if b.gate != nil {
		<-b.gate
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestAsyncLogKeepsOrderAndFlushesOnClose(t *testing.T) {
	out := &lockedBuffer{}
	h, closeLog := newAsyncHandler(out, slog.LevelInfo)
	log := slog.New(h)
	for i := 0; i < 100; i++ {
		log.Info("line", "n", i)
	}
	log.Debug("hidden")
	closeLog()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 100 {
		t.Fatalf("got %d lines, want 100", len(lines))
	}
	for i, l := range lines {
		if !strings.HasSuffix(l, fmt.Sprintf("n=%d", i)) {
			t.Fatalf("line %d is %q: out of order", i, l)
		}
	}
	log.Info("after close") // must neither panic nor block
}

// A line is written out once the queue is empty, without waiting for
// close or for more lines to fill the buffer.
func TestAsyncLogFlushesWhenIdle(t *testing.T) {
	out := &lockedBuffer{}
	h, closeLog := newAsyncHandler(out, slog.LevelInfo)
	defer closeLog()
	slog.New(h).Info("alone")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "msg=alone") {
		if time.Now().After(deadline) {
			t.Fatal("a lone log line stayed in the buffer")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestAsyncLogNeverBlocksOnAStuckWriter(t *testing.T) {
	out := &lockedBuffer{gate: make(chan struct{})}
	h, closeLog := newAsyncHandler(out, slog.LevelInfo)
	log := slog.New(h)
	done := make(chan struct{})
	go func() {
		for i := 0; i < 10000; i++ { // more than the queue holds
			log.Info("flood", "n", i)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("logging blocked behind a stuck writer")
	}
	if h.shared.dropped.Load() == 0 {
		t.Fatal("nothing was counted as dropped")
	}
	close(out.gate)
	log.Info("unstuck")
	closeLog()
	if !strings.Contains(out.String(), "log lines dropped") {
		t.Fatalf("the drop was not reported:\n%s", out.String()[:200])
	}
	_ = h.Handle(context.Background(), slog.Record{})
}
