package ircd

import "time"

// tokenBucket paces a client's lines: burst lines at once, then perSecond.
type tokenBucket struct {
	burst     float64
	perSecond float64
	tokens    float64
	last      time.Time
}

func newTokenBucket(burst int, perSecond float64, now time.Time) tokenBucket {
	return tokenBucket{burst: float64(burst), perSecond: perSecond, tokens: float64(burst), last: now}
}

func (b *tokenBucket) refill(now time.Time) {
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.perSecond)
		b.last = now
	}
}

// take spends a token if one is there.
func (b *tokenBucket) take(now time.Time) bool {
	b.refill(now)
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

// nextAt is when the next token will be there.
func (b *tokenBucket) nextAt() time.Time {
	need := 1 - b.tokens
	if need <= 0 {
		return b.last
	}
	return b.last.Add(time.Duration(need / b.perSecond * float64(time.Second)))
}
