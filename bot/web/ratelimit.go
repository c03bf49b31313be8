package web

import (
	"sync"
	"time"
)

// bucket is a token bucket: it holds up to burst tokens and refills at rate tokens per second.
// The zero value is empty; use newBucket. It is not safe for concurrent use on its own.
type bucket struct {
	tokens float64
	last   time.Time
}

// take refills the bucket up to now and takes one token if there is one.
func (b *bucket) take(now time.Time, rate, burst float64) bool {
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens += el * rate
		if b.tokens > burst {
			b.tokens = burst
		}
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// full reports whether the bucket would be full at now (so forgetting it changes nothing).
func (b *bucket) full(now time.Time, rate, burst float64) bool {
	return b.tokens+now.Sub(b.last).Seconds()*rate >= burst
}

// limiter is a set of token buckets keyed by a string (a client IP), safe for concurrent use.
// A rate <= 0 disables it. Buckets that have refilled are forgotten when there are more than maxKeys.
type limiter struct {
	rate, burst float64
	now         func() time.Time
	maxKeys     int

	mu      sync.Mutex
	buckets map[string]*bucket
}

func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	if burst < 1 {
		burst = 1
	}
	return &limiter{rate: rate, burst: float64(burst), now: now, maxKeys: 10000, buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket.
func (l *limiter) allow(key string) bool {
	if l == nil || l.rate <= 0 {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxKeys {
			for k, ob := range l.buckets {
				if ob.full(now, l.rate, l.burst) {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	return b.take(now, l.rate, l.burst)
}

// connCounter counts open connections per key and refuses more than max (max <= 0: unlimited).
type connCounter struct {
	max int

	mu sync.Mutex
	n  map[string]int
}

func (c *connCounter) acquire(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max > 0 && c.n[key] >= c.max {
		return false
	}
	c.n[key]++
	return true
}

func (c *connCounter) release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[key]--; c.n[key] <= 0 {
		delete(c.n, key)
	}
}
