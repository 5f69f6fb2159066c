package ircd

import (
	"testing"
	"time"

	"chatd/conf"
)

// batchFree follows the client's multiline batch: the opening is paced,
// its lines (up to max_lines) and its end go at once; other lines, lines
// of another batch and lines past max_lines are paced as usual.
func TestBatchFree(t *testing.T) {
	cfg := conf.Default()
	cfg.Multiline.MaxLines = 3
	r := &reader{cfg: cfg}
	for i, step := range []struct {
		line string
		free bool
	}{
		{"@batch=x PRIVMSG #c :no batch is open", false},
		{"@label=a BATCH +x draft/multiline #c", false},
		{"@batch=x PRIVMSG #c :1", true},
		{"@batch=y PRIVMSG #c :another batch", false},
		{"PRIVMSG #c :no tag", false},
		{"@batch=x;draft/multiline-concat PRIVMSG #c :2", true},
		{"@batch=x PRIVMSG #c :3", true},
		{"@batch=x PRIVMSG #c :4, past max_lines", false},
		{"batch -x", true},
		{"@batch=x PRIVMSG #c :after the end", false},
		{"BATCH +z example.com/other #c", false},
		{"@batch=z PRIVMSG #c :not multiline", false},
	} {
		if got := r.batchFree([]byte(step.line)); got != step.free {
			t.Errorf("step %d %q: free %v, want %v", i, step.line, got, step.free)
		}
	}
	cfg.Multiline.MaxBytes = 0 // draft/multiline off: nothing is free
	r = &reader{cfg: cfg}
	r.batchFree([]byte("BATCH +x draft/multiline #c"))
	if r.batchFree([]byte("@batch=x PRIVMSG #c :1")) {
		t.Error("a batch line went free with draft/multiline off")
	}
}

// A bucket in debt pays it back before it gives a token again.
func TestBucketDebt(t *testing.T) {
	now := time.Unix(1000, 0)
	b := newTokenBucket(2, 4, now)
	for range 10 {
		b.spend(now)
	}
	if b.take(now) {
		t.Fatal("a bucket 8 tokens in debt gave a token")
	}
	if at, want := b.nextAt(), now.Add(time.Duration(9*float64(time.Second)/4)); !at.Equal(want) {
		t.Fatalf("next token at %v, want %v (9 tokens at 4/s)", at.Sub(now), want.Sub(now))
	}
	if !b.take(now.Add(9 * time.Second / 4)) {
		t.Fatalf("no token once the debt was paid (%v tokens)", b.tokens)
	}
}
