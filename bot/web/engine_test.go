package web

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"fenlei/decision"
)

// engine runs at most MaxInFlight calls at once, answers every call with its own result, reuses its
// goroutines across calls, and gives up on a call whose context ends while it waits for a slot.
func TestEngineSlots(t *testing.T) {
	s, _ := newTestServer(t, &fakeEngine{}, func(c *Config) { c.MaxInFlight = 2 })
	var running, most atomic.Int32
	var mu sync.Mutex
	goroutines := map[uint64]bool{}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			d, err := s.engine(t.Context(), func() (decision.Decision, error) {
				n := running.Add(1)
				defer running.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				mu.Lock()
				goroutines[goid()] = true
				mu.Unlock()
				runtime.Gosched()
				return decision.Decision{Code: string(rune('A' + i%26))}, nil
			})
			if err != nil || d.Code != string(rune('A'+i%26)) {
				t.Errorf("call %d: got %q, %v", i, d.Code, err)
			}
		})
	}
	wg.Wait()
	if m := most.Load(); m > 2 {
		t.Errorf("%d calls ran at once, want ≤ 2", m)
	}
	if len(goroutines) > 50 {
		t.Errorf("200 calls ran on %d goroutines: they are not reused", len(goroutines))
	}

	// Both slots held: a call whose context ends while it waits returns the context's error.
	release := make(chan struct{})
	for range 2 {
		go s.engine(t.Context(), func() (decision.Decision, error) { <-release; return decision.Decision{}, nil })
	}
	for len(s.slots) < 2 {
		runtime.Gosched()
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.engine(ctx, func() (decision.Decision, error) { t.Error("ran without a slot"); return decision.Decision{}, nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("waiting with a cancelled context: %v, want context.Canceled", err)
	}
	close(release)
}

// goid is the running goroutine's id, read from its stack trace header ("goroutine 18 [running]:").
func goid() uint64 {
	var buf [32]byte
	n := runtime.Stack(buf[:], false)
	var id uint64
	for _, c := range buf[len("goroutine "):n] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}
