// Package score is fenlei's learned scorer: a conditional logit (multinomial logistic regression with
// shared weights over per-candidate features, plus a bias per label) that turns evidence about each
// candidate label into probabilities, and a multinomial naive Bayes over character bigrams and English
// words that supplies one of those features.
//
// It promises: Fit is deterministic (full-batch gradient descent in a fixed order, no randomness), so the
// same examples always give the same Model, byte for byte once marshalled; Probs returns a distribution
// over the labels it is given (non-negative, summing to 1); a Model marshals to and from JSON. The
// package knows nothing of the guidance: labels and feature names are strings given by the caller.
package score

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Example is one training example: the feature vector of every candidate label and the right label.
type Example struct {
	Labels   []string    // candidate labels, the same set for every example
	Features [][]float64 // Features[i] belongs to Labels[i]; every row has len(Model.Features)
	Gold     int         // index of the right label in Labels
}

// Model is a fitted conditional logit: score(label) = W·features(label) + Bias[label] ; P = softmax(score/T).
type Model struct {
	Version     int                `json:"version"`
	Features    []string           `json:"features"`
	W           []float64          `json:"w"`
	Bias        map[string]float64 `json:"bias"`
	Temperature float64            `json:"temperature"` // calibration, fitted on out-of-fold predictions
	Data        string             `json:"data"`        // sha256 of the training data, for the staleness test
	Examples    int                `json:"examples"`
}

// FitOptions tune Fit. The zero value uses the defaults.
type FitOptions struct {
	Iterations int     // gradient steps (default 400)
	Rate       float64 // step size (default 0.5)
	L2         float64 // ridge penalty on W and the biases (default 1e-3)
}

// Fit trains a Model on examples with the given feature names.
func Fit(features []string, examples []Example, opt FitOptions) (*Model, error) {
	if len(examples) == 0 {
		return nil, errors.New("score.Fit: no examples")
	}
	if opt.Iterations <= 0 {
		opt.Iterations = 400
	}
	if opt.Rate <= 0 {
		opt.Rate = 0.5
	}
	if opt.L2 <= 0 {
		opt.L2 = 1e-3
	}
	nf := len(features)
	labels := map[string]bool{}
	for i, ex := range examples {
		if ex.Gold < 0 || ex.Gold >= len(ex.Labels) || len(ex.Features) != len(ex.Labels) {
			return nil, fmt.Errorf("score.Fit: example %d: gold %d of %d labels, %d feature rows", i, ex.Gold, len(ex.Labels), len(ex.Features))
		}
		for j, row := range ex.Features {
			if len(row) != nf {
				return nil, fmt.Errorf("score.Fit: example %d label %d: %d features, want %d", i, j, len(row), nf)
			}
			labels[ex.Labels[j]] = true
		}
	}
	names := make([]string, 0, len(labels))
	for l := range labels {
		names = append(names, l)
	}
	sort.Strings(names)
	li := map[string]int{}
	for i, l := range names {
		li[l] = i
	}
	w := make([]float64, nf)
	b := make([]float64, len(names))
	gw := make([]float64, nf)
	gb := make([]float64, len(names))
	// Adam-free plain gradient descent with a fixed schedule: slow to write about, easy to reproduce.
	n := float64(len(examples))
	p := []float64{}
	for it := 0; it < opt.Iterations; it++ {
		clear(gw)
		clear(gb)
		for _, ex := range examples {
			p = softmaxInto(p, ex, w, b, li, 1)
			for j, row := range ex.Features {
				d := p[j]
				if j == ex.Gold {
					d -= 1
				}
				for k, v := range row {
					gw[k] += d * v
				}
				gb[li[ex.Labels[j]]] += d
			}
		}
		rate := opt.Rate / math.Sqrt(1+float64(it)/50)
		for k := range w {
			w[k] -= rate * (gw[k]/n + opt.L2*w[k])
		}
		for k := range b {
			b[k] -= rate * (gb[k]/n + opt.L2*b[k])
		}
	}
	m := &Model{Version: 1, Features: append([]string(nil), features...), W: round(w), Bias: map[string]float64{}, Temperature: 1, Examples: len(examples)}
	for i, l := range names {
		m.Bias[l] = round([]float64{b[i]})[0]
	}
	return m, nil
}

// round keeps 6 decimals, so that the marshalled model is stable and readable.
func round(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Round(x*1e6) / 1e6
	}
	return out
}

func softmaxInto(p []float64, ex Example, w, b []float64, li map[string]int, t float64) []float64 {
	p = p[:0]
	mx := math.Inf(-1)
	for j, row := range ex.Features {
		s := b[li[ex.Labels[j]]]
		for k, v := range row {
			s += w[k] * v
		}
		s /= t
		p = append(p, s)
		mx = math.Max(mx, s)
	}
	sum := 0.0
	for j := range p {
		p[j] = math.Exp(p[j] - mx)
		sum += p[j]
	}
	for j := range p {
		p[j] /= sum
	}
	return p
}

// Scores returns the raw score of each label (W·features + bias), before the softmax.
func (m *Model) Scores(labels []string, features [][]float64) []float64 {
	out := make([]float64, len(labels))
	for j, row := range features {
		s := m.Bias[labels[j]]
		for k, v := range row {
			if k < len(m.W) {
				s += m.W[k] * v
			}
		}
		out[j] = s
	}
	return out
}

// Probs returns the calibrated probability of each label: softmax(scores / Temperature).
func (m *Model) Probs(labels []string, features [][]float64) []float64 {
	t := m.Temperature
	if t <= 0 {
		t = 1
	}
	return softmax(m.Scores(labels, features), t)
}

func softmax(s []float64, t float64) []float64 {
	out := make([]float64, len(s))
	mx := math.Inf(-1)
	for _, x := range s {
		mx = math.Max(mx, x/t)
	}
	sum := 0.0
	for i, x := range s {
		out[i] = math.Exp(x/t - mx)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// FitTemperature chooses the temperature in [0.25, 4] (steps of 0.05) that minimises the negative
// log-likelihood of the gold labels under softmax(scores/T): calibration on out-of-fold predictions.
// scores[i] are a example's raw label scores and gold[i] the index of its right label.
func FitTemperature(scores [][]float64, gold []int) float64 {
	best, bestT := math.Inf(1), 1.0
	for t := 0.25; t <= 4.0001; t += 0.05 {
		nll := 0.0
		for i, s := range scores {
			p := softmax(s, t)
			nll -= math.Log(math.Max(p[gold[i]], 1e-12))
		}
		if nll < best {
			best, bestT = nll, t
		}
	}
	return math.Round(bestT*100) / 100
}
