package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fenlei/corpus"
	"fenlei/decision"
)

// result is what one run of the command wrote and returned.
type result struct {
	stdout, stderr string
	err            error
}

// invocation is one call of run: the arguments, stdin and the environment (nothing else of the
// process environment is visible, so a developer's OPENAI_API_KEY cannot leak into a test).
type invocation struct {
	args  []string
	stdin string
	env   map[string]string
}

func (inv invocation) getenv(k string) string { return inv.env[k] }

// runFenlei calls run with in-memory streams and t.Context().
func runFenlei(t *testing.T, inv invocation) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	var stdin io.Reader = strings.NewReader(inv.stdin)
	db := filepath.Join(t.TempDir(), "fenlei.db") // never the working directory's fenlei.db
	getenv := func(k string) string {
		if v, ok := inv.env[k]; ok || k != "FENLEI_DB_URL" {
			return v
		}
		return db
	}
	err := run(t.Context(), inv.args, stdin, &stdout, &stderr, getenv)
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a running server's logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var (
	guideOnce sync.Once
	guide     *corpus.Guidance
	guideErr  error
)

// guidance is the embedded guidance, to check codes and that citations are verbatim.
func guidance(t *testing.T) *corpus.Guidance {
	t.Helper()
	guideOnce.Do(func() { guide, guideErr = corpus.Load() })
	if guideErr != nil {
		t.Fatalf("corpus.Load: %v", guideErr)
	}
	return guide
}

// decisionKeys are the fields every Decision has (docs/contract.md), even when empty.
var decisionKeys = []string{"code", "name", "path", "confidence", "candidates", "citations", "checks",
	"question", "answer", "engine"}

// parseDecision decodes one Decision and checks the contract's shape: every field present, lists
// as arrays (never null), confidence and scores in [0,1], at most 5 candidates ranked best first,
// citations with ref, section and a verbatim quote, and a code that is a sub-class, OUT or "".
// Error lines (with an "error" field) are checked for the shape only.
func parseDecision(t *testing.T, data []byte) decision.Decision {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, data)
	}
	for _, k := range decisionKeys {
		v, ok := raw[k]
		if !ok {
			t.Errorf("Decision lacks %q: %s", k, data)
			continue
		}
		switch k {
		case "path", "candidates", "citations", "checks":
			if !bytes.HasPrefix(bytes.TrimSpace(v), []byte("[")) {
				t.Errorf("Decision %q = %s, want a JSON array", k, v)
			}
		}
	}
	var d decision.Decision
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("json.Unmarshal Decision: %v\n%s", err, data)
	}
	if d.Confidence < 0 || d.Confidence > 1 {
		t.Errorf("confidence = %v, want in [0,1]", d.Confidence)
	}
	if len(d.Candidates) > 5 {
		t.Errorf("%d candidates, want at most 5", len(d.Candidates))
	}
	for i, c := range d.Candidates {
		if c.Score < 0 || c.Score > 1 {
			t.Errorf("candidate %s score = %v, want in [0,1]", c.Code, c.Score)
		}
		// The first candidate is the decision; the alternatives after it are ranked by score.
		// (TestCandidatesRankedByScore covers the first against the second.)
		if i > 1 && c.Score > d.Candidates[i-1].Score {
			t.Errorf("candidates not ranked best first: %v", d.Candidates)
		}
	}
	if d.Error != "" {
		return d
	}
	if d.Code != "" && len(d.Candidates) > 0 && d.Candidates[0].Code != d.Code {
		t.Errorf("code = %s but the first candidate is %s", d.Code, d.Candidates[0].Code)
	}
	g := guidance(t)
	switch d.Code {
	case "", decision.OUT:
	default:
		if c, ok := g.Class(d.Code); !ok || c.Level != corpus.Sub {
			t.Errorf("code = %q, want a sub-class, OUT or empty", d.Code)
		}
	}
	for _, c := range d.Citations {
		if c.Ref == "" || c.Section == "" || c.Quote == "" {
			t.Errorf("citation lacks ref, section or quote: %+v", c)
		}
		if !g.Verbatim(c.Quote) {
			t.Errorf("citation %s is not verbatim guidance: %q", c.Ref, c.Quote)
		}
	}
	if d.Engine == "" {
		t.Errorf("engine is empty")
	}
	return d
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name       string
		inv        invocation
		wantErr    error  // errors.Is target; nil means no error
		wantAnyErr bool   // an error other than errUsage
		errHas     string // substring of the error
		stdoutHas  string
		stderrHas  string
		known      string // skip with this message when the case fails
	}{
		{name: "no args", inv: invocation{}, wantErr: errUsage, stdoutHas: "Usage:"},
		{name: "help", inv: invocation{args: []string{"help"}}, stdoutHas: "Usage:"},
		{name: "-h", inv: invocation{args: []string{"-h"}}, stdoutHas: "fenlei ask"},
		{name: "--help", inv: invocation{args: []string{"--help"}}, stdoutHas: "fenlei classify --jsonl"},
		{name: "unknown command", inv: invocation{args: []string{"frobnicate"}}, wantErr: errUsage,
			stderrHas: `unknown command "frobnicate"`},
		{name: "unknown command with a bad LLM environment", inv: invocation{args: []string{"frobnicate"},
			env: map[string]string{"FENLEI_LLM_URL": "nope"}}, wantErr: errUsage, stderrHas: "unknown command",
			known: "an unknown command is reported only after the LLM configuration is validated: " +
				"FENLEI_LLM_URL=nope fenlei frobnicate says the URL is bad, not that the command is unknown"},
		{name: "bad flag", inv: invocation{args: []string{"ask", "--nope", "x"}}, wantErr: errUsage,
			stderrHas: "flag provided but not defined"},
		{name: "flag of another command", inv: invocation{args: []string{"categories", "--addr", ":1"}}, wantErr: errUsage},
		{name: "bad flag value", inv: invocation{args: []string{"ask", "--llm-timeout", "soon", "x"}}, wantErr: errUsage},
		{name: "discord without token", inv: invocation{args: []string{"discord"}}, wantAnyErr: true,
			errHas: "DISCORD_TOKEN"},
		{name: "discord with only a guild", inv: invocation{args: []string{"discord"},
			env: map[string]string{"DISCORD_GUILD_ID": "123"}}, wantAnyErr: true, errHas: "DISCORD_TOKEN"},
		{name: "eval without cases", inv: invocation{args: []string{"eval"}}, wantAnyErr: true, errHas: "--cases"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runFenlei(t, tt.inv)
			if tt.known != "" && !errors.Is(got.err, tt.wantErr) {
				t.Errorf("%s (err = %v)", tt.known, got.err)
			}
			switch {
			case tt.wantAnyErr:
				if got.err == nil || errors.Is(got.err, errUsage) {
					t.Fatalf("err = %v, want a non-usage error", got.err)
				}
			case tt.wantErr != nil:
				if !errors.Is(got.err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", got.err, tt.wantErr)
				}
			default:
				if got.err != nil {
					t.Fatalf("err = %v, want nil", got.err)
				}
			}
			if tt.errHas != "" && !strings.Contains(got.err.Error(), tt.errHas) {
				t.Errorf("err = %q, want it to mention %q", got.err, tt.errHas)
			}
			if !strings.Contains(got.stdout, tt.stdoutHas) {
				t.Errorf("stdout = %q, want it to contain %q", got.stdout, tt.stdoutHas)
			}
			if !strings.Contains(got.stderr, tt.stderrHas) {
				t.Errorf("stderr = %q, want it to contain %q", got.stderr, tt.stderrHas)
			}
		})
	}
}

// contextWithCancel is a child of t.Context() with its cancel function.
func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}
