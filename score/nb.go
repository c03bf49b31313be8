package score

import (
	"math"
	"sort"
)

// NB is a multinomial naive Bayes over tokens with add-α smoothing, its counts kept per group (an author
// of the coding index), so that a group can be left out at query time for leave-one-group-out features.
type NB struct {
	Alpha  float64
	labels []string
	li     map[string]int
	groups map[string]*nbCounts
	total  *nbCounts
	vocab  map[string]bool
}

type nbCounts struct {
	docs   []float64            // per label
	tokens []float64            // per label
	tok    map[string][]float64 // token → per label
}

func newCounts(n int) *nbCounts {
	return &nbCounts{docs: make([]float64, n), tokens: make([]float64, n), tok: map[string][]float64{}}
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
	return &NB{Alpha: alpha, labels: ls, li: li, groups: map[string]*nbCounts{}, total: newCounts(len(ls)), vocab: map[string]bool{}}
}

// Labels returns the labels in the order Posterior reports them.
func (m *NB) Labels() []string { return m.labels }

// Add counts one document of a group; an unknown label is ignored.
func (m *NB) Add(group, label string, tokens []string) {
	i, ok := m.li[label]
	if !ok {
		return
	}
	g := m.groups[group]
	if g == nil {
		g = newCounts(len(m.labels))
		m.groups[group] = g
	}
	for _, c := range []*nbCounts{g, m.total} {
		c.docs[i]++
		for _, t := range tokens {
			row := c.tok[t]
			if row == nil {
				row = make([]float64, len(m.labels))
				c.tok[t] = row
			}
			row[i]++
			c.tokens[i]++
		}
	}
	for _, t := range tokens {
		m.vocab[t] = true
	}
}

// Posterior returns P(label | tokens) for every label (in Labels order), leaving out the counts of the
// group named in exclude ("" leaves out nothing). Tokens never seen are ignored; with none seen the
// posterior is the label prior. Priors are flattened (documents per label, square-rooted) so that the
// mix of the training data weighs less than the words, and the log-likelihood is divided by the square
// root of the tokens seen, so that a long contract is not certain of its label on boilerplate alone.
func (m *NB) Posterior(tokens []string, exclude string) []float64 {
	n := len(m.labels)
	x := m.groups[exclude]
	lp := make([]float64, n)
	v := float64(len(m.vocab))
	for i := 0; i < n; i++ {
		docs, toks := m.total.docs[i], m.total.tokens[i]
		if x != nil {
			docs -= x.docs[i]
			toks -= x.tokens[i]
		}
		denom := math.Log(toks + m.Alpha*v)
		ll, seen := 0.0, 0
		for _, t := range tokens {
			row := m.total.tok[t]
			if row == nil {
				continue
			}
			seen++
			c := row[i]
			if x != nil {
				if xr := x.tok[t]; xr != nil {
					c -= xr[i]
				}
			}
			ll += math.Log(c+m.Alpha) - denom
		}
		if seen > 0 {
			ll /= math.Sqrt(float64(seen))
		}
		lp[i] = 0.5*math.Log(docs+1) + ll
	}
	return softmax(lp, 1)
}
