package classify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"fenlei/corpus"
	"fenlei/retrieval"
	"fenlei/score"
)

// QuestionFinder finds the questions of the question index nearest to a text; *retrieval.Index
// satisfies it.
type QuestionFinder interface {
	QuestionNeighbours(ctx context.Context, text string, k int, exclude string) ([]retrieval.Neighbour, error)
	Questions() []corpus.Question
}

var _ QuestionFinder = (*retrieval.Index)(nil)

// The question index answers by association, the way the coding index classifies: the questions nearest
// to the asked one vote, each by its similarity relative to the nearest, for the passages their answers
// need, for their kinds and for "not covered". qParams were chosen by leave-one-author-out
// cross-validation over the question index (`fenlei eval --cv questions`), never on a test set; each
// value was compared with its neighbours (k 5, 7, 10; keep 0.4, 0.5, 0.6; outside 0.3 … 0.5 …) and none of
// them moved the hit rate by more than a few questions of 1,152.
type qParams struct {
	k int // how many questions vote
	// voteWeight is the share of a passage's score that comes from the votes; the rest is its BM25
	// score against the question, relative to the best passage.
	voteWeight float64
	// keep keeps the passages that score at least this share of the best one, at most maxPrimary.
	keep       float64
	maxPrimary int
	// outside: when at least this share of the votes says "not covered", the answer says so.
	outside float64
	// classVotes: a question about named classes also cites the passages with at least this share of
	// the votes (above 1: none).
	classVotes float64
	// classGate: a question that names classes is answered about them only when at least this share of
	// the votes comes from questions about classes (kinds class and difference).
	classGate float64
	// kindWeight is the share of the kind model's probabilities in the kinds (and "not covered"); the
	// rest is the votes'.
	kindWeight float64
	// classHits: a question about named classes also cites their typical businesses and exclusions that
	// BM25 ranks within this share of the best of them, at most three (above 1: none).
	classHits float64
}

var defaultQParams = qParams{k: 7, voteWeight: 0.5, keep: 0.4, maxPrimary: 8, outside: 0.35, classVotes: 0.2,
	classGate: 0.35, kindWeight: 0.5, classHits: 0.7}

// questionVotes is what the nearest questions of the question index say about a question.
type questionVotes struct {
	refs    map[string]float64 // per passage: the share of the votes whose answers need it
	kinds   map[string]float64 // per question kind: its share of the votes
	outside float64            // the share of the votes for "the guidance does not cover this"
}

// votes asks the question index about text; without one (or with nothing searchable) it says nothing.
func (e *Engine) votes(ctx context.Context, text string) (questionVotes, error) {
	v := questionVotes{refs: map[string]float64{}, kinds: map[string]float64{}}
	if e.qf == nil {
		return v, nil
	}
	ns, err := e.qf.QuestionNeighbours(ctx, text, e.qp.k, e.qexclude)
	if err != nil && !errors.Is(err, retrieval.ErrEmptyQuery) {
		return v, fmt.Errorf("classify: %w", err)
	}
	if len(ns) == 0 || ns[0].Score <= 0 {
		return v, nil
	}
	qs := e.qf.Questions()
	total := 0.0
	for _, n := range ns {
		w := n.Score / ns[0].Score
		q := qs[n.Entry]
		total += w
		v.kinds[q.Kind] += w
		if q.Kind == corpus.QOutside {
			v.outside += w
		}
		for _, r := range q.Needs {
			v.refs[r] += w
		}
	}
	for r := range v.refs {
		v.refs[r] /= total
	}
	for k := range v.kinds {
		v.kinds[k] /= total
	}
	v.outside /= total
	if e.qkind != nil && e.qp.kindWeight > 0 {
		p := routeProbs(e.qkind, text)
		for k := range v.kinds {
			v.kinds[k] *= 1 - e.qp.kindWeight
		}
		v.outside *= 1 - e.qp.kindWeight
		for i, l := range e.qkind.Labels {
			v.kinds[l] += e.qp.kindWeight * p[i]
			if l == corpus.QOutside {
				v.outside += e.qp.kindWeight * p[i]
			}
		}
	}
	return v, nil
}

// newKindModel fits the question kinds (corpus.QuestionKinds) on the question index, leaving out the
// author named in exclude: a logistic regression over the router's features, so that the words that make a
// question one the guidance does not answer ("多久", "fee", "税率") weigh whatever the topic.
func newKindModel(qs []corpus.Question, exclude string) (*score.TextWire, error) {
	var docs []score.TextDoc
	for _, q := range qs {
		if q.Author != exclude {
			docs = append(docs, score.TextDoc{Features: routeFeatures(q.Text), Label: q.Kind})
		}
	}
	if len(docs) == 0 {
		return nil, nil
	}
	m, err := score.FitText(docs, score.TextOptions{})
	if err != nil {
		return nil, fmt.Errorf("classify: question kinds: %w", err)
	}
	w := m.Compact(pruneBelow).Wire()
	return &w, nil
}

// scoredRef is a passage with its score for a question.
type scoredRef struct {
	Ref   string
	Score float64
}

// combine scores passages by the votes and by BM25 (each relative to its best), and returns the best
// ones: those within keep of the best, at most maxPrimary, best first (ties by ref). Without votes, the
// best by BM25 alone.
func (p qParams) combine(v questionVotes, hits []scoredRef) []string {
	if len(v.refs) == 0 {
		return best(hits)
	}
	score := map[string]float64{}
	if len(hits) > 0 && hits[0].Score > 0 {
		for _, h := range hits {
			score[h.Ref] += (1 - p.voteWeight) * h.Score / hits[0].Score
		}
	}
	top := 0.0
	for _, s := range v.refs {
		top = max(top, s)
	}
	for r, s := range v.refs {
		score[r] += p.voteWeight * s / top
	}
	out := ranked(score, 0)
	var refs []string
	for _, s := range out {
		if len(refs) == p.maxPrimary || s.Score < p.keep*out[0].Score {
			break
		}
		refs = append(refs, s.Ref)
	}
	return refs
}

// withVotes adds to refs the passages with at least classVotes of the votes, best first.
func (p qParams) withVotes(g *corpus.Guidance, refs []string, v questionVotes) []string {
	l := &refList{g: g}
	for _, r := range refs {
		l.add(r)
	}
	for _, a := range ranked(v.refs, p.classVotes) {
		l.add(a.Ref)
	}
	return l.refs
}

// ranked returns the passages scored at least min, best first (ties by ref).
func ranked(scores map[string]float64, min float64) []scoredRef {
	var out []scoredRef
	for r, s := range scores {
		if s >= min {
			out = append(out, scoredRef{r, s})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Ref < out[j].Ref
	})
	return out
}

// classHits are the typical businesses and exclusions of classes that hits rank within classHits of the
// best of them, at most three: the item a question about a class asks for ("清算服务指什么？").
func (e *Engine) classHits(hits []scoredRef, classes []string) []string {
	var out []string
	top := 0.0
	for _, h := range hits {
		p, _ := e.g.Passage(h.Ref)
		if !slices.Contains(classes, p.Code) || (p.Kind != corpus.KindTypical && p.Kind != corpus.KindExclude) {
			continue
		}
		if top == 0 {
			top = h.Score
		}
		if len(out) == 3 || h.Score < e.qp.classHits*top {
			break
		}
		out = append(out, h.Ref)
	}
	return out
}
