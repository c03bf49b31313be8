package retrieval

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"fenlei/corpus"
	"fenlei/textin"
)

// kindEntry is the kind of a coding-index document: the second document type, beside the passages of the
// guidance. Entries live in their own Bleve index (same mapping and analysis), so that the guidance's BM25
// statistics stay the guidance's and passage retrieval is the same with or without a coding index.
const kindEntry = "entry"

// entryIndex builds the in-memory index of the coding index; nil for no entries.
func entryIndex(im *mapping.IndexMappingImpl, entries []corpus.Entry) (bleve.Index, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	idx, err := bleve.NewUsing("", im, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, err
	}
	b := idx.NewBatch()
	if err := indexEntries(b, entries); err != nil {
		return nil, err
	}
	if err := idx.Batch(b); err != nil {
		return nil, err
	}
	return idx, nil
}

// Neighbour is one coding-index entry near a query.
type Neighbour struct {
	Entry int     `json:"entry"` // index into the entries the Index was built with
	Code  string  `json:"code"`
	Ref   string  `json:"ref"`
	Score float64 `json:"score"` // BM25, unnormalised
}

// indexEntries adds the coding index to the batch as documents of kind "entry".
func indexEntries(b *bleve.Batch, entries []corpus.Entry) error {
	for i, e := range entries {
		text := textin.MatchForm(e.Text) // traditional entries read as simplified, like users' messages
		d := doc{Text: text, EN: latinPart(Normalize(text)), Kind: kindEntry, Code: e.Code, Author: e.Author}
		if err := b.Index(entryID(i), d); err != nil {
			return fmt.Errorf("index entry %d: %w", i, err)
		}
	}
	return nil
}

func entryID(i int) string { return "e" + strconv.Itoa(i) }

// Neighbours returns the k coding-index entries nearest to text by BM25 over CJK bigrams and English
// words, best first. Entries by the author named in exclude are left out (leave-one-author-out
// cross-validation; "" keeps all). It returns ErrEmptyQuery for a text with nothing searchable.
func (x *Index) Neighbours(ctx context.Context, text string, k int, exclude string) ([]Neighbour, error) {
	if x.ent == nil {
		return nil, nil
	}
	clean := Normalize(text)
	if r := []rune(clean); len(r) > MaxQueryRunes {
		clean = string(r[:MaxQueryRunes])
	}
	if !searchable(clean) {
		return nil, ErrEmptyQuery
	}
	var qs []query.Query
	m := bleve.NewMatchQuery(clean)
	m.SetField("text")
	qs = append(qs, m)
	if latin := latinPart(clean); latin != "" {
		e := bleve.NewMatchQuery(latin)
		e.SetField("en")
		qs = append(qs, e)
	}
	return x.searchEntries(ctx, bleve.NewDisjunctionQuery(qs...), k, exclude)
}

// searchEntries runs q over the coding index, leaving out the entries of the author named in exclude.
func (x *Index) searchEntries(ctx context.Context, q query.Query, k int, exclude string) ([]Neighbour, error) {
	bq := bleve.NewBooleanQuery()
	bq.AddMust(q)
	if exclude != "" {
		a := bleve.NewTermQuery(exclude)
		a.SetField("author")
		bq.AddMustNot(a)
	}
	req := bleve.NewSearchRequestOptions(bq, k+tieMargin, 0, false)
	req.SortBy(stableOrder)
	res, err := x.ent.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("retrieval.Neighbours: %w", err)
	}
	out := make([]Neighbour, 0, len(res.Hits))
	for _, h := range stable(res.Hits) {
		i, err := strconv.Atoi(h.ID[1:])
		if err != nil || i < 0 || i >= len(x.entries) {
			continue
		}
		e := x.entries[i]
		out = append(out, Neighbour{Entry: i, Code: e.Code, Ref: e.Ref, Score: h.Score})
	}
	if len(out) > k {
		out = out[:k]
	}
	return out, nil
}

// Entries returns the coding index the Index was built with.
func (x *Index) Entries() []corpus.Entry { return x.entries }

// NeighboursOf is Neighbours for a query given as index terms: CJK bigrams and lower-case Latin words, as
// the analyser makes them. The caller chooses the terms (for example only those that say something about
// a service), so that boilerplate shared by many entries does not decide who is near.
func (x *Index) NeighboursOf(ctx context.Context, terms []string, k int, exclude string) ([]Neighbour, error) {
	if x.ent == nil {
		return nil, nil
	}
	if len(terms) == 0 {
		return nil, ErrEmptyQuery
	}
	var qs []query.Query
	var latin []string
	for _, t := range terms {
		tq := bleve.NewTermQuery(t)
		tq.SetField("text")
		qs = append(qs, tq)
		if t[0] < 0x80 {
			latin = append(latin, t)
		}
	}
	if len(latin) > 0 {
		e := bleve.NewMatchQuery(strings.Join(latin, " "))
		e.SetField("en")
		qs = append(qs, e)
	}
	return x.searchEntries(ctx, bleve.NewDisjunctionQuery(qs...), k, exclude)
}
