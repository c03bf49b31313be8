package discord

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(Rate{Requests: 2, Per: time.Minute}, func() time.Time { return now })
	type step struct {
		advance  time.Duration
		key      string
		ok, warn bool
		wait     time.Duration
	}
	steps := []step{
		{0, "a", true, false, 0},
		{0, "a", true, false, 0},
		{0, "a", false, true, 30 * time.Second},  // told once…
		{0, "a", false, false, 30 * time.Second}, // …not twice
		{0, "b", true, false, 0},                 // buckets are per user
		{10 * time.Second, "a", false, false, 20 * time.Second},
		{20 * time.Second, "a", true, false, 0}, // refilled one token
		{0, "a", false, true, 30 * time.Second}, // told again after an allowed request
		{time.Hour, "a", true, false, 0},        // never more than the burst
		{0, "a", true, false, 0},
		{0, "a", false, true, 30 * time.Second},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		ok, wait, warn := l.allow(s.key)
		if ok != s.ok || warn != s.warn || wait.Round(time.Millisecond) != s.wait {
			t.Errorf("step %d (%s): allow = %v, %v, %v; want %v, %v, %v", i, s.key, ok, wait, warn, s.ok, s.wait, s.warn)
		}
	}
}

func TestLimiterDefaultsAndOff(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	if l := newLimiter(Rate{Requests: -1}, clock); l != nil {
		t.Fatal("Requests < 0 should disable the limit")
	}
	var off *limiter
	for range 100 {
		if ok, _, _ := off.allow("x"); !ok {
			t.Fatal("a nil limiter refused")
		}
	}
	l := newLimiter(Rate{}, clock)
	n := 0
	for range 10 {
		if ok, _, _ := l.allow("x"); ok {
			n++
		}
	}
	if n != defaultRequests {
		t.Errorf("zero Rate allowed %d in a burst, want %d", n, defaultRequests)
	}
	if _, wait, _ := l.allow("x"); wait != defaultPer/defaultRequests {
		t.Errorf("wait %v, want %v", wait, defaultPer/defaultRequests)
	}
}

func TestLimiterPrunes(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(Rate{Requests: 1, Per: time.Second}, func() time.Time { return now })
	for i := range maxBuckets {
		l.allow(string(rune(i + 1)))
	}
	now = now.Add(time.Second)
	l.allow("new")
	if len(l.buckets) != 1 {
		t.Errorf("%d buckets after pruning, want 1", len(l.buckets))
	}
}
