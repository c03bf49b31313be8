package retrieval

import (
	"context"

	"fenlei/corpus"
)

// The question index (labelled wordings of questions about the guidance, each with the passages its
// answer needs) is searched like the coding index: BM25 over Terms, in memory. It is built on first use
// (some 30 ms, most of it reading traditional characters as simplified): a cold run that classifies a
// description never needs it.

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
// ErrEmptyQuery for a text with nothing searchable, and nothing without a question index.
func (x *Index) QuestionNeighbours(ctx context.Context, text string, k int, exclude string) ([]Neighbour, error) {
	x.qonce.Do(func() { x.qix = newQuestionIndex(x.qs) })
	return x.qix.near(ctx, text, k, exclude)
}

// Questions returns the question index the Index was built with.
func (x *Index) Questions() []corpus.Question { return x.qs }
