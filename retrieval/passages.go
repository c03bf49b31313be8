package retrieval

import (
	"cmp"
	"slices"
	"sort"
	"sync"
)

// passageIndex ranks the guidance's passages for the category ranking of Search, with BM25 (bm25) in
// three fields, each a bm25 of its own over the passages in corpus order:
//   - text: the passage, read as Terms (CJK bigrams, Latin words);
//   - title: its title (a definition's carries its class's name), read the same way, weight boostTitle;
//   - en: a definition's English class name and aliases, read by Bleve's English analyser, weight boostEN.
//
// A query is a disjunction of clauses, scored the way Bleve scores a disjunction of match queries: the
// text in the text and title fields, its Latin words in en, and each lexicon expansion in text and title
// (weight boostExpanded). A clause's score is the sum of its terms' BM25 (a term counted as often as it
// occurs) times the share of its terms the passage matches; the query's is the sum of its clauses' times
// the share of clauses the passage matches. The coordination factors favour passages that match much of
// the query over those that match one rare word.
//
// It replaces a Bleve query on the classifier's path: over the same passages Bleve took about 1.2 ms a
// description (BenchmarkClassify, main at d024211) where this takes tens of microseconds. Bleve keeps
// the full-text search of questions (Index.Passages).
type passageIndex struct {
	text, title, en *bm25
	n               int
	arrays          sync.Pool // *passageArrays of n, reused by queries
}

// passageArrays are one query's accumulators, zero between queries.
type passageArrays struct {
	score, matched, sum, occ []float64
	touched, reached         []int32 // reached: one clause's documents, reused
}

func (x *passageIndex) initArrays() {
	n := x.n
	x.arrays.New = func() any {
		return &passageArrays{score: make([]float64, n), matched: make([]float64, n), sum: make([]float64, n), occ: make([]float64, n)}
	}
}

func newPassageIndex(docs []doc, english func(string, func(string))) *passageIndex {
	x := &passageIndex{
		n:     len(docs),
		text:  newBM25(len(docs), func(i int, add func(string)) { termCounts(Normalize(docs[i].Text), add) }),
		title: newBM25(len(docs), func(i int, add func(string)) { termCounts(Normalize(docs[i].Title), add) }),
		en:    newBM25(len(docs), func(i int, add func(string)) { english(docs[i].EN, add) }),
	}
	x.initArrays()
	return x
}

// clause is one match query: its terms with their occurrences, in a field, with a weight.
type clause struct {
	idx   *bm25
	terms map[string]float64
	total float64 // occurrences of all terms
	boost float64
}

func newClause(idx *bm25, boost float64, analyse func(add func(string))) (clause, bool) {
	c := clause{idx: idx, terms: map[string]float64{}, boost: boost}
	analyse(func(t string) { c.terms[t]++; c.total++ })
	return c, c.total > 0
}

type passageHit struct {
	doc   int
	score float64
}

// search returns the best n passages for a normalised query and its lexicon expansions, best first,
// scores rounded to 9 decimals, equal scores in corpus order.
func (x *passageIndex) search(clean string, expanded []string, english func(string, func(string)), n int) []passageHit {
	var cs []clause
	add := func(c clause, ok bool) {
		if ok {
			cs = append(cs, c)
		}
	}
	zh := func(s string) func(func(string)) { return func(a func(string)) { termCounts(s, a) } }
	add(newClause(x.text, 1, zh(clean)))
	add(newClause(x.title, boostTitle, zh(clean)))
	if l := latinPart(clean); l != "" {
		add(newClause(x.en, boostEN, func(a func(string)) { english(l, a) }))
	}
	for _, e := range expanded {
		add(newClause(x.text, boostExpanded, zh(Normalize(e))))
		add(newClause(x.title, boostExpanded*boostTitle, zh(Normalize(e))))
	}
	a := x.arrays.Get().(*passageArrays)
	defer x.arrays.Put(a)
	score, matched := a.score, a.matched // per passage: its score, the clauses it matched
	sum, occ := a.sum, a.occ             // per passage, for one clause: its BM25 sum, its terms matched
	touched := a.touched[:0]
	defer func() {
		for _, d := range touched {
			score[d], matched[d] = 0, 0 // the pool keeps the arrays zeroed
		}
		a.touched = touched[:0]
	}()
	reached := a.reached
	defer func() { a.reached = reached[:0] }()
	for _, c := range cs {
		reached = reached[:0]
		for _, t := range sortedKeys(c.terms) {
			q := c.terms[t]
			docs := c.idx.postings(t)
			reached = c.idx.accumulate(t, q, sum, reached)
			for _, d := range docs {
				occ[d] += q
			}
		}
		for _, d := range reached {
			if score[d] == 0 && matched[d] == 0 {
				touched = append(touched, d)
			}
			score[d] += c.boost * sum[d] * occ[d] / c.total
			matched[d]++
			sum[d], occ[d] = 0, 0
		}
	}
	hits := make([]passageHit, 0, len(touched))
	for _, d := range touched {
		if s := round9(score[d] * matched[d] / float64(len(cs))); s > 0 {
			hits = append(hits, passageHit{doc: int(d), score: s})
		}
	}
	slices.SortFunc(hits, func(a, b passageHit) int {
		if a.score != b.score {
			return cmp.Compare(b.score, a.score)
		}
		return a.doc - b.doc
	})
	if len(hits) > n {
		hits = hits[:n]
	}
	return hits
}

func sortedKeys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
