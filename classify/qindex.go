package classify

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"fenlei/corpus"
	"fenlei/retrieval"
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
// need and for "not covered". The parameters below were chosen by leave-one-author-out cross-validation
// over the question index (`fenlei eval --cv questions`), never on a test set.
const (
	// qNeighboursK is how many questions vote.
	qNeighboursK = 10
	// qVoteWeight is the share of a passage's score that comes from the votes; the rest is its BM25
	// score against the question, relative to the best passage.
	qVoteWeight = 0.5
	// qKeep keeps the passages that score at least this share of the best one, at most qMaxPrimary.
	qKeep       = 0.5
	qMaxPrimary = 8
	// qOutside: when at least this share of the votes says "not covered", the answer says so.
	qOutside = 0.5
)

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
	ns, err := e.qf.QuestionNeighbours(ctx, text, qNeighboursK, e.qexclude)
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
	return v, nil
}

// scoredRef is a passage with its score for a question.
type scoredRef struct {
	Ref   string
	Score float64
}

// combine scores passages by the votes and by BM25 (each relative to its best), and returns the best
// ones: those within qKeep of the best, at most qMaxPrimary, best first (ties by ref). Without votes, the
// best by BM25 alone.
func combine(v questionVotes, hits []scoredRef) []string {
	if len(v.refs) == 0 {
		return best(hits)
	}
	score := map[string]float64{}
	if len(hits) > 0 && hits[0].Score > 0 {
		for _, h := range hits {
			score[h.Ref] += (1 - qVoteWeight) * h.Score / hits[0].Score
		}
	}
	top := 0.0
	for _, s := range v.refs {
		top = max(top, s)
	}
	for r, s := range v.refs {
		score[r] += qVoteWeight * s / top
	}
	var out []scoredRef
	for r, s := range score {
		out = append(out, scoredRef{r, s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Ref < out[j].Ref
	})
	var refs []string
	for _, s := range out {
		if len(refs) == qMaxPrimary || s.Score < qKeep*out[0].Score {
			break
		}
		refs = append(refs, s.Ref)
	}
	return refs
}
