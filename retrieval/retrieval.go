// Package retrieval is fenlei's search over the guidance: a Bleve index (scorch, in memory, BM25) of every
// passage of the corpus, built at start-up from the embedded text, and a per-category ranking on top of it.
//
// It promises: Search never returns a passage that is not in the corpus; categories are sub-class codes
// only; a category is credited by hits on its own definition, typical businesses and name, and by
// exclusions of other classes that redirect to it ("应纳入 X" credits X, never the class that excludes);
// scores are in [0,1] relative to the best category of the query.
//
// Chinese analysis: the built-in CJK bigram analyser (width fold, lower case, overlapping bigrams).
// Measured on the retrieval dev set (TestDevSet): bigrams alone 84.5 % top-1 against 83.7 % with unigrams
// added, so unigrams are off (Options.Unigrams keeps the switch). Word segmentation with go-ego/gse was
// measured and not taken: v0.80.3 with its embedded dictionary (LoadDictEmbed, a scratch program outside
// this repository, `/usr/bin/time -v`) takes 1.36 s to load, 196 MB of heap and 369 MB peak RSS, and its
// binary alone is 36 MB — against budgets of 100 ms, 80 MB and 40 MB for the whole of fenlei. The
// guidance's vocabulary is small and fixed, so users' everyday and English words are bridged instead by
// the synonym lexicon (corpus/lexicon.txt), applied at query time by forward maximum matching. English
// queries also match the English names and aliases of every class (corpus/classes_en.tsv) in an
// English-analysed field.
//
// The index is built at start-up from the embedded corpus (BenchmarkBuild: ~35 ms, ~22 MB allocated);
// a prebuilt index would save little and add files and format skew. Queries: BenchmarkSearch reports
// the median and 99th percentile.
package retrieval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	unitok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"fenlei/corpus"
)

// stableOrder ranks hits by score, and hits of equal score by id: Bleve's own order of equal scores
// follows the order documents were analysed in, which varies from run to run.
var stableOrder = []string{"-_score", "_id"}

// tieMargin is how many hits beyond those wanted are fetched, so that stable can reorder near-ties.
const tieMargin = 8

// round9 rounds a BM25 score to 9 decimals: the last bits of a sum depend on the order it was added in.
func round9(s float64) float64 { return math.Round(s*1e9) / 1e9 }

// stable rounds scores to 9 decimals and orders hits by rounded score, then id. A long query's BM25 score
// is a sum whose order, and so whose last bits, vary with the order documents were analysed in; rounded,
// the same query gets the same hits in the same order, and training is reproducible.
func stable(hits search.DocumentMatchCollection) search.DocumentMatchCollection {
	for _, h := range hits {
		h.Score = round9(h.Score)
	}
	sort.SliceStable(hits, func(a, b int) bool {
		if hits[a].Score != hits[b].Score {
			return hits[a].Score > hits[b].Score
		}
		return hits[a].ID < hits[b].ID
	})
	return hits
}

// MaxQueryRunes bounds the text searched: only the first MaxQueryRunes characters of a query count.
const MaxQueryRunes = 2000

// ErrEmptyQuery is returned for a query with no searchable characters.
var ErrEmptyQuery = errors.New("retrieval: empty query")

// Options tune the index.
type Options struct {
	Unigrams bool // also index single CJK characters (off: measured worse on the dev set)
	MaxHits  int  // passages fetched per query before ranking categories (default 60)
	// Entries is the coding index (corpus.Guidance.CodingIndex), indexed as a second document type for
	// Neighbours; nil: none.
	Entries []corpus.Entry
}

// Index searches the guidance.
type Index struct {
	g       *corpus.Guidance
	idx     bleve.Index
	lex     *expander
	opts    Options
	en      map[string][]string // code → English aliases
	names   map[string]string   // code → name, for direct name mentions
	entries []corpus.Entry
	ent     *entryIndex // the coding index, nil without entries
}

type doc struct {
	Text  string `json:"text"`
	Title string `json:"title"`
	EN    string `json:"en"`
	Kind  string `json:"kind"`
	Code  string `json:"code"`
}

// New builds the in-memory index over every passage of g.
func New(g *corpus.Guidance, lexicon []corpus.Synonym, opts Options) (*Index, error) {
	if opts.MaxHits <= 0 {
		opts.MaxHits = 60
	}
	im, err := indexMapping(opts)
	if err != nil {
		return nil, fmt.Errorf("retrieval.New: %w", err)
	}
	idx, err := bleve.NewUsing("", im, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("retrieval.New: %w", err)
	}
	x := &Index{g: g, idx: idx, lex: newExpander(lexicon), opts: opts, en: corpus.EnglishAliases(), names: map[string]string{}, entries: opts.Entries}
	for _, c := range g.Classes {
		x.names[c.Code] = c.Name
	}
	b := idx.NewBatch()
	for _, p := range g.Passages {
		d := doc{Text: p.Text, Title: p.Title, Kind: string(p.Kind), Code: p.Code}
		if strings.HasSuffix(p.Ref, ".def") && p.Code != "" {
			c, _ := g.Class(p.Code)
			d.Title = c.Name + " " + p.Title
			d.EN = c.NameEN + " " + strings.Join(x.en[p.Code], " ")
		}
		if p.Kind == corpus.KindTypical {
			d.Title = p.Title
		}
		if err := b.Index(p.Ref, d); err != nil {
			return nil, fmt.Errorf("retrieval.New: index %s: %w", p.Ref, err)
		}
	}
	if err := idx.Batch(b); err != nil {
		return nil, fmt.Errorf("retrieval.New: %w", err)
	}
	x.ent = newEntryIndex(opts.Entries)
	return x, nil
}

func indexMapping(opts Options) (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	im.ScoringModel = index.BM25Scoring
	if err := im.AddCustomTokenFilter("zh_bigram", map[string]any{"type": cjk.BigramName, "output_unigram": opts.Unigrams}); err != nil {
		return nil, err
	}
	if err := im.AddCustomAnalyzer("zh", map[string]any{
		"type":          custom.Name,
		"tokenizer":     unitok.Name,
		"token_filters": []any{cjk.WidthName, lowercase.Name, "zh_bigram"},
	}); err != nil {
		return nil, err
	}
	text := bleve.NewTextFieldMapping()
	text.Analyzer = "zh"
	text.IncludeTermVectors = true
	text.Store = false
	english := bleve.NewTextFieldMapping()
	english.Analyzer = en.AnalyzerName
	english.Store = false
	kw := bleve.NewKeywordFieldMapping()
	kw.Store = false
	dm := bleve.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt("text", text)
	dm.AddFieldMappingsAt("title", text)
	dm.AddFieldMappingsAt("en", english)
	dm.AddFieldMappingsAt("kind", kw)
	dm.AddFieldMappingsAt("code", kw)
	im.DefaultMapping = dm
	im.DefaultAnalyzer = "zh"
	return im, nil
}

// Close releases the index.
func (x *Index) Close() error {
	return x.idx.Close()
}

// Guidance returns the corpus the index was built from.
func (x *Index) Guidance() *corpus.Guidance { return x.g }

// Hit is one retrieved passage.
type Hit struct {
	Ref      string      `json:"ref"`
	Code     string      `json:"code,omitempty"`
	Kind     corpus.Kind `json:"kind"`
	Score    float64     `json:"score"`
	Credits  []string    `json:"credits,omitempty"`  // the sub-classes this hit counts for
	Fragment string      `json:"fragment,omitempty"` // the passage with the query's matches in 【】
}

// Category is one ranked sub-class with the hits that produced it.
type Category struct {
	Code  string  `json:"code"`
	Name  string  `json:"name"`
	Score float64 `json:"score"` // relative to the best category, in [0,1]
	Raw   float64 `json:"raw"`   // unnormalised evidence
	Hits  []Hit   `json:"hits"`
}

// Result of one search.
type Result struct {
	Query      string     `json:"query"`
	Expanded   []string   `json:"expanded,omitempty"` // lexicon terms added to the query
	Categories []Category `json:"categories"`
	Passages   []Hit      `json:"passages"`
}

// Search ranks passages and categories for a free-text query. k limits the categories returned (≤0: 10).
func (x *Index) Search(ctx context.Context, text string, k int) (Result, error) {
	if k <= 0 {
		k = 10
	}
	clean := Normalize(text)
	if r := []rune(clean); len(r) > MaxQueryRunes {
		clean = string(r[:MaxQueryRunes])
	}
	if !searchable(clean) {
		return Result{Query: text}, ErrEmptyQuery
	}
	expanded := x.lex.expand(clean)
	q := x.buildQuery(clean, expanded)
	req := bleve.NewSearchRequestOptions(q, x.opts.MaxHits+tieMargin, 0, false)
	req.SortBy(stableOrder)
	req.Fields = nil
	res, err := x.idx.SearchInContext(ctx, req)
	if err != nil {
		return Result{Query: text}, fmt.Errorf("retrieval.Search: %w", err)
	}
	res.Hits = stable(res.Hits)
	if len(res.Hits) > x.opts.MaxHits {
		res.Hits = res.Hits[:x.opts.MaxHits]
	}
	out := Result{Query: text, Expanded: expanded}
	present := map[string]bool{} // sub-classes with an own hit, for exclusions that name only a major class
	for _, h := range res.Hits {
		if p, ok := x.g.Passage(h.ID); ok && (p.Kind == corpus.KindDefinition || p.Kind == corpus.KindTypical) {
			present[p.Code] = true
		}
	}
	terms := highlightTerms(clean, expanded)
	for _, h := range res.Hits {
		p, ok := x.g.Passage(h.ID)
		if !ok {
			continue
		}
		hit := Hit{Ref: p.Ref, Code: p.Code, Kind: p.Kind, Score: h.Score, Credits: x.credits(p, present)}
		if len(out.Passages) < highlighted {
			hit.Fragment = highlight(p.Text, terms)
		}
		out.Passages = append(out.Passages, hit)
	}
	out.Categories = x.rank(out.Passages, k)
	return out, nil
}

// Passages searches the passages' text alone (no titles, no class names), for answering questions about
// the guidance: extra holds terms to add to the query (a question vocabulary), weighted like lexicon terms.
func (x *Index) Passages(ctx context.Context, text string, extra []string, n int) ([]Hit, error) {
	clean := Normalize(text)
	if r := []rune(clean); len(r) > MaxQueryRunes {
		clean = string(r[:MaxQueryRunes])
	}
	if !searchable(clean) && len(extra) == 0 {
		return nil, ErrEmptyQuery
	}
	var qs []query.Query
	for _, t := range append(append([]string{clean}, extra...), x.lex.expand(clean)...) {
		if !searchable(t) {
			continue
		}
		m := bleve.NewMatchQuery(t)
		m.SetField("text")
		qs = append(qs, m)
	}
	req := bleve.NewSearchRequestOptions(bleve.NewDisjunctionQuery(qs...), n+tieMargin, 0, false)
	req.SortBy(stableOrder)
	res, err := x.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("retrieval.Passages: %w", err)
	}
	res.Hits = stable(res.Hits)
	if len(res.Hits) > n {
		res.Hits = res.Hits[:n]
	}
	var out []Hit
	for _, h := range res.Hits {
		if p, ok := x.g.Passage(h.ID); ok {
			out = append(out, Hit{Ref: p.Ref, Code: p.Code, Kind: p.Kind, Score: h.Score})
		}
	}
	return out, nil
}

// credits says which sub-classes a passage counts for: its own sub-class for its definition, typical
// businesses and name; the targets of a redirecting exclusion; nothing for other passages.
func (x *Index) credits(p corpus.Passage, present map[string]bool) []string {
	switch p.Kind {
	case corpus.KindExclude:
		var out []string
		for _, t := range p.Targets {
			c, ok := x.g.Class(t)
			switch {
			case ok && c.Level == corpus.Sub:
				out = append(out, t)
			case ok && c.Level == corpus.Major:
				// "应纳入 I 信息技术外包": the sub-classes of that major class that the query also hits.
				for _, sc := range x.g.Subclasses() {
					if present[sc.Code] && x.g.Path(sc.Code)[0] == c.Code {
						out = append(out, sc.Code)
					}
				}
			}
		}
		return out
	case corpus.KindDefinition, corpus.KindTypical:
		c, ok := x.g.Class(p.Code)
		if ok && c.Level == corpus.Sub {
			return []string{p.Code}
		}
		// A middle class's definition counts for its catch-all sub-class ("其他…", code ending in 9): what
		// fits the middle class but none of its listed sub-classes.
		if ok && c.Level == corpus.Middle {
			if other, ok := x.g.Class(c.Code + "9"); ok {
				return []string{other.Code}
			}
		}
	case corpus.KindTable:
		// a table row names its classes: credit the sub-classes it lists
		var out []string
		for _, c := range x.g.Subclasses() {
			if strings.Contains(p.Text, c.Code) {
				out = append(out, c.Code)
			}
		}
		return out
	}
	return nil
}

// highlighted is how many of the best passages get a highlighted fragment.
const highlighted = 10

// Ranking parameters, tuned on the retrieval dev set (TestDevSet).
var (
	boostTitle    = 1.0
	boostEN       = 1.2
	boostExpanded = 1.0
	hitWeights    = []float64{1, 0.5, 0.25, 0.125}
	// catchAllWeight scales the credit a middle class's definition gives its catch-all sub-class.
	catchAllWeight = 1.0
)

// excludePenalty is the share of a redirecting exclusion's score taken from the class that excludes.
const excludePenalty = 0.8

// rank aggregates hits into categories: the best hit counts fully, the next ones with decaying weight.
func (x *Index) rank(hits []Hit, k int) []Category {
	byCode := map[string]*Category{}
	for _, h := range hits {
		for _, c := range h.Credits {
			cat := byCode[c]
			if cat == nil {
				cat = &Category{Code: c, Name: x.names[c]}
				byCode[c] = cat
			}
			w := hitWeights
			score := h.Score
			if h.Code != c && len(h.Code) == 2 { // a middle class's definition crediting its catch-all
				score *= catchAllWeight
			}
			if n := len(cat.Hits); n < len(w) {
				cat.Raw += w[n] * score
			}
			cat.Hits = append(cat.Hits, h)
		}
	}
	// An exclusion that redirects counts against the class that excludes.
	for _, h := range hits {
		if h.Kind == corpus.KindExclude && len(h.Credits) > 0 {
			if cat := byCode[h.Code]; cat != nil {
				cat.Raw = math.Max(cat.Raw-excludePenalty*h.Score, 0)
			}
		}
	}
	cats := make([]Category, 0, len(byCode))
	for _, c := range byCode {
		if c.Raw > 0 {
			cats = append(cats, *c)
		}
	}
	sort.Slice(cats, func(i, j int) bool {
		if cats[i].Raw != cats[j].Raw {
			return cats[i].Raw > cats[j].Raw
		}
		return cats[i].Code < cats[j].Code
	})
	if len(cats) > k {
		cats = cats[:k]
	}
	if len(cats) > 0 && cats[0].Raw > 0 {
		top := cats[0].Raw
		for i := range cats {
			cats[i].Score = cats[i].Raw / top
		}
	}
	return cats
}

func (x *Index) buildQuery(clean string, expanded []string) query.Query {
	var qs []query.Query
	add := func(field, text string, boost float64) {
		if strings.TrimSpace(text) == "" {
			return
		}
		m := bleve.NewMatchQuery(text)
		m.SetField(field)
		m.SetBoost(boost)
		qs = append(qs, m)
	}
	add("text", clean, 1)
	add("title", clean, boostTitle)
	if latin := latinPart(clean); latin != "" {
		add("en", latin, boostEN)
	}
	for _, e := range expanded {
		add("text", e, boostExpanded)
		add("title", e, boostExpanded*boostTitle)
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// Normalize folds width, lower-cases Latin letters, removes control characters and collapses spaces.
func Normalize(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == unicode.ReplacementChar {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.TrimSpace(b.String())
}

func searchable(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// latinPart keeps the Latin words of a query, for the English field.
func latinPart(s string) string {
	var words []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !(r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r))) }) {
		words = append(words, w)
	}
	return strings.Join(words, " ")
}
