package classify

import (
	"math"
	"slices"
	"strings"
	"sync"

	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/retrieval"
)

// ---- matching helpers ---------------------------------------------------------------------------

// stopGrams are bigrams too common in the guidance to show that a clause matches.
var stopGrams = voc.set("stop_grams")

// bigrams returns the CJK bigrams and Latin words of s.
func bigrams(s string) map[string]bool {
	out := map[string]bool{}
	var run []rune
	flush := func() {
		for i := 0; i+1 < len(run); i++ {
			out[string(run[i:i+2])] = true
		}
		run = run[:0]
	}
	for _, w := range strings.Fields(latinOnly(s)) {
		out[w] = true
	}
	for _, r := range s {
		if r >= 0x3400 && r <= 0x9FFF {
			run = append(run, r)
			continue
		}
		flush()
	}
	flush()
	return out
}

func latinOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return r
		}
		return ' '
	}, strings.ToLower(s))
}

// gramCache holds the bigrams of texts of the guidance (clauses, their items and subjects, titles,
// class names): a fixed and small set, read on every classification.
var gramCache sync.Map // string → map[string]bool

// clauseGrams is bigrams for a text of the guidance, computed once (shared: do not modify). Only texts
// derived from the guidance may be passed, so that the cache stays bounded.
func clauseGrams(text string) map[string]bool {
	if g, ok := gramCache.Load(text); ok {
		return g.(map[string]bool)
	}
	g := bigrams(text)
	gramCache.Store(text, g)
	return g
}

// coverage is the share of a clause's content bigrams that occur in the description, and their count.
func (s *state) coverage(clause string) (float64, int) {
	gs := clauseGrams(clause)
	total, hit := 0, 0
	for g := range gs {
		if stopGrams[g] || len([]rune(g)) < 2 {
			continue
		}
		total++
		if s.grams[g] {
			hit++
		}
	}
	if total == 0 {
		return 0, 0
	}
	return float64(hit) / float64(total), hit
}

// calibrate maps the retrieval's evidence (the margin between the two best categories and the strength of
// the best) to a probability of being right: a logistic model fitted by maximum likelihood on the offline
// answers (OUT aside) of both case sets (eval/testdata/cases.jsonl and shadow.jsonl; `go test ./eval -run
// TestDevSetGate -v` reports the resulting ECE and the coverage–accuracy curve).
func calibrate(cats []retrieval.Category) float64 {
	if len(cats) == 0 {
		return 0
	}
	margin := 1.0
	if len(cats) > 1 {
		margin = 1 - cats[1].Score
	}
	strength := math.Min(cats[0].Raw/20, 1)
	z := calA + calB*margin + calC*strength
	return 1 / (1 + math.Exp(-z))
}

// Calibration parameters (see calibrate).
var calA, calB, calC = -0.40, 3.01, 3.97

// refList collects passage refs in order, each once, keeping only refs of the guidance.
type refList struct {
	g    *corpus.Guidance
	refs []string
}

func (l *refList) add(ref string) {
	if _, ok := l.g.Passage(ref); !ok || slices.Contains(l.refs, ref) {
		return
	}
	l.refs = append(l.refs, ref)
}

// citations quotes the passages of refs, verbatim, with their places, each once; an exclusion is followed
// by its restatements.
func citations(g *corpus.Guidance, refs []string) []decision.Citation {
	out := make([]decision.Citation, 0, len(refs))
	seen := map[string]bool{}
	add := func(r string) {
		if p, ok := g.Passage(r); ok && !seen[r] {
			seen[r] = true
			out = append(out, decision.Citation{Ref: p.Ref, Section: p.Section, Quote: p.Text, Line: p.Line})
		}
	}
	for _, r := range refs {
		add(r)
		// An exclusion the guidance states twice is quoted in both places (corpus.Restatements).
		for _, again := range g.Restatements(r) {
			add(again)
		}
	}
	return out
}

// sendsTo reports whether a redirect target covers code: the code itself, or its major class
// ("应纳入 I 信息技术外包" covers every I code).
func sendsTo(target, code string) bool {
	if target == code {
		return true
	}
	c, ok := majorCode[target]
	return ok && strings.HasPrefix(code, c)
}

var majorCode = map[string]string{"ITO": "I", "BPO": "B", "KPO": "K"}
