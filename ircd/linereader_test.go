package ircd

import (
	"errors"
	"testing"
	"time"
)

// With yield set, a plain TCP read that has nothing to give returns
// errWouldBlock at once, holding no buffer, and the bytes that arrive
// later are all still there for the next read, which waits for them.
func TestLineReaderYield(t *testing.T) {
	server, client := tcpPair(t)
	_ = server.SetReadDeadline(time.Now().Add(10 * time.Second))
	lr := newLineReader(server, maxLineBytes)
	if lr.raw == nil {
		t.Fatal("a TCP connection should take the raw, bufferless path")
	}
	lr.yield = true
	if _, err := lr.next(); !errors.Is(err, errWouldBlock) {
		t.Fatalf("next on an empty socket with yield: err %v, want errWouldBlock", err)
	}
	if lr.buf != nil {
		t.Fatalf("a read that would block kept a %d-byte buffer", len(lr.buf))
	}

	lr.yield = false
	go func() { _, _ = client.Write([]byte("PING :a\r\nPING :b\n")) }()
	for _, want := range []string{"PING :a", "PING :b"} {
		line, err := lr.next()
		if err != nil || string(line) != want {
			t.Fatalf("next: %q, %v; want %q", line, err, want)
		}
	}
}
