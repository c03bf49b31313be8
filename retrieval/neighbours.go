package retrieval

import (
	"context"
	"math"
	"sort"

	"fenlei/corpus"
	"fenlei/textin"
)

// The coding index is searched by an in-memory BM25 index of our own rather than a second Bleve index:
// Bleve took 1.7 s and ~300 MB to index the 6,240 entries at start-up (a cold `fenlei ask` went from
// 0.05 s to 2.3 s), where this index builds in tens of milliseconds in a few MB and answers a query in
// tens of microseconds. The passages of the guidance stay in Bleve. Scoring is BM25 (k1 1.2, b 0.75)
// over Terms, with each query term counted as often as it occurs in the query.

const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// Neighbour is one coding-index entry near a query.
type Neighbour struct {
	Entry int     `json:"entry"` // index into the entries the Index was built with
	Code  string  `json:"code"`
	Ref   string  `json:"ref"`
	Score float64 `json:"score"` // BM25, unnormalised
}

type posting struct {
	doc int32
	tf  float32
}

// entryIndex is the coding index's inverted index.
type entryIndex struct {
	entries []corpus.Entry
	authors []string   // per entry
	terms   [][]string // per entry, its Terms
	norm    []float32
	post    map[string][]posting
	idf     map[string]float64
}

func newEntryIndex(entries []corpus.Entry) *entryIndex {
	if len(entries) == 0 {
		return nil
	}
	x := &entryIndex{entries: entries, authors: make([]string, len(entries)), terms: make([][]string, len(entries)),
		norm: make([]float32, len(entries)), post: map[string][]posting{}, idf: map[string]float64{}}
	lens := make([]int, len(entries))
	total := 0
	tf := map[string]float32{}
	for i, e := range entries {
		x.authors[i] = e.Author
		clear(tf)
		n := 0
		termCounts(Normalize(matchForm(e)), func(t string) { tf[t]++; n++ })
		ts := make([]string, 0, len(tf))
		for t, c := range tf {
			x.post[t] = append(x.post[t], posting{doc: int32(i), tf: c})
			ts = append(ts, t)
		}
		sort.Strings(ts)
		x.terms[i] = ts
		lens[i] = n
		total += n
	}
	avg := float64(total) / float64(len(entries))
	for i, n := range lens {
		x.norm[i] = float32(bm25K1 * (1 - bm25B + bm25B*float64(n)/avg))
	}
	N := float64(len(entries))
	for t, ps := range x.post {
		df := float64(len(ps))
		x.idf[t] = math.Log(1 + (N-df+0.5)/(df+0.5))
	}
	return x
}

// matchForm is how an entry is read: like a user's message (textin), traditional characters as simplified.
// Only entries that may hold traditional characters are converted: the conversion is the slow part.
func matchForm(e corpus.Entry) string {
	if e.Lang == "zh-Hant" || e.Lang == "mixed" {
		return textin.Simplify(e.Text)
	}
	return e.Text // entries are reviewed data: Normalize's width fold and lower case are enough
}

// search scores the entries that share a term with the query and returns the best k, leaving out the
// author named in exclude. Equal scores are ordered by entry.
func (x *entryIndex) search(ctx context.Context, qtf map[string]float64, k int, exclude string) ([]Neighbour, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	acc := make([]float64, len(x.entries))
	var touched []int32
	for t, q := range qtf {
		idf := x.idf[t]
		for _, p := range x.post[t] {
			if acc[p.doc] == 0 {
				touched = append(touched, p.doc)
			}
			tf := float64(p.tf)
			acc[p.doc] += q * idf * tf * (bm25K1 + 1) / (tf + float64(x.norm[p.doc]))
		}
	}
	// Keep the best k in a small sorted slice: far fewer comparisons than sorting every touched entry.
	better := func(a, b Neighbour) bool {
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		return a.Entry < b.Entry
	}
	out := make([]Neighbour, 0, k+1)
	for _, d := range touched {
		if exclude != "" && x.authors[d] == exclude {
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
		e := x.entries[out[i].Entry]
		out[i].Code, out[i].Ref = e.Code, e.Ref
	}
	return out, nil
}

// Neighbours returns the k coding-index entries nearest to text (BM25 over Terms), best first. Entries by
// the author named in exclude are left out (leave-one-author-out cross-validation; "" keeps all). It
// returns ErrEmptyQuery for a text with nothing searchable, and nothing without a coding index.
func (x *Index) Neighbours(ctx context.Context, text string, k int, exclude string) ([]Neighbour, error) {
	if x.ent == nil {
		return nil, nil
	}
	clean := Normalize(text)
	if r := []rune(clean); len(r) > MaxQueryRunes {
		clean = string(r[:MaxQueryRunes])
	}
	qtf := map[string]float64{}
	termCounts(clean, func(t string) { qtf[t]++ })
	if len(qtf) == 0 {
		return nil, ErrEmptyQuery
	}
	return x.ent.search(ctx, qtf, k, exclude)
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
	qtf := make(map[string]float64, len(terms))
	for _, t := range terms {
		qtf[t] = 1
	}
	return x.ent.search(ctx, qtf, k, exclude)
}

// EntryTerms returns the Terms of entry i of the coding index (shared: do not modify).
func (x *Index) EntryTerms(i int) []string {
	if x.ent == nil {
		return nil
	}
	return x.ent.terms[i]
}

// Entries returns the coding index the Index was built with.
func (x *Index) Entries() []corpus.Entry { return x.entries }
