package retrieval

import (
	"context"
	"fmt"

	"fenlei/corpus"
)

// The question index (labelled wordings of questions about the guidance, each with the passages its
// answer needs) is searched like the coding index: BM25 over Terms, in memory. It is loaded and built on
// first use (some 40 ms: reading 1,200 JSON lines, and traditional characters as simplified), so that a
// cold run that classifies a description never pays for it.

// questions loads and indexes the question index once.
func (x *Index) questions() ([]corpus.Question, *entryIndex, error) {
	x.qonce.Do(func() {
		if x.opts.Questions == nil {
			return
		}
		qs, err := x.opts.Questions()
		if err != nil {
			x.qerr = fmt.Errorf("retrieval: the question index: %w", err)
			return
		}
		x.qs, x.qix = qs, newQuestionIndex(qs)
	})
	return x.qs, x.qix, x.qerr
}

// newQuestionIndex indexes the questions' texts; nil without questions.
func newQuestionIndex(qs []corpus.Question) *entryIndex {
	es := make([]corpus.Entry, len(qs))
	for i, q := range qs {
		es[i] = corpus.Entry{Text: q.Text, Lang: q.Lang, Author: q.Author}
	}
	return newEntryIndex(es)
}

// QuestionNeighbours returns the k questions of the question index nearest to text (BM25 over Terms),
// best first; a Neighbour's Entry indexes Questions, its Code and Ref are empty. Questions by the author
// named in exclude are left out (leave-one-author-out cross-validation; "" keeps all). It returns
// ErrEmptyQuery for a text with nothing searchable, nothing without a question index, and the error of
// loading it.
func (x *Index) QuestionNeighbours(ctx context.Context, text string, k int, exclude string) ([]Neighbour, error) {
	_, qix, err := x.questions()
	if err != nil {
		return nil, err
	}
	return qix.near(ctx, text, k, exclude)
}

// Questions returns the question index (loading it on first use; nil if that failed, which
// QuestionNeighbours reports).
func (x *Index) Questions() []corpus.Question {
	qs, _, _ := x.questions()
	return qs
}
