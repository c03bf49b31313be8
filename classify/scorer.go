package classify

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/retrieval"
	"fenlei/score"
	"fenlei/textin"
)

// Neighbourer finds coding-index entries near a text; *retrieval.Index satisfies it.
type Neighbourer interface {
	NeighboursOfAndNear(ctx context.Context, terms []string, text string, k int, exclude string) (of, near []retrieval.Neighbour, errOf, errNear error)
	EntryCount() int
	Entry(i int) retrieval.EntryLabel
	EntryTerms(f func(term string, entries []int32))
	EntryPostings(term string) []int32
	EntryTermID(term string) int
	Entries() []corpus.Entry // the entries' texts: training only (nil when serving from the compiled index)
}

var _ Neighbourer = (*retrieval.Index)(nil)

//go:embed model.json
var modelJSON []byte

// DefaultModel returns the embedded scorer (classify/model.json, written by `fenlei train`).
func DefaultModel() (*score.Model, error) {
	var m score.Model
	if err := json.Unmarshal(modelJSON, &m); err != nil {
		return nil, fmt.Errorf("classify.DefaultModel: %w", err)
	}
	if len(m.W) != len(featureNames) {
		return nil, fmt.Errorf("classify.DefaultModel: %d weights for %d features: retrain with `fenlei train`", len(m.W), len(featureNames))
	}
	return &m, nil
}

// neighboursK is how many coding-index entries vote.
const neighboursK = 20

// The scorer's per-label features, in order. Each is in [0,1].
//   - knn_vote, knn_top, knn_max: the nearest coding-index entries by the words that say something about a
//     service (see scorer.informative): the label's share of the neighbours' similarity (BM25 relative to
//     the nearest), whether the nearest has the label, and the label's best neighbour's relative similarity;
//   - knn_full_vote, knn_full_top, knn_full_max: the same for neighbours found by the whole text;
//   - guide, guide_top: the guidance retrieval's relative category score, and whether the label is its best;
//   - nb: the naive-Bayes posterior over character bigrams and English words of the coding index;
//   - scope_out: for OUT, a scope clause (section 一, exclusions that send nowhere) is affirmed;
//   - excl_in: an exclusion of another class that the text matches redirects to the label;
//   - excl_out: the text matches an exclusion of the label's own class.
//
// Both neighbour queries are kept because leave-one-author-out cross-validation measured them good at
// different things: the informative words at contract and tender excerpts and company profiles, where
// boilerplate would otherwise decide who is near; the whole text at keywords and short sentences.
const (
	fKnnVote = iota
	fKnnTop
	fKnnMax
	fFullVote
	fFullTop
	fFullMax
	fGuide
	fGuideTop
	fNB
	fScopeOut
	fExclIn
	fExclOut
	nFeatures
)

var featureNames = []string{"knn_vote", "knn_top", "knn_max", "knn_full_vote", "knn_full_top", "knn_full_max",
	"guide", "guide_top", "nb", "scope_out", "excl_in", "excl_out"}

// scorer holds what the learned scorer needs at query time.
type scorer struct {
	nbr    Neighbourer
	nb     *score.NB
	model  *score.Model
	labels []string // the 45 sub-classes and OUT, sorted
	li     map[string]int
	// How each token of the coding index leans (see leanOf), by EntryTermID, worked out on first use: a
	// cold start reads a few dozen tokens, not the 37,000 of the index. 0: not yet; else 1|inform<<1|content<<2.
	leans                 []atomic.Uint32 // shared by the folds of cross-validation
	minInform, minContent float64
	function              string // function characters: a bigram with one informs nothing
}

// lean is what a token says: whether it informs (says something about a service, see informative) and
// whether it is a content word (leans to some labels at all: the words of a description).
type lean struct{ inform, content bool }

// leanOf returns how token leans: a token at least two coding-index entries use, without a function
// character, whose use's top label share (score.NB.LeanDocs) reaches informative_min_share informs, and
// content_min_share makes it a content word.
func (sc *scorer) leanOf(t string) lean {
	id := sc.nbr.EntryTermID(t)
	if id < 0 || id >= len(sc.leans) {
		return lean{} // not in the index
	}
	if v := sc.leans[id].Load(); v != 0 {
		return lean{inform: v&2 != 0, content: v&4 != 0}
	}
	var l lean
	if n, top := sc.nb.LeanDocs(sc.nbr.EntryPostings(t), nil); n >= 2 && !strings.ContainsAny(t, sc.function) {
		l = lean{inform: top >= sc.minInform, content: top >= sc.minContent}
	}
	v := uint32(1)
	if l.inform {
		v |= 2
	}
	if l.content {
		v |= 4
	}
	sc.leans[id].Store(v) // racing writers store the same value
	return l
}

func newScorer(g *corpus.Guidance, nbr Neighbourer, m *score.Model) *scorer {
	var labels []string
	for _, c := range g.Subclasses() {
		labels = append(labels, c.Code)
	}
	labels = append(labels, decision.OUT)
	sort.Strings(labels)
	sc := &scorer{nbr: nbr, model: m, labels: labels, li: map[string]int{}}
	for i, l := range labels {
		sc.li[l] = i
	}
	// The naive Bayes reads its counts from the coding index's postings: a document per entry, with its
	// distinct terms.
	docs := make([]score.Doc, nbr.EntryCount())
	vocab := 0
	nbr.EntryTerms(func(_ string, es []int32) {
		vocab++
		for _, d := range es {
			docs[d].Tokens++
		}
	})
	for i := range docs {
		l := nbr.Entry(i)
		docs[i].Label, docs[i].Group = l.Code, l.Author
	}
	sc.nb = score.NewNB(labels, 0.1, docs, vocab, nbr.EntryPostings)
	sc.leans = make([]atomic.Uint32, vocab)
	sc.minInform, sc.minContent = threshold("informative_min_share"), threshold("content_min_share")
	sc.function = strings.Join(voc.clauses.Terms["function_chars"], "")
	return sc
}

// contentWords counts the tokens (a text's tokens()) that lean to some labels (content_min_share): fewer
// than two means the text names no service ("中心", "我们公司"), and one needs a clear winner.
func (sc *scorer) contentWords(ts []string) int {
	n := 0
	for _, t := range ts {
		if sc.leanOf(t).content {
			n++
		}
	}
	return n
}

// informing keeps the tokens that say something about a service: tokens that at least two coding-index
// entries use and whose use leans towards some labels (the label that uses the token most, relative to its
// size, has at least informative_min_share of the token's use). "保洁", "payroll" and "warehouse" inform;
// "服务", "outsourcing", "公司" do not, nor bigrams with a function character (pronouns and particles:
// "我们", "们公").
func (sc *scorer) informing(ts []string) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		if sc.leanOf(t).inform {
			out = append(out, t)
		}
	}
	return out
}

// tokens are the naive-Bayes and neighbour features of a text: retrieval.Terms (CJK bigrams, English
// words), each once.
func tokens(text string) []string { return retrieval.Terms(text) }

// evidence is the scorer's view of one text.
type evidence struct {
	features [][]float64
	nbrs     []retrieval.Neighbour
	tokens   []string // tokens(st.text)
}

// features computes every label's feature row for the text in st; exclude leaves an author's entries out.
func (sc *scorer) features(ctx context.Context, st *state, exclude string) (evidence, error) {
	rows := make([][]float64, len(sc.labels))
	for i := range rows {
		rows[i] = make([]float64, nFeatures)
	}
	// The coding index reads the whole description, client included: who the service is for tells a
	// counted service (for a bank) from in-house work or a sale to consumers. (The guidance retrieval
	// reads focus(text), without the client, whose industry would pull it to that industry's classes.)
	all := tokens(st.text)
	terms := sc.informing(all)
	// The neighbours by the informing terms and by the whole text, in one pass over the index.
	nbrs, full, errOf, errNear := sc.nbr.NeighboursOfAndNear(ctx, terms, st.text, neighboursK, exclude)
	for _, err := range []error{errOf, errNear} {
		if err != nil && !errors.Is(err, retrieval.ErrEmptyQuery) {
			return evidence{}, err
		}
	}
	if len(nbrs) == 0 {
		nbrs = full
	}
	sc.vote(rows, nbrs, fKnnVote)
	sc.vote(rows, full, fFullVote)
	for i, c := range st.res.Categories {
		if j, ok := sc.li[c.Code]; ok {
			rows[j][fGuide] = c.Score
			if i == 0 {
				rows[j][fGuideTop] = 1
			}
		}
	}
	for j, p := range sc.nb.Posterior(all, exclude) {
		rows[sc.li[sc.nb.Labels()[j]]][fNB] = p
	}
	if _, ok := st.scopeMatch(); ok {
		rows[sc.li[decision.OUT]][fScopeOut] = 1
	}
	for _, code := range sc.shortlist(rows, 6) {
		if code == decision.OUT {
			continue
		}
		p, ok := st.matchedExclusion(code)
		if !ok {
			continue
		}
		rows[sc.li[code]][fExclOut] = 1
		to := st.resolveTargets(p.Targets)
		if len(p.Targets) == 0 {
			to = st.bestNamed(p)
		}
		if follow, ok := contradictions[p.Ref]; ok {
			to = follow.code
		}
		if len(p.Targets) == 0 && selfService(p.Text) && st.has(inHouse) {
			to = decision.OUT
		}
		if j, ok := sc.li[to]; ok && to != code {
			rows[j][fExclIn] = 1
		}
	}
	return evidence{features: rows, nbrs: nbrs, tokens: all}, nil
}

// vote sets the three neighbour features that start at f: the label's share of the neighbours'
// similarity, whether the nearest has the label, and the label's best relative similarity.
func (sc *scorer) vote(rows [][]float64, nbrs []retrieval.Neighbour, f int) {
	if len(nbrs) == 0 {
		return
	}
	top, sum := nbrs[0].Score, 0.0
	seen := map[int]bool{}
	for i, n := range nbrs {
		w := n.Score / top
		sum += w
		j, ok := sc.li[n.Code]
		if !ok {
			continue
		}
		seen[j] = true
		rows[j][f] += w
		rows[j][f+2] = math.Max(rows[j][f+2], w)
		if i == 0 {
			rows[j][f+1] = 1
		}
	}
	for j := range seen {
		rows[j][f] /= sum
	}
}

// shortlist returns the n labels with the most neighbour and retrieval evidence.
func (sc *scorer) shortlist(rows [][]float64, n int) []string {
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	ev := func(i int) float64 { return rows[i][fKnnVote] + rows[i][fFullVote] + rows[i][fGuide] + rows[i][fNB] }
	sort.SliceStable(idx, func(a, b int) bool { return ev(idx[a]) > ev(idx[b]) })
	out := make([]string, 0, n)
	for _, i := range idx[:n] {
		if ev(i) > 0 {
			out = append(out, sc.labels[i])
		}
	}
	return out
}

// labelProb is one label with its calibrated probability.
type labelProb struct {
	Code string
	P    float64
}

// rank turns feature rows into labels ranked by the model's probability, best first.
func (sc *scorer) rank(m *score.Model, rows [][]float64) []labelProb {
	ps := m.Probs(sc.labels, rows)
	out := make([]labelProb, len(ps))
	for i, p := range ps {
		out[i] = labelProb{Code: sc.labels[i], P: p}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].P > out[b].P })
	return out
}

// scoredSuggestion is the offline engine's suggestion: the scorer's best label, its probability as the
// confidence, the ranked labels as candidates (and as evidence for the rule layer), and the nearest
// coding-index entry of the chosen label, whose deciding passage is cited.
func (s *state) scoredSuggestion(ranked []labelProb, ev evidence) {
	s.probs, s.nbrs = ranked, ev.nbrs
	s.code, s.conf = ranked[0].Code, ranked[0].P
	s.entryRef = s.nearestRef(s.code)
}

// outReason explains an OUT decision from the clause cited first.
func (s *state) outReason() string {
	if len(s.cites) == 0 {
		return ""
	}
	p, _ := s.g.Passage(s.cites[0])
	return msg("out_clause", s.lang, p.Text, p.Ref)
}

// Train computes out-of-fold features for every coding-index entry (its own author's entries left out
// of the neighbours and the naive Bayes), fits the scorer on them, and calibrates its temperature on
// leave-one-author-out predictions. The result is deterministic for the same data.
func (e *Engine) Train(ctx context.Context, opt score.FitOptions) (*score.Model, error) {
	exs, authors, err := e.Examples(ctx)
	if err != nil {
		return nil, err
	}
	m, err := score.Fit(featureNames, exs, opt)
	if err != nil {
		return nil, err
	}
	// One fold per author, fitted side by side; the predictions are gathered in the authors' order.
	folds := slices.Compact(slices.Sorted(slices.Values(authors)))
	models := make([]*score.Model, len(folds))
	err = eachParallel(len(folds), func(i int) error {
		var err error
		models[i], err = score.Fit(featureNames, pick(exs, authors, folds[i], false), opt)
		return err
	})
	if err != nil {
		return nil, err
	}
	var raw [][]float64
	var gold []int
	for i, a := range folds {
		for _, ex := range pick(exs, authors, a, true) {
			raw = append(raw, models[i].Scores(ex.Labels, ex.Features))
			gold = append(gold, ex.Gold)
		}
	}
	m.Temperature = score.FitTemperature(raw, gold)
	m.Data = DataHash(e.sc.nbr.Entries())
	return m, nil
}

// FoldModel fits the scorer on every author's entries but one (leave-one-author-out), with the
// temperature of full, for cross-validation.
func (e *Engine) FoldModel(exs []score.Example, authors []string, leftOut string, full *score.Model, opt score.FitOptions) (*score.Model, error) {
	m, err := score.Fit(featureNames, pick(exs, authors, leftOut, false), opt)
	if err != nil {
		return nil, err
	}
	m.Temperature = full.Temperature
	return m, nil
}

// Examples computes the training examples of the coding index and each one's author.
func (e *Engine) Examples(ctx context.Context) ([]score.Example, []string, error) {
	if e.sc == nil {
		return nil, nil, errors.New("classify.Examples: no coding index")
	}
	entries := e.sc.nbr.Entries()
	exs := make([]score.Example, len(entries))
	authors := make([]string, len(entries))
	err := eachParallel(len(entries), func(i int) error {
		en := entries[i]
		st, err := e.newState(ctx, textin.MatchForm(en.Text))
		if err != nil {
			return fmt.Errorf("classify.Examples: %s line %d: %w", en.Author, en.Line, err)
		}
		ev, err := e.sc.features(ctx, st, en.Author)
		if err != nil {
			return err
		}
		exs[i] = score.Example{Labels: e.sc.labels, Features: ev.features, Gold: e.sc.li[en.Code]}
		authors[i] = en.Author
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return exs, authors, nil
}

// eachParallel calls f(0) … f(n-1), as many at once as there are CPUs, and returns the error of the
// lowest i that failed (after every call has returned). Each f writes only its own i's results, so the
// outcome is the sequential loop's.
func eachParallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func pick(exs []score.Example, authors []string, a string, want bool) []score.Example {
	var out []score.Example
	for i, ex := range exs {
		if (authors[i] == a) == want {
			out = append(out, ex)
		}
	}
	return out
}

// DataHash identifies the training data of a model: the coding index's entries (author, code, ref, text),
// the clause data (corpus/clauses.yaml: its patterns and thresholds shape the features) and the feature
// set. A model whose Data differs from DataHash of the embedded data is stale: `fenlei train` refits it.
func DataHash(entries []corpus.Entry) string {
	var b strings.Builder
	b.WriteString(strings.Join(featureNames, ","))
	b.Write(corpus.ClausesSource())
	for _, e := range entries {
		fmt.Fprintf(&b, "\n%s\t%s\t%s\t%s", e.Author, e.Code, e.Ref, e.Text)
	}
	return hashString(b.String())
}

func hashString(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
