package discord

import (
	"sync"
	"time"
)

// Rate is a per-user request rate: a token bucket holding Requests tokens, refilled evenly over Per.
// The zero Rate means the default, 5 requests per minute; Requests < 0 means no limit.
type Rate struct {
	Requests int
	Per      time.Duration
}

// The default per-user rate: 5 requests per minute.
const (
	defaultRequests = 5
	defaultPer      = time.Minute
)

// maxBuckets bounds the limiter's memory: past it, buckets that are full again are dropped.
const maxBuckets = 10000

// limiter is a set of per-key token buckets on an injected clock.
type limiter struct {
	mu      sync.Mutex
	burst   float64
	perSec  float64 // tokens per second
	now     func() time.Time
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
	warned bool // the user was told about the limit since the last allowed request
}

// newLimiter returns nil (no limit) when r.Requests < 0.
func newLimiter(r Rate, now func() time.Time) *limiter {
	if r.Requests < 0 {
		return nil
	}
	if r.Requests == 0 {
		r.Requests = defaultRequests
	}
	if r.Per <= 0 {
		r.Per = defaultPer
	}
	return &limiter{
		burst:   float64(r.Requests),
		perSec:  float64(r.Requests) / r.Per.Seconds(),
		now:     now,
		buckets: map[string]*bucket{},
	}
}

// allow takes a token from key's bucket. When none is left it returns ok false, how long until
// the next token, and warn true only the first time since the last allowed request (so a user
// who keeps sending is told once, not once per message).
func (l *limiter) allow(key string) (ok bool, wait time.Duration, warn bool) {
	if l == nil {
		return true, 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.buckets) >= maxBuckets {
		for k, b := range l.buckets {
			if l.refill(b, now) >= l.burst {
				delete(l.buckets, k)
			}
		}
	}
	b, found := l.buckets[key]
	if !found {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = l.refill(b, now)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		b.warned = false
		return true, 0, false
	}
	wait = time.Duration((1 - b.tokens) / l.perSec * float64(time.Second))
	warn = !b.warned
	b.warned = true
	return false, wait, warn
}

func (l *limiter) refill(b *bucket, now time.Time) float64 {
	el := now.Sub(b.last).Seconds()
	if el < 0 {
		el = 0
	}
	return min(l.burst, b.tokens+el*l.perSec)
}
