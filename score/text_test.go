package score

import (
	"bytes"
	"math"
	"reflect"
	"testing"
)

func TestFitText(t *testing.T) {
	docs := []TextDoc{
		{Features: []string{"what", "is", "?"}, Label: "question"},
		{Features: []string{"define", "?"}, Label: "question"},
		{Features: []string{"we", "build", "apps"}, Label: "description"},
		{Features: []string{"we", "run", "payroll"}, Label: "description", Weight: 2},
	}
	m, err := FitText(docs, TextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"description", "question"}; !reflect.DeepEqual(m.Labels, want) {
		t.Fatalf("Labels = %v, want %v", m.Labels, want)
	}
	tests := []struct {
		name     string
		features []string
		want     int
	}{
		{"question words", []string{"what", "?"}, 1},
		{"description words", []string{"we", "build"}, 0},
		{"unknown words and a known one", []string{"zzz", "payroll"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := m.Probs(tt.features)
			if s := p[0] + p[1]; math.Abs(s-1) > 1e-9 || p[0] < 0 || p[1] < 0 {
				t.Fatalf("Probs = %v, not a distribution", p)
			}
			if p[tt.want] <= 0.5 {
				t.Errorf("Probs(%v) = %v, want %s most likely", tt.features, p, m.Labels[tt.want])
			}
		})
	}
	again, err := FitText(docs, TextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, again) {
		t.Errorf("FitText is not deterministic")
	}
	if _, err := FitText(nil, TextOptions{}); err == nil {
		t.Errorf("FitText(nil) = nil error, want one")
	}
	if _, err := FitText([]TextDoc{{Features: []string{"x"}}}, TextOptions{}); err == nil {
		t.Errorf("FitText(no label) = nil error, want one")
	}
}

// A compacted model keeps the features that matter and answers as before, near enough; its stored form
// answers exactly as it does.
func TestTextCompactWire(t *testing.T) {
	docs := []TextDoc{
		{Features: []string{"a", "x"}, Label: "one"}, {Features: []string{"a", "y"}, Label: "one"},
		{Features: []string{"b", "x"}, Label: "two"}, {Features: []string{"b", "z"}, Label: "two"},
	}
	m, err := FitText(docs, TextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m.W["noise"] = []float64{1e-4, -1e-4}
	c := m.Compact(0.01)
	if _, ok := c.W["noise"]; ok {
		t.Errorf("a feature with weights below min was kept")
	}
	if _, ok := c.W["a"]; !ok {
		t.Errorf("a deciding feature was dropped")
	}
	back := c.Wire()
	if err := back.Check(); err != nil {
		t.Fatal(err)
	}
	for _, fs := range [][]string{{"a"}, {"b", "x"}, {"z", "unknown"}} {
		p, pc, pb := m.Probs(fs), c.Probs(fs), back.Probs(fs)
		for i := range p {
			if math.Abs(p[i]-pc[i]) > 0.01 || pc[i] != pb[i] {
				t.Errorf("%v: probs %v, compact %v, stored %v", fs, p, pc, pb)
			}
		}
	}
	bad := c.Wire()
	bad.W = bad.W[1:]
	if err := bad.Check(); err == nil {
		t.Errorf("a wire with a weight missing passes Check")
	}
	unsorted := c.Wire()
	unsorted.Features[0], unsorted.Features[1] = unsorted.Features[1], unsorted.Features[0]
	if err := unsorted.Check(); err == nil {
		t.Errorf("a wire with unsorted features passes Check")
	}
	// The binary form: the same bytes for the same model, read back whole, the rest of the input left.
	b := c.Wire().AppendBinary(nil)
	if !bytes.Equal(b, c.Wire().AppendBinary(nil)) {
		t.Errorf("two encodings of one model differ")
	}
	w, rest, err := DecodeTextWire(append(b, "tail"...))
	probe := []string{"w:payroll", "?", "no such feature"}
	before := w.Probs(probe)
	w.Index() // the hash finds the same features as the binary search
	if after := w.Probs(probe); !reflect.DeepEqual(before, after) {
		t.Errorf("Probs with the feature hash %v, without %v", after, before)
	}
	w.lookup = nil // what the stored form holds
	if err != nil || string(rest) != "tail" || !reflect.DeepEqual(w, c.Wire()) {
		t.Errorf("DecodeTextWire = %+v, rest %q, %v; want %+v", w, rest, err, c.Wire())
	}
	for n := range len(b) {
		if _, _, err := DecodeTextWire(b[:n]); err == nil {
			t.Fatalf("the first %d of %d bytes decode", n, len(b))
		}
	}
}
