package score

import (
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
