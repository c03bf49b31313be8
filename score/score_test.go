package score

import (
	"encoding/json"
	"math"
	"testing"
)

// examples where label "a" wins when feature 0 is high and "b" when feature 1 is.
func toy() []Example {
	var out []Example
	for i := 0; i < 40; i++ {
		x := float64(i%10) / 10
		ex := Example{Labels: []string{"a", "b", "c"}, Features: [][]float64{{x, 0}, {0, 1 - x}, {0.1, 0.1}}}
		if x >= 0.5 {
			ex.Gold = 0
		} else {
			ex.Gold = 1
		}
		out = append(out, ex)
	}
	return out
}

func TestFitLearnsAndIsDeterministic(t *testing.T) {
	m1, err := Fit([]string{"f0", "f1"}, toy(), FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := Fit([]string{"f0", "f1"}, toy(), FitOptions{})
	b1, _ := json.Marshal(m1)
	b2, _ := json.Marshal(m2)
	if string(b1) != string(b2) {
		t.Fatalf("two fits differ:\n%s\n%s", b1, b2)
	}
	if m1.W[0] <= 0 || m1.W[1] <= 0 {
		t.Errorf("weights %v: both features should count for their label", m1.W)
	}
	right := 0
	for _, ex := range toy() {
		p := m1.Probs(ex.Labels, ex.Features)
		best := 0
		for i := range p {
			if p[i] > p[best] {
				best = i
			}
		}
		if best == ex.Gold {
			right++
		}
		sum := 0.0
		for _, v := range p {
			sum += v
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Fatalf("probabilities sum to %v", sum)
		}
	}
	if right < 36 {
		t.Errorf("%d of 40 right on separable data", right)
	}
}

func TestFitRejectsBadExamples(t *testing.T) {
	for name, exs := range map[string][]Example{
		"none":       nil,
		"gold range": {{Labels: []string{"a"}, Features: [][]float64{{1}}, Gold: 3}},
		"short row":  {{Labels: []string{"a", "b"}, Features: [][]float64{{1}, {}}, Gold: 0}},
	} {
		if _, err := Fit([]string{"f"}, exs, FitOptions{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFitTemperature(t *testing.T) {
	// Overconfident scores (right only 60 % of the time at near-certainty) need a temperature above 1.
	var scores [][]float64
	var gold []int
	for i := 0; i < 100; i++ {
		scores = append(scores, []float64{8, 0})
		if i%5 < 3 {
			gold = append(gold, 0)
		} else {
			gold = append(gold, 1)
		}
	}
	if tt := FitTemperature(scores, gold); tt <= 1 {
		t.Errorf("temperature %v for overconfident scores, want > 1", tt)
	}
}

func TestNBLeavesGroupOut(t *testing.T) {
	// four documents and their tokens, as an inverted index would hold them
	docs := []Doc{{"x", "g1", 2}, {"x", "g1", 2}, {"y", "g2", 2}, {"y", "g3", 1}}
	post := map[string][]int32{"软件": {0, 1, 3}, "开发": {0}, "测试": {1}, "保洁": {2}, "物业": {2}} // only g3 ties 软件 to y
	nb := NewNB([]string{"x", "y"}, 0.1, docs, len(post), func(t string) []int32 { return post[t] })
	p := nb.Posterior([]string{"软件"}, "")
	if p[0] <= p[1] {
		t.Errorf("P(x|软件) = %v, want > P(y|软件) = %v", p[0], p[1])
	}
	p = nb.Posterior([]string{"软件"}, "g1") // without g1, 软件 is only ever y
	if p[1] <= p[0] {
		t.Errorf("leaving g1 out: P(y|软件) = %v, want > P(x|软件) = %v", p[1], p[0])
	}
	if p := nb.Posterior([]string{"从未见过"}, ""); math.Abs(p[0]+p[1]-1) > 1e-9 {
		t.Errorf("unseen tokens: %v, want a distribution", p)
	}
	if n, top := nb.Lean("软件", nil); n != 3 || top <= 0.5 || top >= 1 {
		t.Errorf("Lean(软件) = %v, %v: want 3 documents, leaning to x but not only", n, top)
	}
	if n, top := nb.Lean("保洁", make([]float64, 2)); n != 1 || top != 1 {
		t.Errorf("Lean(保洁) = %v, %v: want 1 document, only y", n, top)
	}
}
