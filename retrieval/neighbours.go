package retrieval

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"fenlei/corpus"
	"fenlei/textin"
)

// The coding index is searched by a BM25 index of our own (bm25) rather than a second Bleve index:
// Bleve took 1.7 s and ~300 MB to index the 6,240 entries at start-up, where this index is decoded
// from its compiled form (index.gob, written by `fenlei train`) in a few milliseconds and answers
// a query in tens of microseconds. Scoring is BM25 over Terms, each query term counted as often as it
// occurs in the query. Entries are read in their match form (textin.MatchForm), as a user's message is.

// Neighbour is one coding-index entry near a query.
type Neighbour struct {
	Entry int     `json:"entry"` // index into the coding index
	Code  string  `json:"code"`
	Ref   string  `json:"ref"`
	Score float64 `json:"score"` // BM25, unnormalised
}

// EntryLabel is what the index keeps of an entry: its code, the ref that decides it and its author.
type EntryLabel struct {
	Code, Ref, Author string
}

// entryIndex is the coding index's inverted index with each entry's label.
type entryIndex struct {
	*bm25
	labels  []EntryLabel
	entries []corpus.Entry // the entries' full records when built from them; nil when decoded
	scratch sync.Pool      // *scratch sized for the index: a query's accumulators, reused
}

// scratch is one query's accumulators: a score per entry (zero between queries) and the entries reached.
type scratch struct {
	acc, acc2         []float64 // acc2: the second query of searchTwo
	touched, touched2 []int32
}

func (x *entryIndex) initScratch() {
	n := len(x.labels)
	x.scratch.New = func() any { return &scratch{acc: make([]float64, n), acc2: make([]float64, n)} }
}

func newEntryIndex(entries []corpus.Entry) *entryIndex {
	if len(entries) == 0 {
		return nil
	}
	x := &entryIndex{entries: entries, labels: make([]EntryLabel, len(entries))}
	for i, e := range entries {
		x.labels[i] = EntryLabel{Code: e.Code, Ref: e.Ref, Author: e.Author}
	}
	x.bm25 = newBM25(len(entries), func(i int, add func(string)) {
		termCounts(Normalize(textin.MatchForm(entries[i].Text)), add)
	})
	x.initScratch()
	return x
}

// entryWire is the compiled coding index: the BM25 index and each entry's label, as indexes into
// string tables.
type entryWire struct {
	Index              wire
	Codes, Refs, Names []string
	Code, Ref, Author  []int32 // per entry
}

func (x *entryIndex) toWire() entryWire {
	w := entryWire{Index: x.wire()}
	at := func(tab *[]string, s string) int32 {
		i, ok := slices.BinarySearch(*tab, s)
		if !ok {
			panic("retrieval: label table incomplete")
		}
		return int32(i)
	}
	for _, l := range x.labels {
		w.Codes, w.Refs, w.Names = append(w.Codes, l.Code), append(w.Refs, l.Ref), append(w.Names, l.Author)
	}
	for _, tab := range []*[]string{&w.Codes, &w.Refs, &w.Names} {
		slices.Sort(*tab)
		*tab = slices.Compact(*tab)
	}
	for _, l := range x.labels {
		w.Code = append(w.Code, at(&w.Codes, l.Code))
		w.Ref = append(w.Ref, at(&w.Refs, l.Ref))
		w.Author = append(w.Author, at(&w.Names, l.Author))
	}
	return w
}

func (w *entryWire) index() (*entryIndex, error) {
	b, err := w.Index.index()
	if err != nil {
		return nil, err
	}
	n := len(b.dlen)
	if len(w.Code) != n || len(w.Ref) != n || len(w.Author) != n {
		return nil, fmt.Errorf("retrieval: malformed coding index: %d entries, %d/%d/%d labels", n, len(w.Code), len(w.Ref), len(w.Author))
	}
	x := &entryIndex{bm25: b, labels: make([]EntryLabel, n)}
	for i := range n {
		c, r, a := w.Code[i], w.Ref[i], w.Author[i]
		if c < 0 || int(c) >= len(w.Codes) || r < 0 || int(r) >= len(w.Refs) || a < 0 || int(a) >= len(w.Names) {
			return nil, fmt.Errorf("retrieval: malformed coding index: entry %d's label is out of range", i)
		}
		x.labels[i] = EntryLabel{Code: w.Codes[c], Ref: w.Refs[r], Author: w.Names[a]}
	}
	x.initScratch()
	return x, nil
}

// search scores the entries that share a term with the query and returns the best k, leaving out the
// author named in exclude. Query terms are visited in sorted order, so that the sums, and so the
// scores, are the same from run to run; equal scores are ordered by entry.
func (x *entryIndex) search(ctx context.Context, qtf map[string]float64, k int, exclude string) ([]Neighbour, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ts := sortedKeys(qtf)
	sc := x.scratch.Get().(*scratch)
	defer x.scratch.Put(sc)
	acc := sc.acc
	touched := sc.touched[:0]
	defer func() {
		for _, d := range touched {
			acc[d] = 0 // the pool keeps acc zeroed
		}
		sc.touched = touched[:0]
	}()
	for _, t := range ts {
		touched = x.accumulate(t, qtf[t], acc, touched)
	}
	return x.best(acc, touched, k, exclude), nil
}

// best returns the k best of the touched entries by their scores in acc, leaving out the author named in
// exclude: best first, equal scores by entry.
func (x *entryIndex) best(acc []float64, touched []int32, k int, exclude string) []Neighbour {
	// Keep the best k in a small sorted slice: far fewer comparisons than sorting every touched entry.
	better := func(a, b Neighbour) bool {
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		return a.Entry < b.Entry
	}
	out := make([]Neighbour, 0, k+1)
	for _, d := range touched {
		if exclude != "" && x.labels[d].Author == exclude {
			continue
		}
		n := Neighbour{Entry: int(d), Score: round9(acc[d])}
		if len(out) == k && !better(n, out[k-1]) {
			continue
		}
		at := sort.Search(len(out), func(i int) bool { return better(n, out[i]) })
		out = append(out, Neighbour{})
		copy(out[at+1:], out[at:])
		out[at] = n
		if len(out) > k {
			out = out[:k]
		}
	}
	for i := range out {
		l := x.labels[out[i].Entry]
		out[i].Code, out[i].Ref = l.Code, l.Ref
	}
	return out
}

// searchTwo is search for two queries at once, each term's postings read once: the scores of each are
// search's to the last bit (the same terms in the same order, the same arithmetic).
func (x *entryIndex) searchTwo(ctx context.Context, q1, q2 map[string]float64, k int, exclude string) ([]Neighbour, []Neighbour, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	ts := make([]string, 0, len(q1)+len(q2))
	for t := range q1 {
		ts = append(ts, t)
	}
	for t := range q2 {
		if _, ok := q1[t]; !ok {
			ts = append(ts, t)
		}
	}
	sort.Strings(ts)
	sc := x.scratch.Get().(*scratch)
	defer x.scratch.Put(sc)
	acc1, acc2 := sc.acc, sc.acc2
	t1, t2 := sc.touched[:0], sc.touched2[:0]
	defer func() {
		for _, d := range t1 {
			acc1[d] = 0
		}
		for _, d := range t2 {
			acc2[d] = 0
		}
		sc.touched, sc.touched2 = t1[:0], t2[:0]
	}()
	for _, t := range ts {
		w1, in1 := q1[t]
		w2, in2 := q2[t]
		switch {
		case in1 && in2:
			t1, t2 = x.accumulateTwo(t, w1, w2, acc1, acc2, t1, t2)
		case in1:
			t1 = x.accumulate(t, w1, acc1, t1)
		default:
			t2 = x.accumulate(t, w2, acc2, t2)
		}
	}
	return x.best(acc1, t1, k, exclude), x.best(acc2, t2, k, exclude), nil
}

// Neighbours returns the k coding-index entries nearest to text (BM25 over Terms), best first. Entries by
// the author named in exclude are left out (leave-one-author-out cross-validation; "" keeps all). It
// returns ErrEmptyQuery for a text with nothing searchable, and nothing without a coding index.
func (x *Index) Neighbours(ctx context.Context, text string, k int, exclude string) ([]Neighbour, error) {
	return x.ent.near(ctx, text, k, exclude)
}

// near is Neighbours over any entry index; nil has no entries.
func (x *entryIndex) near(ctx context.Context, text string, k int, exclude string) ([]Neighbour, error) {
	if x == nil {
		return nil, nil
	}
	qtf := textQuery(text)
	if len(qtf) == 0 {
		return nil, ErrEmptyQuery
	}
	return x.search(ctx, qtf, k, exclude)
}

// textQuery is Neighbours' query for text: its terms (of at most MaxQueryRunes) with their counts.
func textQuery(text string) map[string]float64 {
	clean := Normalize(text)
	if r := []rune(clean); len(r) > MaxQueryRunes {
		clean = string(r[:MaxQueryRunes])
	}
	q := map[string]float64{}
	termCounts(clean, func(t string) { q[t]++ })
	return q
}

// termsQuery is NeighboursOf's query: each of terms once.
func termsQuery(terms []string) map[string]float64 {
	q := make(map[string]float64, len(terms))
	for _, t := range terms {
		q[t] = 1
	}
	return q
}

// NeighboursOf is Neighbours for a query given as Terms, each counted once. The caller chooses the terms
// (for example only those that say something about a service), so that boilerplate shared by many
// entries does not decide who is near.
func (x *Index) NeighboursOf(ctx context.Context, terms []string, k int, exclude string) ([]Neighbour, error) {
	if x.ent == nil {
		return nil, nil
	}
	if len(terms) == 0 {
		return nil, ErrEmptyQuery
	}
	return x.ent.search(ctx, termsQuery(terms), k, exclude)
}

// NeighboursOfAndNear is NeighboursOf(terms) and Neighbours(text) in one pass over the coding index,
// each with its own results and errors (ErrEmptyQuery for a query with nothing to search).
func (x *Index) NeighboursOfAndNear(ctx context.Context, terms []string, text string, k int, exclude string) (of, near []Neighbour, errOf, errNear error) {
	if x.ent == nil {
		return nil, nil, nil, nil
	}
	q1, q2 := termsQuery(terms), textQuery(text)
	switch {
	case len(q1) == 0 && len(q2) == 0:
		return nil, nil, ErrEmptyQuery, ErrEmptyQuery
	case len(q1) == 0:
		near, errNear = x.ent.search(ctx, q2, k, exclude)
		return nil, near, ErrEmptyQuery, errNear
	case len(q2) == 0:
		of, errOf = x.ent.search(ctx, q1, k, exclude)
		return of, nil, errOf, ErrEmptyQuery
	}
	of, near, err := x.ent.searchTwo(ctx, q1, q2, k, exclude)
	return of, near, err, err
}

// EntryCount is the number of coding-index entries (0 without a coding index).
func (x *Index) EntryCount() int {
	if x.ent == nil {
		return 0
	}
	return len(x.ent.labels)
}

// Entry returns the label of entry i of the coding index (0 ≤ i < EntryCount).
func (x *Index) Entry(i int) EntryLabel { return x.ent.labels[i] }

// EntryTerms calls f for every term of the coding index, in sorted order, with the entries that use it
// (ascending, shared: do not modify). Term statistics such as naive-Bayes counts are read from here.
func (x *Index) EntryTerms(f func(term string, entries []int32)) {
	if x.ent == nil {
		return
	}
	for i := range x.ent.terms() {
		f(x.ent.term(i), x.ent.doc[x.ent.off[i]:x.ent.off[i+1]])
	}
}

// EntryTermID returns the position of term in EntryTerms' order (0 ≤ id < the number of terms EntryTerms
// visits), or -1 for a term no entry uses: a dense key for per-term caches.
func (x *Index) EntryTermID(term string) int {
	if x.ent == nil {
		return -1
	}
	if i, ok := x.ent.id(term); ok {
		return i
	}
	return -1
}

// EntryPostings returns the entries that use term (ascending, shared: do not modify); nil for a term no
// entry uses.
func (x *Index) EntryPostings(term string) []int32 {
	if x.ent == nil {
		return nil
	}
	return x.ent.postings(term)
}

// Entries returns the coding index's full entries (text, lang, register, line) when the Index was built
// from them (Options.Entries), nil when it was decoded from the compiled form: training and
// cross-validation read texts, serving does not.
func (x *Index) Entries() []corpus.Entry {
	if x.ent == nil {
		return nil
	}
	return x.ent.entries
}
