package main

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fenlei/corpus"
	"fenlei/eval"
)

// casesFile is a small case file of our own: eight classification cases and one guidance question.
const casesFile = "testdata/cases.jsonl"

// evalReport is the part of the eval --json report the tests read.
type evalReport struct {
	Cases               int `json:"cases"`
	ClassificationCases int `json:"classification_cases"`
	QuestionCases       int `json:"question_cases"`
	Accuracy            struct {
		Sub, Middle, Major struct {
			Top1 float64 `json:"top1"`
			Top3 float64 `json:"top3"`
		}
	} `json:"accuracy"`
	Out struct {
		Recall float64 `json:"recall"`
	} `json:"out"`
	Questions struct {
		HitRate float64 `json:"hit_rate"`
	} `json:"questions"`
	ErrorCount int `json:"error_count"`
	Results    []struct {
		Case struct {
			ID string `json:"id"`
		} `json:"case"`
		Right bool `json:"right"`
	} `json:"results"`
}

// runEvalJSON runs eval --json on casesFile and returns the raw report and its decoded figures.
func runEvalJSON(t *testing.T, extra ...string) ([]byte, evalReport, result) {
	t.Helper()
	args := append([]string{"eval", "--cases", casesFile, "--json"}, extra...)
	got := runFenlei(t, invocation{args: args})
	var rep evalReport
	if got.err == nil || errors.Is(got.err, eval.ErrBelowBaseline) {
		if err := json.Unmarshal([]byte(got.stdout), &rep); err != nil {
			t.Fatalf("eval --json output: %v\n%.300s", err, got.stdout)
		}
	}
	return []byte(got.stdout), rep, got
}

func TestEvalJSON(t *testing.T) {
	_, rep, got := runEvalJSON(t)
	if got.err != nil {
		t.Fatalf("eval: %v\nstderr: %s", got.err, got.stderr)
	}
	if rep.Cases != 9 || rep.ClassificationCases != 8 || rep.QuestionCases != 1 {
		t.Errorf("cases = %d (%d classification, %d questions), want 9 (8, 1)", rep.Cases, rep.ClassificationCases, rep.QuestionCases)
	}
	if rep.ErrorCount != 0 {
		t.Errorf("error_count = %d, want 0", rep.ErrorCount)
	}
	if len(rep.Results) != 9 {
		t.Fatalf("%d results, want 9", len(rep.Results))
	}
	for name, v := range map[string]float64{
		"sub top1": rep.Accuracy.Sub.Top1, "sub top3": rep.Accuracy.Sub.Top3,
		"middle top1": rep.Accuracy.Middle.Top1, "major top1": rep.Accuracy.Major.Top1,
		"out recall": rep.Out.Recall, "question hit rate": rep.Questions.HitRate,
	} {
		if v < 0 || v > 1 || math.IsNaN(v) {
			t.Errorf("%s = %v, want in [0,1]", name, v)
		}
	}
	// top-1 is the share of classification results marked right; the question is counted apart.
	right := 0
	for _, r := range rep.Results {
		if r.Right && !strings.HasPrefix(r.Case.ID, "q") {
			right++
		}
	}
	if want := float64(right) / 8; math.Abs(rep.Accuracy.Sub.Top1-want) > 1e-9 {
		t.Errorf("sub top1 = %v, want %v (%d of 8 results right)", rep.Accuracy.Sub.Top1, want, right)
	}
	if rep.Accuracy.Sub.Top1 < 0.5 {
		t.Errorf("sub top1 = %v on easy cases, want at least 0.5", rep.Accuracy.Sub.Top1)
	}
	if rep.Accuracy.Sub.Top3 < rep.Accuracy.Sub.Top1 || rep.Accuracy.Major.Top1 < rep.Accuracy.Sub.Top1 {
		t.Errorf("top3 %v or major top1 %v below sub top1 %v", rep.Accuracy.Sub.Top3, rep.Accuracy.Major.Top1, rep.Accuracy.Sub.Top1)
	}
	if rep.Questions.HitRate != 1 {
		t.Errorf("question hit rate = %v, want 1", rep.Questions.HitRate)
	}
}

func TestEvalText(t *testing.T) {
	got := runFenlei(t, invocation{args: []string{"eval", "--cases", casesFile}})
	if got.err != nil {
		t.Fatal(got.err)
	}
	for _, w := range []string{"9 cases (8 classification, 1 questions)", "sub-class", "OUT recall", "question hit rate"} {
		if !strings.Contains(got.stdout, w) {
			t.Errorf("eval text lacks %q", w)
		}
	}
}

func TestEvalReportHTML(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.html")
	_, _, got := runEvalJSON(t, "--report", out)
	if got.err != nil {
		t.Fatal(got.err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("--report wrote no file: %v", err)
	}
	html := string(b)
	for _, w := range []string{"<html", "<svg", "sub-class"} {
		if !strings.Contains(html, w) {
			t.Errorf("HTML report lacks %q", w)
		}
	}
	t.Run("unwritable path", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "no", "such", "dir", "out.html")
		if got := runFenlei(t, invocation{args: []string{"eval", "--cases", casesFile, "--report", bad}}); got.err == nil {
			t.Errorf("--report %s: err = nil, want an error", bad)
		}
	})
}

func TestEvalBaseline(t *testing.T) {
	_, rep, got := runEvalJSON(t)
	if got.err != nil {
		t.Fatal(got.err)
	}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name     string
		baseline string
		wantErr  bool
		below    bool   // the error wraps eval.ErrBelowBaseline
		errHas   string // substring of the error
	}{
		{name: "reachable", baseline: `{"top1": 0.01, "top3": 0.01, "out_recall": 0.01}`},
		{name: "impossible top1", baseline: `{"top1": 1.0}`,
			// t07 (labour dispatch in other words) is a case the offline engine misses today; if it is
			// fixed, top-1 reaches 1.0 and the baseline is met.
			wantErr: rep.Accuracy.Sub.Top1 < 1, below: true, errHas: "top1"},
		{name: "impossible everything", baseline: `{"top1": 1.01, "top3": 1.01, "out_recall": 1.01}`,
			wantErr: true, below: true, errHas: "top3"},
		{name: "misspelt figure", baseline: `{"top_1": 0.5}`, wantErr: true, errHas: "top_1"},
		{name: "not JSON", baseline: `top1=1`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(strings.ReplaceAll(tt.name, " ", "_")+".json", tt.baseline)
			_, _, got := runEvalJSON(t, "--baseline", p)
			if (got.err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", got.err, tt.wantErr)
			}
			if got.err == nil {
				return
			}
			if errors.Is(got.err, eval.ErrBelowBaseline) != tt.below {
				t.Errorf("err = %v; wraps ErrBelowBaseline = %v, want %v", got.err, !tt.below, tt.below)
			}
			if !strings.Contains(got.err.Error(), tt.errHas) {
				t.Errorf("err = %q, want it to mention %q", got.err, tt.errHas)
			}
			if tt.below && got.stdout == "" {
				t.Errorf("below baseline: the report was not printed before the error")
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		_, _, got := runEvalJSON(t, "--baseline", filepath.Join(dir, "nope.json"))
		if got.err == nil {
			t.Errorf("missing baseline file: err = nil")
		}
	})
}

func TestEvalCompare(t *testing.T) {
	raw, rep, got := runEvalJSON(t)
	if got.err != nil {
		t.Fatal(got.err)
	}
	// The previous report: t01 was wrong then, q01 did not exist, and a case "gone" has since been removed.
	var prev map[string]any
	if err := json.Unmarshal(raw, &prev); err != nil {
		t.Fatal(err)
	}
	results := prev["results"].([]any)
	var kept []any
	for _, r := range results {
		m := r.(map[string]any)
		switch m["case"].(map[string]any)["id"] {
		case "t01":
			if m["right"] != true {
				t.Fatalf("t01 is wrong in the current report; the test needs it right")
			}
			m["right"] = false
		case "q01":
			continue
		}
		kept = append(kept, m)
	}
	gone := map[string]any{"case": map[string]any{"id": "gone", "text": "x", "expected": "I11"}, "right": true}
	prev["results"] = append(kept, gone)
	b, err := json.Marshal(prev)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "prev.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}

	_, rep2, got := runEvalJSON(t, "--compare", p)
	if got.err != nil {
		t.Fatalf("--compare: %v\nstderr: %s", got.err, got.stderr)
	}
	if rep2.Accuracy.Sub.Top1 != rep.Accuracy.Sub.Top1 {
		t.Errorf("--compare changed the report: top1 %v, was %v", rep2.Accuracy.Sub.Top1, rep.Accuracy.Sub.Top1)
	}
	for _, w := range []string{"top1", "fixed (1): t01", "broke (0): none", "added (1): q01", "removed (1): gone"} {
		if !strings.Contains(got.stderr, w) {
			t.Errorf("compare output (stderr) lacks %q:\n%s", w, got.stderr)
		}
	}

	t.Run("bad previous report", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(bad, []byte("{not json"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, got := runEvalJSON(t, "--compare", bad); got.err == nil {
			t.Errorf("--compare with a broken report: err = nil")
		}
	})
}

func TestEvalBadCases(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, file string
		errHas     string
	}{
		{name: "missing file", file: filepath.Join(dir, "none.jsonl"), errHas: "none.jsonl"},
		{name: "unknown extension", file: write("cases.txt", `{"id":"a","text":"x","expected":"I11"}`), errHas: "extension"},
		{name: "bad JSON line", file: write("bad.jsonl", "{\"id\":\"a\",\"text\":\"x\",\"expected\":\"I11\"}\n{oops\n"), errHas: "bad.jsonl:2"},
		{name: "duplicate ids", file: write("dup.jsonl", "{\"id\":\"a\",\"text\":\"软件开发\",\"expected\":\"I11\"}\n{\"id\":\"a\",\"text\":\"软件测试\",\"expected\":\"I13\"}\n"), errHas: "dup.jsonl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runFenlei(t, invocation{args: []string{"eval", "--cases", tt.file}})
			if got.err == nil || errors.Is(got.err, errUsage) {
				t.Fatalf("err = %v, want a case-file error", got.err)
			}
			if !strings.Contains(got.err.Error(), tt.errHas) {
				t.Errorf("err = %q, want it to mention %q", got.err, tt.errHas)
			}
		})
	}
}

// --cv takes the two schemes and says so for any other.
func TestEvalCVScheme(t *testing.T) {
	got := runFenlei(t, invocation{args: []string{"eval", "--cv", "random"}})
	if got.err == nil || !strings.Contains(got.err.Error(), `"author" and "questions"`) {
		t.Errorf("eval --cv random: err = %v, want the two schemes named", got.err)
	}
}

// A question of the question index becomes a case scored by its needs, tagged for the report.
func TestQuestionCase(t *testing.T) {
	q := corpus.Question{Text: "注册要交哪些材料？", Needs: []string{"platform.material.1"}, Lang: "zh", Kind: corpus.QPlatform, Author: "qa", Line: 7}
	c := questionCase(q)
	if c.ID != "qa:7" || !c.IsQuestion() || c.QKind != corpus.QPlatform || len(c.Needs) != 1 || c.Author != "qa" {
		t.Errorf("questionCase = %+v", c)
	}
	for _, tag := range []string{"kind:platform", "lang:zh", "author:qa"} {
		if !slices.Contains(c.Tags, tag) {
			t.Errorf("tags %v, want %s", c.Tags, tag)
		}
	}
}
