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
	"sync"
	"unicode"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	unitok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
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
	// Entries is the coding index (corpus.Guidance.CodingIndex) to build the index of Neighbours from
	// (training and cross-validation, which read the entries' texts); nil: the compiled coding index.
	Entries []corpus.Entry
	// NoCodingIndex leaves the coding index out when Entries is nil (Neighbours finds nothing).
	NoCodingIndex bool
	fresh         bool // build everything from the data, never from the compiled index (Compile)
	// Questions loads the question index (corpus.Guidance.QuestionIndex) that QuestionNeighbours
	// searches, once, on first use: describing a service never needs it. nil: none.
	Questions func() ([]corpus.Question, error)
}

// Index searches the guidance.
type Index struct {
	g       *corpus.Guidance
	lex     *expander
	opts    Options
	en      map[string][]string // code → English aliases
	names   map[string]string   // code → name, for direct name mentions
	pass    *passageIndex
	english analysis.Analyzer
	ent     *entryIndex       // the coding index, nil without entries
	qonce   sync.Once         // loads qs and builds qix on first use
	qs      []corpus.Question // the question index
	qix     *entryIndex       // its BM25 index, nil without questions
	qerr    error

	creditOnce sync.Once       // fills credit and majorSubs on first use by Search
	credit     []passageCredit // by passage, see credits
	majorSubs  map[string][]string

	bleveOnce sync.Once // the Bleve index of passages, built on first use by Passages
	idx       bleve.Index
	bleveErr  error
}

type doc struct {
	Text  string `json:"text"`
	Title string `json:"title"`
	EN    string `json:"en"`
	Kind  string `json:"kind"`
	Code  string `json:"code"`
}

// docs returns the indexed form of every passage, in the corpus's order: its text, a title (a
// definition's title carries its class's name, in Chinese and, in EN, in English with its aliases).
func (x *Index) docs() []doc {
	out := make([]doc, len(x.g.Passages))
	for i, p := range x.g.Passages {
		d := doc{Text: p.Text, Title: p.Title, Kind: string(p.Kind), Code: p.Code}
		if strings.HasSuffix(p.Ref, ".def") && p.Code != "" {
			c, _ := x.g.Class(p.Code)
			d.Title = c.Name + " " + p.Title
			d.EN = c.NameEN + " " + strings.Join(x.en[p.Code], " ")
		}
		out[i] = d
	}
	return out
}

// New builds the index over every passage of g, with the coding index of opts.Entries; with no entries
// given it uses the compiled index (index.gob): its coding index unless opts.NoCodingIndex, and its
// passages' fields when it was built from the same passages (else they are built). With entries given,
// everything is built from the data. It fails on a compiled index that does not decode.
func New(g *corpus.Guidance, lexicon []corpus.Synonym, opts Options) (*Index, error) {
	if opts.MaxHits <= 0 {
		opts.MaxHits = 60
	}
	english, err := registry.NewCache().AnalyzerNamed(en.AnalyzerName)
	if err != nil {
		return nil, fmt.Errorf("retrieval.New: %w", err)
	}
	x := &Index{g: g, lex: newExpander(lexicon), opts: opts, en: corpus.EnglishAliases(), names: map[string]string{}, english: english}
	for _, c := range g.Classes {
		x.names[c.Code] = c.Name
	}
	docs := x.docs()
	if len(opts.Entries) > 0 {
		x.ent = newEntryIndex(opts.Entries)
	}
	loaded := false
	if !opts.fresh && len(opts.Entries) == 0 { // training builds everything from its data
		if loaded, err = x.load(docs); err != nil {
			return nil, fmt.Errorf("retrieval.New: the compiled index: %w (rebuild it with `fenlei train`)", err)
		}
	}
	if !loaded { // other passages than the compiled index's (or Compile): build the passages' fields
		x.pass = newPassageIndex(docs, x.englishTerms)
	}
	return x, nil
}

// englishTerms calls add for every term Bleve's English analyser makes of s (lower case, stop words
// dropped, Porter stems).
func (x *Index) englishTerms(s string, add func(string)) {
	for _, tok := range x.english.Analyze([]byte(s)) {
		add(string(tok.Term))
	}
}

// bleveIndex returns the Bleve index of the passages, building it on first use.
func (x *Index) bleveIndex() (bleve.Index, error) {
	x.bleveOnce.Do(func() {
		im, err := indexMapping(x.opts)
		if err != nil {
			x.bleveErr = err
			return
		}
		idx, err := bleve.NewUsing("", im, scorch.Name, scorch.Name, nil)
		if err != nil {
			x.bleveErr = err
			return
		}
		b := idx.NewBatch()
		for i, d := range x.docs() {
			if err := b.Index(x.g.Passages[i].Ref, d); err != nil {
				x.bleveErr = fmt.Errorf("index %s: %w", x.g.Passages[i].Ref, err)
				return
			}
		}
		if err := idx.Batch(b); err != nil {
			x.bleveErr = err
			return
		}
		x.idx = idx
	})
	return x.idx, x.bleveErr
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
	if x.idx != nil {
		return x.idx.Close()
	}
	return nil
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
// Passages are scored by BM25 over three fields (text, title, English names), the query's lexicon
// expansions added as further query terms (see passageIndex).
func (x *Index) Search(ctx context.Context, text string, k int) (Result, error) {
	if k <= 0 {
		k = 10
	}
	if err := ctx.Err(); err != nil {
		return Result{Query: text}, fmt.Errorf("retrieval.Search: %w", err)
	}
	clean := Normalize(text)
	if r := []rune(clean); len(r) > MaxQueryRunes {
		clean = string(r[:MaxQueryRunes])
	}
	if !searchable(clean) {
		return Result{Query: text}, ErrEmptyQuery
	}
	expanded := x.lex.expand(clean)
	hits := x.pass.search(clean, expanded, x.englishTerms, x.opts.MaxHits)
	out := Result{Query: text, Expanded: expanded, Passages: make([]Hit, 0, len(hits))}
	present := map[string]bool{} // sub-classes with an own hit, for exclusions that name only a major class
	for _, h := range hits {
		if p := x.g.Passages[h.doc]; p.Kind == corpus.KindDefinition || p.Kind == corpus.KindTypical {
			present[p.Code] = true
		}
	}
	for _, h := range hits {
		p := x.g.Passages[h.doc]
		out.Passages = append(out.Passages, Hit{Ref: p.Ref, Code: p.Code, Kind: p.Kind, Score: h.score, Credits: x.credits(h.doc, present)})
	}
	out.Categories = x.rank(out.Passages, k)
	return out, nil
}

// Highlight fills the Fragment of the best passages of r (the first ten): the passage with the
// query's matches in 【】. Search leaves fragments out: the classifier does not read them.
func (x *Index) Highlight(r *Result) {
	clean := Normalize(r.Query)
	if rs := []rune(clean); len(rs) > MaxQueryRunes {
		clean = string(rs[:MaxQueryRunes])
	}
	terms := highlightTerms(clean, r.Expanded)
	for i := range r.Passages {
		if i == highlighted {
			break
		}
		if p, ok := x.g.Passage(r.Passages[i].Ref); ok {
			r.Passages[i].Fragment = highlight(p.Text, terms)
		}
	}
}

// Passages searches the passages' text alone (no titles, no class names) in the Bleve index, for
// answering questions about the guidance: extra holds terms to add to the query (a question vocabulary),
// weighted like lexicon terms.
func (x *Index) Passages(ctx context.Context, text string, extra []string, n int) ([]Hit, error) {
	clean := Normalize(text)
	if r := []rune(clean); len(r) > MaxQueryRunes {
		clean = string(r[:MaxQueryRunes])
	}
	if !searchable(clean) && len(extra) == 0 {
		return nil, ErrEmptyQuery
	}
	idx, err := x.bleveIndex()
	if err != nil {
		return nil, fmt.Errorf("retrieval.Passages: %w", err)
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
	res, err := idx.SearchInContext(ctx, req)
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
// businesses and name; the targets of a redirecting exclusion; nothing for other passages. The result is
// shared between calls: read it, do not modify it.
func (x *Index) credits(i int, present map[string]bool) []string {
	x.creditOnce.Do(x.initCredits)
	c := x.credit[i]
	if len(c.majors) == 0 {
		return c.subs
	}
	var out []string
	for _, it := range c.items {
		if !it.major {
			out = append(out, it.code)
			continue
		}
		// "应纳入 I 信息技术外包": the sub-classes of that major class that the query also hits.
		for _, sc := range x.majorSubs[it.code] {
			if present[sc] {
				out = append(out, sc)
			}
		}
	}
	return out
}

// passageCredit is what credits needs of one passage, worked out once: subs when the passage's credits do
// not depend on the query; otherwise items, in the exclusion's order, naming the major classes (majors)
// whose hit sub-classes count.
type passageCredit struct {
	subs   []string
	items  []creditItem
	majors []string
}

type creditItem struct {
	code  string
	major bool
}

// initCredits works out every passage's credits (credits' rules) and each major class's sub-classes.
func (x *Index) initCredits() {
	x.majorSubs = map[string][]string{}
	for _, sc := range x.g.Subclasses() {
		m := x.g.Path(sc.Code)[0]
		x.majorSubs[m] = append(x.majorSubs[m], sc.Code)
	}
	x.credit = make([]passageCredit, len(x.g.Passages))
	for i, p := range x.g.Passages {
		c := &x.credit[i]
		switch p.Kind {
		case corpus.KindExclude:
			for _, t := range p.Targets {
				cl, ok := x.g.Class(t)
				switch {
				case ok && cl.Level == corpus.Sub:
					c.subs = append(c.subs, t)
					c.items = append(c.items, creditItem{code: t})
				case ok && cl.Level == corpus.Major:
					c.majors = append(c.majors, t)
					c.items = append(c.items, creditItem{code: t, major: true})
				}
			}
		case corpus.KindDefinition, corpus.KindTypical:
			cl, ok := x.g.Class(p.Code)
			if ok && cl.Level == corpus.Sub {
				c.subs = []string{p.Code}
			}
			// A middle class's definition counts for its catch-all sub-class ("其他…", code ending in 9):
			// what fits the middle class but none of its listed sub-classes.
			if ok && cl.Level == corpus.Middle {
				if other, ok := x.g.Class(cl.Code + "9"); ok {
					c.subs = []string{other.Code}
				}
			}
		case corpus.KindTable:
			// a table row names its classes: credit the sub-classes it lists
			for _, sc := range x.g.Subclasses() {
				if strings.Contains(p.Text, sc.Code) {
					c.subs = append(c.subs, sc.Code)
				}
			}
		}
	}
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
	// Every category's hits share one array, each category's part sized by a first count.
	count := map[string]int{}
	total := 0
	for _, h := range hits {
		for _, c := range h.Credits {
			count[c]++
			total++
		}
	}
	shared := make([]Hit, 0, total)
	byCode := make(map[string]*Category, len(count))
	for _, h := range hits {
		for _, c := range h.Credits {
			cat := byCode[c]
			if cat == nil {
				n := count[c]
				cat = &Category{Code: c, Name: x.names[c], Hits: shared[len(shared) : len(shared) : len(shared)+n]}
				shared = shared[:len(shared)+n]
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
