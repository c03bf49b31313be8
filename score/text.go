package score

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// TextDoc is one training document for a TextModel: its features (strings, each counted once), its label
// and its weight (≤ 0 counts as 1).
type TextDoc struct {
	Features []string
	Label    string
	Weight   float64
}

// TextModel is a multinomial logistic regression over sparse binary features: score(label) =
// Σ W[feature][label] + Bias[label], P = softmax(score). It routes inputs (description, question,
// follow-up) from character n-grams and words.
type TextModel struct {
	Labels []string
	W      map[string][]float64
	Bias   []float64
}

// TextOptions tune FitText. The zero value uses the defaults.
type TextOptions struct {
	Epochs int     // passes over the documents (default 12)
	Rate   float64 // initial step size (default 0.2)
	L2     float64 // ridge penalty per step on the weights touched (default 1e-4)
}

// FitText trains a TextModel by stochastic gradient descent in a fixed order (a deterministic shuffle of
// the documents), so the same documents always give the same model.
func FitText(docs []TextDoc, opt TextOptions) (*TextModel, error) {
	if len(docs) == 0 {
		return nil, errors.New("score.FitText: no documents")
	}
	if opt.Epochs <= 0 {
		opt.Epochs = 12
	}
	if opt.Rate <= 0 {
		opt.Rate = 0.2
	}
	if opt.L2 <= 0 {
		opt.L2 = 1e-4
	}
	set := map[string]bool{}
	for _, d := range docs {
		if d.Label == "" {
			return nil, fmt.Errorf("score.FitText: a document without a label")
		}
		set[d.Label] = true
	}
	m := &TextModel{W: map[string][]float64{}}
	for l := range set {
		m.Labels = append(m.Labels, l)
	}
	sort.Strings(m.Labels)
	li := map[string]int{}
	for i, l := range m.Labels {
		li[l] = i
	}
	m.Bias = make([]float64, len(m.Labels))
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	// A fixed linear congruential shuffle: no randomness, but no run of one author's documents either.
	x := uint64(0x9e3779b97f4a7c15)
	for i := len(order) - 1; i > 0; i-- {
		x = x*6364136223846793005 + 1442695040888963407
		j := int((x >> 33) % uint64(i+1))
		order[i], order[j] = order[j], order[i]
	}
	p := make([]float64, len(m.Labels))
	for ep := 0; ep < opt.Epochs; ep++ {
		rate := opt.Rate / (1 + 0.5*float64(ep))
		for _, i := range order {
			d := docs[i]
			w := d.Weight
			if w <= 0 {
				w = 1
			}
			m.probsInto(p, d.Features)
			gold := li[d.Label]
			for l := range p {
				g := p[l]
				if l == gold {
					g--
				}
				g *= w * rate
				m.Bias[l] -= g
				for _, f := range d.Features {
					ws, ok := m.W[f]
					if !ok {
						ws = make([]float64, len(m.Labels))
						m.W[f] = ws
					}
					ws[l] -= g + rate*opt.L2*ws[l]
				}
			}
		}
	}
	return m, nil
}

// Probs returns P(label | features) in Labels order; unknown features are ignored.
func (m *TextModel) Probs(features []string) []float64 {
	p := make([]float64, len(m.Labels))
	m.probsInto(p, features)
	return p
}

func (m *TextModel) probsInto(p []float64, features []string) {
	copy(p, m.Bias)
	for _, f := range features {
		if ws, ok := m.W[f]; ok {
			for l, w := range ws {
				p[l] += w
			}
		}
	}
	mx := math.Inf(-1)
	for _, v := range p {
		mx = math.Max(mx, v)
	}
	sum := 0.0
	for l, v := range p {
		p[l] = math.Exp(v - mx)
		sum += p[l]
	}
	for l := range p {
		p[l] /= sum
	}
}
