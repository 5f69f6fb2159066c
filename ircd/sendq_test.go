package ircd

import (
	"io"
	"net"
	"testing"
	"time"
)

// Queued counts the batch being written, and WhenDrained fires once the
// peer has read enough, not before.
func TestSendQueueQueuedAndWhenDrained(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	q := &sendQueue{nc: server, limit: 1 << 20, writeTimeout: 5 * time.Second, flushTimeout: time.Second}
	line := []byte("PRIVMSG #c :0123456789012345678901234567890123456789\r\n")
	for range 100 {
		if !q.Enqueue(line) {
			t.Fatal("Enqueue refused under the limit")
		}
	}
	want := 100 * len(line)
	if got := q.Queued(); got != want {
		t.Fatalf("Queued before Flush = %d, want %d", got, want)
	}
	fired := make(chan struct{})
	q.WhenDrained(0, func() { close(fired) })
	q.Flush()
	// net.Pipe is synchronous: the writer is blocked in its batch until we
	// read, so the batch in flight must still be counted.
	buf := make([]byte, len(line))
	if _, err := io.ReadFull(client, buf); err != nil {
		t.Fatal(err)
	}
	if got := q.Queued(); got == 0 {
		t.Fatal("Queued = 0 while the batch is still being written")
	}
	select {
	case <-fired:
		t.Fatal("WhenDrained fired before the queue drained")
	default:
	}
	rest := make([]byte, want-len(line))
	if _, err := io.ReadFull(client, rest); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fired:
	case <-time.After(5 * time.Second):
		t.Fatal("WhenDrained did not fire after the peer read everything")
	}
	if got := q.Queued(); got != 0 {
		t.Fatalf("Queued after draining = %d", got)
	}
	// Already drained: fn runs at once.
	ran := false
	q.WhenDrained(0, func() { ran = true })
	if !ran {
		t.Fatal("WhenDrained on an empty queue did not run fn at once")
	}
	q.Close()
}
