package score

import (
	"math"
	"sort"
)

// NB is a multinomial naive Bayes over tokens with add-α smoothing whose counts are read from an
// inverted index: a token's count for a label is the number of documents of that label that use it
// (a document counts a token once). Documents belong to groups (authors of the coding index), and a group
// can be left out at query time for leave-one-group-out features. Nothing is copied from the index: a
// query costs the postings of its tokens.
type NB struct {
	Alpha     float64
	labels    []string
	label     []int32 // per document: its label, -1 for one not among the labels
	group     []int32 // per document
	groups    map[string]int
	docs      [][]float64 // [group][label]: documents
	toks      [][]float64 // [group][label]: distinct tokens summed over documents
	labelDocs []float64   // documents per label, all groups
	vocab     float64     // distinct tokens of all documents
	post      func(token string) []int32
}

// Doc describes one document of the index: its label, its group and how many distinct tokens it has.
type Doc struct {
	Label, Group string
	Tokens       int
}

// NewNB returns the model of the documents docs (indexed as the postings count them) over the given
// labels, vocab distinct tokens in all, post returning the documents that use a token (nil when none).
// α = 0.1 when alpha ≤ 0. A document whose label is not among labels is not counted.
func NewNB(labels []string, alpha float64, docs []Doc, vocab int, post func(token string) []int32) *NB {
	if alpha <= 0 {
		alpha = 0.1
	}
	ls := append([]string(nil), labels...)
	sort.Strings(ls)
	li := map[string]int{}
	for i, l := range ls {
		li[l] = i
	}
	m := &NB{Alpha: alpha, labels: ls, groups: map[string]int{}, label: make([]int32, len(docs)), group: make([]int32, len(docs)),
		labelDocs: make([]float64, len(ls)), vocab: float64(vocab), post: post}
	for i, d := range docs {
		g, ok := m.groups[d.Group]
		if !ok {
			g = len(m.docs)
			m.groups[d.Group] = g
			m.docs = append(m.docs, make([]float64, len(ls)))
			m.toks = append(m.toks, make([]float64, len(ls)))
		}
		m.group[i] = int32(g)
		l, ok := li[d.Label]
		if !ok {
			m.label[i] = -1
			continue
		}
		m.label[i] = int32(l)
		m.docs[g][l]++
		m.toks[g][l] += float64(d.Tokens)
		m.labelDocs[l]++
	}
	return m
}

// Labels returns the labels in the order Posterior reports them.
func (m *NB) Labels() []string { return m.labels }

// count adds to c, per label, the documents that use token, leaving out group x (-1: none); it reports
// whether any document uses the token.
func (m *NB) count(token string, x int, c []float64) bool { return m.countDocs(m.post(token), x, c) }

func (m *NB) countDocs(ds []int32, x int, c []float64) bool {
	for _, d := range ds {
		if l := m.label[d]; l >= 0 && int(m.group[d]) != x {
			c[l]++
		}
	}
	return len(ds) > 0
}

// Posterior returns P(label | tokens) for every label (in Labels order), leaving out the documents of
// the group named in exclude ("" leaves out nothing). Tokens never seen are ignored; with none seen the
// posterior is the label prior. Priors are flattened (documents per label, square-rooted) so that the
// mix of the training data weighs less than the words, and the log-likelihood is divided by the square
// root of the tokens seen, so that a long contract is not certain of its label on boilerplate alone.
func (m *NB) Posterior(tokens []string, exclude string) []float64 {
	n := len(m.labels)
	x, hasX := m.groups[exclude]
	if !hasX {
		x = -1
	}
	docs := make([]float64, n)
	toks := make([]float64, n)
	for g := range m.docs {
		if g == x {
			continue
		}
		for l := 0; l < n; l++ {
			docs[l] += m.docs[g][l]
			toks[l] += m.toks[g][l]
		}
	}
	denom := make([]float64, n)
	for l := range denom {
		denom[l] = math.Log(toks[l] + m.Alpha*m.vocab)
	}
	ll := make([]float64, n)
	c := make([]float64, n)
	logAlpha := math.Log(0 + m.Alpha) // a label that never used the token: most labels, for most tokens
	seen := 0
	for _, t := range tokens {
		clear(c)
		if !m.count(t, x, c) {
			continue
		}
		seen++
		for l := 0; l < n; l++ {
			if c[l] == 0 {
				ll[l] += logAlpha - denom[l]
			} else {
				ll[l] += math.Log(c[l]+m.Alpha) - denom[l]
			}
		}
	}
	lp := make([]float64, n)
	for l := 0; l < n; l++ {
		s := ll[l]
		if seen > 0 {
			s /= math.Sqrt(float64(seen))
		}
		lp[l] = 0.5*math.Log(docs[l]+1) + s
	}
	return softmax(lp, 1)
}

// Lean reports how a token's use spreads over the labels: how many documents use it, and the share of
// its use (per label, relative to the label's documents) that its most-using label has — near 1 for a
// token of one label, near 1/len(Labels) for one that every label uses alike. buf, if it has room for
// one count per label, is used as scratch space.
func (m *NB) Lean(token string, buf []float64) (count, top float64) {
	return m.LeanDocs(m.post(token), buf)
}

// LeanDocs is Lean for a token given as the documents that use it (its postings).
func (m *NB) LeanDocs(docs []int32, buf []float64) (count, top float64) {
	per := buf
	if len(per) < len(m.labels) {
		per = make([]float64, len(m.labels))
	}
	per = per[:len(m.labels)]
	clear(per)
	if !m.countDocs(docs, -1, per) {
		return 0, 0
	}
	sum := 0.0
	for l, c := range per {
		if c == 0 {
			continue
		}
		count += c
		r := c / math.Max(m.labelDocs[l], 1)
		sum += r
		top = math.Max(top, r)
	}
	return count, top / sum
}
