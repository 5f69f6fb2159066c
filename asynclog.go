package main

import (
	"bufio"
	"context"
	"io"
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
	out     *bufio.Writer // flushed whenever the queue runs empty
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

// newAsyncHandler starts the writer goroutine, which writes text records
// to out; close flushes and stops it. Records that arrive together leave
// in one write (a burst of connections is a burst of log lines), and the
// buffer is flushed as soon as the queue is empty, so nothing waits.
func newAsyncHandler(out io.Writer, level slog.Level) (*asyncHandler, func()) {
	q := &asyncQueue{records: make(chan asyncRecord, 4096), out: bufio.NewWriter(out), done: make(chan struct{})}
	go q.run()
	next := slog.NewTextHandler(q.out, &slog.HandlerOptions{Level: level})
	return &asyncHandler{next: next, shared: q, enabled: level}, q.close
}

func (q *asyncQueue) run() {
	defer close(q.done)
	defer q.out.Flush()
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
		if len(q.records) == 0 {
			_ = q.out.Flush()
		}
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
