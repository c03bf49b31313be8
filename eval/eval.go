// Package eval scores a fenlei classifier against a file of labelled cases and reports how good it is.
//
// It promises:
//   - LoadFile reads cases from JSON lines (.jsonl), a JSON array or JSON lines (.json) or CSV (.csv);
//     every malformed line is an error that names the file and the line.
//   - Run calls the Classifier once per case through a worker pool and keeps results in case order; a
//     per-case error is recorded in the Report, never fatal. Only a cancelled context stops a run.
//   - Score computes every figure from the per-case results alone, so a Report can be re-scored,
//     compared with an earlier one (Compare) and gated against a Baseline (Baseline.Check).
//   - A Report marshals to JSON with stable snake_case field names and renders as a terminal table
//     (WriteText) or a self-contained HTML page with inline SVG charts (WriteHTML) in which every
//     piece of case or Decision text is escaped.
//
// The package reads no environment, keeps no globals and needs no network: the clock, the verbatim
// check and the logger are injected through Options.
package eval

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"fenlei/decision"
)

// Classifier is what the harness needs from an engine. For a guidance-question case the same
// method is called with the question text.
type Classifier interface {
	Classify(ctx context.Context, text string) (decision.Decision, error)
}

// Case is one labelled example: a classification case (Text + Expected) or a guidance-question case
// (Question + Cite).
type Case struct {
	ID string `json:"id"`
	// Text is the service description of a classification case.
	Text string `json:"text,omitempty"`
	// Expected is a sub-class code (I11…K39) or "OUT".
	Expected string `json:"expected,omitempty"`
	// Accept lists other codes an expert would also accept.
	Accept []string `json:"accept,omitempty"`
	// Ref is the passage that decides Expected (a coding-index entry's ref), when known: a right
	// answer should cite it (Report.Deciding).
	Ref    string   `json:"ref,omitempty"`
	Tags   []string `json:"tags,omitempty"`
	Lang   string   `json:"lang,omitempty"`
	Reason string   `json:"reason,omitempty"`
	// Question is a question about the guidance; Cite lists substrings of the guidance that the
	// answer's citations must contain (compared with whitespace removed).
	Question string   `json:"question,omitempty"`
	Cite     []string `json:"cite,omitempty"`
	// Needs lists the passage refs a correct answer must cite (the guidance question set's format,
	// eval/testdata/guidance). A question of QKind "outside" needs none: the answer must say that the
	// guidance does not cover it.
	Needs []string `json:"needs,omitempty"`
	// QKind is the kind of a guidance question: scope, rules, platform, class, difference, meta, outside.
	QKind  string `json:"kind,omitempty"`
	Author string `json:"author,omitempty"`
	// Route is the route a right answer takes, "description" or "question", when it was adjudicated
	// apart from the case's type (LoadRoutes, ApplyRoutes); "" means by type: a question case is a
	// question, a classification case a description.
	Route string `json:"route,omitempty"`
	// Line is the line of the source file the case was read from (0 if not read from a file).
	Line int `json:"line,omitempty"`
}

// IsQuestion reports whether c is a guidance-question case.
func (c Case) IsQuestion() bool { return c.Question != "" }

// WantsQuestion reports whether a right answer takes the input for a question (guidance or
// follow-up) rather than a description to classify: the adjudicated Route when set, else the case's type.
func (c Case) WantsQuestion() bool {
	if c.Route != "" {
		return c.Route == RouteQuestion
	}
	return c.IsQuestion()
}

// Input is the text sent to the Classifier.
func (c Case) Input() string {
	if c.IsQuestion() {
		return c.Question
	}
	return c.Text
}

// Options tune Run. The zero value is usable.
type Options struct {
	// Workers is the number of concurrent Classify calls; 0 means runtime.NumCPU().
	Workers int
	// Progress, if not nil, receives a one-line progress bar redrawn with '\r' (pass os.Stderr only
	// when it is a terminal).
	Progress io.Writer
	// OnProgress, if not nil, is called after each finished case with the number done and the total.
	// Calls are never concurrent.
	OnProgress func(done, total int)
	// Now is the clock used to measure per-case latency; nil means time.Now. It may be called from
	// several goroutines at once.
	Now func() time.Time
	// Verbatim reports whether a citation quote is verbatim guidance text (corpus.Guidance.Verbatim).
	// nil means citations are not checked and the verbatim rate is not reported.
	Verbatim func(quote string) bool
	// Logger receives one debug record per case and one warning per case error; nil discards.
	Logger *slog.Logger
}

// Run classifies every case with cl and scores the results. Results keep the order of cases.
// A Classify error, or a Decision with a non-empty Error field, is recorded on that case and counted;
// the run goes on. Run returns an error only when ctx is cancelled.
func Run(ctx context.Context, cl Classifier, cases []Case, opts Options) (*Report, error) {
	if cl == nil {
		return nil, fmt.Errorf("eval.Run: nil Classifier")
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	if workers > len(cases) {
		workers = len(cases)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}

	results := make([]Result, len(cases))
	jobs := make(chan int)
	done := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				if ctx.Err() != nil {
					continue // cancelled: drain the queue without calling
				}
				results[i] = runOne(ctx, cl, cases[i], now, lg)
				done <- i
			}
		})
	}
	go func() {
		defer close(jobs)
		for i := range cases {
			if ctx.Err() != nil {
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(done)
	}()

	n := 0
	for range done {
		n++
		if opts.OnProgress != nil {
			opts.OnProgress(n, len(cases))
		}
		if opts.Progress != nil {
			drawProgress(opts.Progress, n, len(cases))
		}
	}
	if opts.Progress != nil && len(cases) > 0 {
		fmt.Fprintln(opts.Progress)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("eval.Run: %w", err)
	}
	return Score(results, opts.Verbatim), nil
}

func runOne(ctx context.Context, cl Classifier, c Case, now func() time.Time, lg *slog.Logger) Result {
	start := now()
	d, err := cl.Classify(ctx, c.Input())
	elapsed := now().Sub(start)
	r := Result{Case: c, Decision: d, LatencyMS: float64(elapsed) / float64(time.Millisecond)}
	switch {
	case err != nil:
		r.Error = err.Error()
	case d.Error != "":
		r.Error = d.Error
	}
	if r.Error != "" {
		lg.Warn("eval case", "id", c.ID, "err", r.Error)
	} else {
		lg.Debug("eval case", "id", c.ID, "code", d.Code, "ms", r.LatencyMS)
	}
	return r
}

const barWidth = 30

func drawProgress(w io.Writer, done, total int) {
	filled := 0
	if total > 0 {
		filled = done * barWidth / total
	}
	fmt.Fprintf(w, "\r[%s%s] %d/%d", strings.Repeat("=", filled), strings.Repeat(" ", barWidth-filled), done, total)
}
