package score

import (
	"math"
	"sort"
)

// NB is a multinomial naive Bayes over tokens with add-α smoothing, its counts kept per group (an author
// of the coding index), so that a group can be left out at query time for leave-one-group-out features.
// Counts are sparse: a token keeps only the labels and groups that used it.
type NB struct {
	Alpha  float64
	labels []string
	li     map[string]int
	groups map[string]int
	docs   [][]float64 // [group][label]
	toks   [][]float64 // [group][label]
	tok    map[string][]nbCount
	// labelDocs caches documents per label for Lean (nil until first asked; Add resets it).
	labelDocs []float64
}

// nbCount is one token's count for one label in one group.
type nbCount struct {
	label, group int32
	n            float64
}

// NewNB returns an empty model over the given labels (α = 0.1 when alpha ≤ 0).
func NewNB(labels []string, alpha float64) *NB {
	if alpha <= 0 {
		alpha = 0.1
	}
	ls := append([]string(nil), labels...)
	sort.Strings(ls)
	li := map[string]int{}
	for i, l := range ls {
		li[l] = i
	}
	return &NB{Alpha: alpha, labels: ls, li: li, groups: map[string]int{}, tok: map[string][]nbCount{}}
}

// Labels returns the labels in the order Posterior reports them.
func (m *NB) Labels() []string { return m.labels }

// Add counts one document of a group; an unknown label is ignored.
func (m *NB) Add(group, label string, tokens []string) {
	l, ok := m.li[label]
	if !ok {
		return
	}
	g, ok := m.groups[group]
	if !ok {
		g = len(m.docs)
		m.groups[group] = g
		m.docs = append(m.docs, make([]float64, len(m.labels)))
		m.toks = append(m.toks, make([]float64, len(m.labels)))
	}
	m.docs[g][l]++
	m.labelDocs = nil
	for _, t := range tokens {
		m.toks[g][l]++
		cs := m.tok[t]
		found := false
		for i := range cs {
			if cs[i].label == int32(l) && cs[i].group == int32(g) {
				cs[i].n++
				found = true
				break
			}
		}
		if !found {
			m.tok[t] = append(cs, nbCount{label: int32(l), group: int32(g), n: 1})
		}
	}
}

// Posterior returns P(label | tokens) for every label (in Labels order), leaving out the counts of the
// group named in exclude ("" leaves out nothing). Tokens never seen are ignored; with none seen the
// posterior is the label prior. Priors are flattened (documents per label, square-rooted) so that the
// mix of the training data weighs less than the words, and the log-likelihood is divided by the square
// root of the tokens seen, so that a long contract is not certain of its label on boilerplate alone.
func (m *NB) Posterior(tokens []string, exclude string) []float64 {
	n := len(m.labels)
	x, hasX := m.groups[exclude]
	docs := make([]float64, n)
	toks := make([]float64, n)
	for g := range m.docs {
		if hasX && g == x {
			continue
		}
		for l := 0; l < n; l++ {
			docs[l] += m.docs[g][l]
			toks[l] += m.toks[g][l]
		}
	}
	v := float64(len(m.tok))
	denom := make([]float64, n)
	for l := range denom {
		denom[l] = math.Log(toks[l] + m.Alpha*v)
	}
	ll := make([]float64, n)
	c := make([]float64, n)
	seen := 0
	for _, t := range tokens {
		cs, ok := m.tok[t]
		if !ok {
			continue
		}
		seen++
		clear(c)
		for _, k := range cs {
			if hasX && int(k.group) == x {
				continue
			}
			c[k.label] += k.n
		}
		for l := 0; l < n; l++ {
			ll[l] += math.Log(c[l]+m.Alpha) - denom[l]
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

// Lean reports how a token's use spreads over the labels: how many times it was counted, and the share
// of its use (per label, relative to the label's documents) that its most-using label has — near 1 for a
// token of one label, near 1/len(Labels) for one that every label uses alike.
func (m *NB) Lean(token string) (count, top float64) {
	cs := m.tok[token]
	if len(cs) == 0 {
		return 0, 0
	}
	if m.labelDocs == nil {
		m.labelDocs = make([]float64, len(m.labels))
		for g := range m.docs {
			for l, d := range m.docs[g] {
				m.labelDocs[l] += d
			}
		}
	}
	per := make([]float64, len(m.labels))
	for _, k := range cs {
		per[k.label] += k.n
		count += k.n
	}
	sum := 0.0
	for l, c := range per {
		if c == 0 {
			continue
		}
		r := c / math.Max(m.labelDocs[l], 1)
		sum += r
		top = math.Max(top, r)
	}
	return count, top / sum
}

// Vocabulary calls f for every token counted.
func (m *NB) Vocabulary(f func(token string)) {
	for t := range m.tok {
		f(t)
	}
}
