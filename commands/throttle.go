package commands

import (
	"time"
)

// Failed logins are throttled per account and per IP address, each with a
// bucket of allowed failures that refills slowly: a guesser gets a few
// tries, then one per interval, while a user who mistypes once or twice
// notices nothing. A throttled attempt is refused without checking the
// password, so it costs no hashing either.
const (
	accountFailBurst = 5
	accountFailEvery = 30 * time.Second
	ipFailBurst      = 10
	ipFailEvery      = 10 * time.Second
	// throttleSweepAt bounds the buckets kept: past it, full ones are
	// dropped.
	throttleSweepAt = 10000
)

// failureLimiter is a token bucket per key. Only the state goroutine uses
// it; times come from the world (w.Now()).
type failureLimiter struct {
	burst   float64
	every   time.Duration
	buckets map[string]*failBucket
}

type failBucket struct {
	tokens float64
	at     time.Time
}

func newFailureLimiter(burst int, every time.Duration) *failureLimiter {
	return &failureLimiter{burst: float64(burst), every: every, buckets: map[string]*failBucket{}}
}

// refill brings b up to date at now.
func (l *failureLimiter) refill(b *failBucket, now time.Time) {
	if now.After(b.at) {
		b.tokens = min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.every))
		b.at = now
	}
}

// wait is how long key must wait before another attempt (0: go ahead).
func (l *failureLimiter) wait(key string, now time.Time) time.Duration {
	b := l.buckets[key]
	if b == nil {
		return 0
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) * float64(l.every))
}

// fail records a failed attempt by key.
func (l *failureLimiter) fail(key string, now time.Time) {
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= throttleSweepAt {
			l.sweep(now)
		}
		b = &failBucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	b.tokens = max(0, b.tokens-1)
}

// sweep drops the buckets that have refilled completely.
func (l *failureLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if l.refill(b, now); b.tokens >= l.burst {
			delete(l.buckets, k)
		}
	}
}
