package score

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
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
	copy(p, softmax(p, 1))
}

// Compact returns the model without the features whose weights are all below min in absolute value, the
// others rounded to float32 precision: what TextWire stores, so that a model and its stored form answer
// alike. The router's 190,000 features are 20,000 at min 0.01.
func (m *TextModel) Compact(min float64) *TextModel {
	out := &TextModel{Labels: m.Labels, W: map[string][]float64{}, Bias: make([]float64, len(m.Bias))}
	for i, b := range m.Bias {
		out.Bias[i] = float64(float32(b))
	}
	for f, ws := range m.W {
		keep := false
		for _, w := range ws {
			keep = keep || math.Abs(w) >= min
		}
		if !keep {
			continue
		}
		r := make([]float64, len(ws))
		for i, w := range ws {
			r[i] = float64(float32(w))
		}
		out.W[f] = r
	}
	return out
}

// TextWire is the stored form of a TextModel: features sorted, weights row by row. AppendBinary writes
// it in a format of its own rather than gob, whose bytes depend on the types a process encoded before.
type TextWire struct {
	Labels   []string
	Bias     []float32
	Features []string
	W        []float32 // len(Features) × len(Labels)

	lookup *featureLookup // set by DecodeTextWire; its map is built by Index
}

// featureLookup is an optional hash of a TextWire's features, built once by Index, or by the
// hashAfter-th call of Probs or ProbsOf; until then (and for a one-shot command, which never gets there)
// features are found by binary search.
type featureLookup struct {
	once  sync.Once
	ready atomic.Bool
	calls atomic.Int32
	ids   map[string]int32
}

// hashAfter is how many texts a TextWire scores by binary search before it hashes its features: the hash
// costs a few milliseconds once and saves about a quarter of each later call.
const hashAfter = 64

// Index builds a hash of w's features, so that Probs and ProbsOf find each in constant time: worth it for a
// server (tens of thousands of features, a few milliseconds once), not for a one-shot command. Safe to call
// more than once and concurrently with Probs; a no-op on a TextWire that DecodeTextWire did not make.
func (w *TextWire) Index() {
	if w.lookup == nil {
		return
	}
	w.lookup.once.Do(func() {
		w.lookup.ids = make(map[string]int32, len(w.Features))
		for i, f := range w.Features {
			w.lookup.ids[f] = int32(i)
		}
		w.lookup.ready.Store(true)
	})
}

// counted counts a call of Probs or ProbsOf and hashes the features at the hashAfter-th.
func (w *TextWire) counted() {
	if w.lookup != nil && !w.lookup.ready.Load() && w.lookup.calls.Add(1) == hashAfter {
		w.Index()
	}
}

// feature returns the position of f in Features.
func (w *TextWire) feature(f string) (int, bool) {
	if w.lookup != nil && w.lookup.ready.Load() {
		i, ok := w.lookup.ids[f]
		return int(i), ok
	}
	return slices.BinarySearch(w.Features, f)
}

// Wire returns the stored form of m; the same model gives the same wire.
func (m *TextModel) Wire() TextWire {
	w := TextWire{Labels: m.Labels, Bias: make([]float32, len(m.Bias))}
	for i, b := range m.Bias {
		w.Bias[i] = float32(b)
	}
	for f := range m.W {
		w.Features = append(w.Features, f)
	}
	sort.Strings(w.Features)
	w.W = make([]float32, 0, len(w.Features)*len(m.Labels))
	for _, f := range w.Features {
		for _, x := range m.W[f] {
			w.W = append(w.W, float32(x))
		}
	}
	return w
}

// Check reports a wire whose sizes disagree, or whose features are not sorted and distinct.
func (w *TextWire) Check() error {
	n := len(w.Labels)
	if n == 0 || len(w.Bias) != n || len(w.W) != len(w.Features)*n {
		return fmt.Errorf("score.TextWire: %d labels, %d biases, %d weights for %d features", n, len(w.Bias), len(w.W), len(w.Features))
	}
	for i := 1; i < len(w.Features); i++ {
		if w.Features[i-1] >= w.Features[i] {
			return fmt.Errorf("score.TextWire: features not sorted at %d", i)
		}
	}
	return nil
}

// Probs returns P(label | features) in Labels order, as the TextModel it stores would; unknown
// features are ignored. Features are found by binary search: a stored model needs no map, so decoding it
// costs next to nothing.
func (w *TextWire) Probs(features []string) []float64 {
	w.counted()
	n := len(w.Labels)
	p := make([]float64, n)
	for l, b := range w.Bias {
		p[l] = float64(b)
	}
	for _, f := range features {
		if i, ok := w.feature(f); ok {
			for l, x := range w.W[i*n : (i+1)*n] {
				p[l] += float64(x)
			}
		}
	}
	return softmax(p, 1)
}

// ProbsOf is Probs for the distinct features each yields (a feature may be yielded more than once: it
// counts once), without the caller building a sorted set: the weights are summed in Features' order, so
// the result is Probs' to the last bit.
func (w *TextWire) ProbsOf(each func(add func(string))) []float64 {
	w.counted()
	var ids []int
	each(func(f string) {
		if i, ok := w.feature(f); ok {
			ids = append(ids, i)
		}
	})
	slices.Sort(ids)
	n := len(w.Labels)
	p := make([]float64, n)
	for l, b := range w.Bias {
		p[l] = float64(b)
	}
	for k, i := range ids {
		if k > 0 && ids[k-1] == i {
			continue
		}
		for l, x := range w.W[i*n : (i+1)*n] {
			p[l] += float64(x)
		}
	}
	return softmax(p, 1)
}

// AppendBinary appends w to b: counts and string lengths as uvarints, weights as little-endian float32.
func (w TextWire) AppendBinary(b []byte) []byte {
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	f32 := func(x float32) { b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x)) }
	b = binary.AppendUvarint(b, uint64(len(w.Labels)))
	for _, l := range w.Labels {
		str(l)
	}
	for _, x := range w.Bias {
		f32(x)
	}
	b = binary.AppendUvarint(b, uint64(len(w.Features)))
	for _, f := range w.Features {
		str(f)
	}
	for _, x := range w.W {
		f32(x)
	}
	return b
}

// DecodeTextWire reads a TextWire written by AppendBinary from the start of b and returns the rest of b.
func DecodeTextWire(b []byte) (TextWire, []byte, error) {
	var w TextWire
	bad := errors.New("score.DecodeTextWire: truncated or malformed")
	count := func() (int, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)) {
			return 0, false
		}
		b = b[k:]
		return int(n), true
	}
	// Strings are cut from one copy of the input: one allocation rather than one per feature.
	all := string(b)
	str := func() (string, bool) {
		n, ok := count()
		if !ok || n > len(b) {
			return "", false
		}
		at := len(all) - len(b)
		s := all[at : at+n]
		b = b[n:]
		return s, true
	}
	f32s := func(n int) ([]float32, bool) {
		if n < 0 || 4*n > len(b) {
			return nil, false
		}
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		b = b[4*n:]
		return out, true
	}
	n, ok := count()
	if !ok {
		return w, nil, bad
	}
	for range n {
		l, ok := str()
		if !ok {
			return w, nil, bad
		}
		w.Labels = append(w.Labels, l)
	}
	if w.Bias, ok = f32s(n); !ok {
		return w, nil, bad
	}
	nf, ok := count()
	if !ok {
		return w, nil, bad
	}
	w.Features = make([]string, 0, nf)
	for range nf {
		f, ok := str()
		if !ok {
			return w, nil, bad
		}
		w.Features = append(w.Features, f)
	}
	if w.W, ok = f32s(nf * n); !ok {
		return w, nil, bad
	}
	w.lookup = &featureLookup{}
	return w, b, nil
}
