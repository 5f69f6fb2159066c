package main

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
)

// asyncHandler hands log records to one writer goroutine through a bounded
// queue, so that logging never makes the state goroutine wait on stderr (a
// stalled pipe would otherwise stall every client). When the queue is full
// a record is dropped and counted; the count is logged once there is room.
type asyncHandler struct {
	next    slog.Handler
	shared  *asyncQueue
	enabled slog.Level
}

type asyncQueue struct {
	records chan asyncRecord
	dropped atomic.Int64
	done    chan struct{}
	once    sync.Once
}

// The channel is never closed, so a late Handle cannot panic; a record
// with no handler tells the writer to stop.

type asyncRecord struct {
	h slog.Handler
	r slog.Record
}

// newAsyncHandler starts the writer goroutine; close flushes and stops it.
func newAsyncHandler(next slog.Handler, level slog.Level) (*asyncHandler, func()) {
	q := &asyncQueue{records: make(chan asyncRecord, 4096), done: make(chan struct{})}
	go q.run()
	return &asyncHandler{next: next, shared: q, enabled: level}, q.close
}

func (q *asyncQueue) run() {
	defer close(q.done)
	for rec := range q.records {
		if rec.h == nil {
			return
		}
		if n := q.dropped.Swap(0); n > 0 {
			r := slog.NewRecord(rec.r.Time, slog.LevelWarn, "log lines dropped: stderr too slow", 0)
			r.AddAttrs(slog.Int64("count", n))
			_ = rec.h.Handle(context.Background(), r)
		}
		_ = rec.h.Handle(context.Background(), rec.r)
	}
}

// close writes out what is queued and stops the writer.
func (q *asyncQueue) close() {
	q.once.Do(func() { q.records <- asyncRecord{} })
	<-q.done
}

func (h *asyncHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.enabled }

func (h *asyncHandler) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.shared.records <- asyncRecord{h: h.next, r: r.Clone()}:
	default:
		h.shared.dropped.Add(1)
	}
	return nil
}

func (h *asyncHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &asyncHandler{next: h.next.WithAttrs(attrs), shared: h.shared, enabled: h.enabled}
}

func (h *asyncHandler) WithGroup(name string) slog.Handler {
	return &asyncHandler{next: h.next.WithGroup(name), shared: h.shared, enabled: h.enabled}
}
