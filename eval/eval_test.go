package eval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fenlei/decision"
)

// fakeClassifier answers from a map from text to Decision; texts in errs fail.
type fakeClassifier struct {
	answers map[string]decision.Decision
	errs    map[string]error
	// before, if set, runs at the start of every call.
	before func(text string)

	inFlight, maxInFlight atomic.Int32
	calls                 atomic.Int32
}

var _ Classifier = (*fakeClassifier)(nil)

func (f *fakeClassifier) Classify(ctx context.Context, text string) (decision.Decision, error) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxInFlight.Load()
		if n <= m || f.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	f.calls.Add(1)
	if f.before != nil {
		f.before(text)
	}
	if err := f.errs[text]; err != nil {
		return decision.Decision{}, err
	}
	d, ok := f.answers[text]
	if !ok {
		return decision.Decision{}, fmt.Errorf("fake: no answer for %q", text)
	}
	return d, nil
}

// fakeClock is a clock that only moves when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tLogWriter struct{ t *testing.T }

func (w tLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func manyCases(n int) ([]Case, *fakeClassifier) {
	f := &fakeClassifier{answers: map[string]decision.Decision{}, errs: map[string]error{}}
	var cases []Case
	for i := range n {
		c := cls(fmt.Sprintf("c%02d", i), "I11")
		cases = append(cases, c)
		code := "I11"
		if i%3 == 0 {
			code = "I12"
		}
		f.answers[c.Text] = dec(code, 0.5)
	}
	return cases, f
}

func TestRunOrderAndErrors(t *testing.T) {
	cases, f := manyCases(20)
	f.errs[cases[4].Text] = errors.New("llm: 503")
	bad := dec("", 0)
	bad.Error = "bad reply"
	f.answers[cases[7].Text] = bad
	q := qcase("q1", "交易平台")
	f.answers[q.Question] = cite("交易平台的规定")
	cases = append(cases, q)

	rep, err := Run(t.Context(), f, cases, Options{Workers: 4, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := int(f.calls.Load()); got != len(cases) {
		t.Errorf("calls = %d, want %d", got, len(cases))
	}
	if len(rep.Results) != len(cases) {
		t.Fatalf("len(Results) = %d, want %d", len(rep.Results), len(cases))
	}
	for i, r := range rep.Results {
		if r.Case.ID != cases[i].ID {
			t.Errorf("Results[%d].Case.ID = %q, want %q", i, r.Case.ID, cases[i].ID)
		}
		if want := f.answers[cases[i].Input()].Code; r.Error == "" && r.Decision.Code != want {
			t.Errorf("Results[%d] code = %q, want %q", i, r.Decision.Code, want)
		}
	}
	wantErrs := []CaseError{{ID: "c04", Error: "llm: 503"}, {ID: "c07", Error: "bad reply"}}
	if rep.ErrorCount != 2 || !reflect.DeepEqual(rep.Errors, wantErrs) {
		t.Errorf("errors = %d %+v, want 2 %+v", rep.ErrorCount, rep.Errors, wantErrs)
	}
	// 20 classification cases: I12 answers at 0,3,…,18 (7 wrong), c04 and c07 errored → 11 right.
	if !near(rep.Accuracy.Sub.Top1, 11.0/20) {
		t.Errorf("top1 = %v, want 11/20", rep.Accuracy.Sub.Top1)
	}
	if rep.Questions.Hits != 1 {
		t.Errorf("question hits = %d, want 1", rep.Questions.Hits)
	}
}

func TestRunWorkers(t *testing.T) {
	const workers = 4
	cases, f := manyCases(12)
	// The first `workers` calls wait until all of them have started, so a pool that runs fewer
	// calls at once never gets past them (the 30 s fallback only keeps a broken pool from hanging).
	var arrived sync.WaitGroup
	arrived.Add(workers)
	allIn := make(chan struct{})
	go func() { arrived.Wait(); close(allIn) }()
	var started atomic.Int32
	f.before = func(string) {
		if started.Add(1) <= workers {
			arrived.Done()
			select {
			case <-allIn:
			case <-time.After(30 * time.Second):
			}
		}
	}
	rep, err := Run(t.Context(), f, cases, Options{Workers: workers})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := f.maxInFlight.Load(); got != workers {
		t.Errorf("max concurrent calls = %d, want %d", got, workers)
	}
	if rep.Cases != 12 {
		t.Errorf("cases = %d, want 12", rep.Cases)
	}
}

func TestRunDefaultWorkersAndProgress(t *testing.T) {
	cases, f := manyCases(5)
	var buf bytes.Buffer
	var seen []int
	_, err := Run(t.Context(), f, cases, Options{
		Progress:   &buf,
		OnProgress: func(done, total int) { seen = append(seen, done*100+total) },
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if want := []int{105, 205, 305, 405, 505}; !reflect.DeepEqual(seen, want) {
		t.Errorf("OnProgress saw %v, want %v", seen, want)
	}
	out := buf.String()
	if !strings.Contains(out, "\r[") || !strings.HasSuffix(out, "] 5/5\n") {
		t.Errorf("progress output = %q, want redrawn bar ending in 5/5 and a newline", out)
	}
}

func TestRunLatency(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cases, f := manyCases(4)
	cost := map[string]time.Duration{
		cases[0].Text: 10 * time.Millisecond, cases[1].Text: 40 * time.Millisecond,
		cases[2].Text: 20 * time.Millisecond, cases[3].Text: 1500 * time.Microsecond,
	}
	f.before = func(text string) { clock.Advance(cost[text]) }
	rep, err := Run(t.Context(), f, cases, Options{Workers: 1, Now: clock.Now})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var got []float64
	for _, r := range rep.Results {
		got = append(got, r.LatencyMS)
	}
	if want := []float64{10, 40, 20, 1.5}; !reflect.DeepEqual(got, want) {
		t.Errorf("latencies = %v, want %v", got, want)
	}
	// sorted 1.5 10 20 40: p50 = 2nd, p95 = 4th
	if rep.Latency.P50MS != 10 || rep.Latency.P95MS != 40 {
		t.Errorf("p50/p95 = %v/%v, want 10/40", rep.Latency.P50MS, rep.Latency.P95MS)
	}
}

func TestRunVerbatim(t *testing.T) {
	cases, f := manyCases(2)
	d := dec("I11", 1)
	d.Citations = cite("真的", "假的").Citations
	f.answers[cases[0].Text] = d
	rep, err := Run(t.Context(), f, cases, Options{Verbatim: func(q string) bool { return q == "真的" }})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if want := (CitationScore{Checked: true, Total: 2, Verbatim: 1, Rate: 0.5}); rep.Citations != want {
		t.Errorf("Citations = %+v, want %+v", rep.Citations, want)
	}
}

func TestRunCancelled(t *testing.T) {
	cases, f := manyCases(10)
	ctx, cancel := context.WithCancel(t.Context())
	f.before = func(string) { cancel() }
	rep, err := Run(ctx, f, cases, Options{Workers: 1})
	if !errors.Is(err, context.Canceled) || rep != nil {
		t.Fatalf("Run after cancel = %v, %v; want nil, context.Canceled", rep, err)
	}
	if got := f.calls.Load(); got != 1 {
		t.Errorf("calls = %d, want 1 (none after the cancel)", got)
	}
}

func TestRunEmptyAndNil(t *testing.T) {
	rep, err := Run(t.Context(), &fakeClassifier{}, nil, Options{})
	if err != nil || rep.Cases != 0 {
		t.Errorf("Run(no cases) = %+v, %v; want an empty report", rep, err)
	}
	if _, err := Run(t.Context(), nil, nil, Options{}); err == nil {
		t.Errorf("Run(nil classifier) succeeded, want error")
	}
}
