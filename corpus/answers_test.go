package corpus

import (
	"strings"
	"testing"
)

func TestLoadAnswers(t *testing.T) {
	g, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	a, err := g.LoadAnswers()
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Answers) == 0 || len(a.NotCovered) == 0 {
		t.Errorf("LoadAnswers = %d answers, %d not-covered topics", len(a.Answers), len(a.NotCovered))
	}
}

func TestParseAnswersErrors(t *testing.T) {
	g, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, yaml, want string }{
		{"unknown field", "answer: []", "field answer not found"},
		{"unknown ref", "answers: [{refs: [nope.1], zh: 甲, en: a}]", `"nope.1"`},
		{"missing en", "answers: [{refs: [scope.def], zh: 甲}]", "refs, zh and en are required"},
		{"same caller", "answers: [{refs: [scope.def], zh: 甲, en: a}, {refs: [scope.def], zh: 乙, en: b}]", "called by scope.def"},
		{"covered topic", "not_covered: [交易平台]", `"交易平台" is a word of the guidance`},
		{"bad pattern", "patterns: {x: '('}", "patterns.x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := g.ParseAnswers([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseAnswers = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
