package corpus

import (
	"strings"
	"testing"
)

func questionIndex(t *testing.T) []Question {
	t.Helper()
	qs, err := load(t).QuestionIndex()
	if err != nil {
		t.Fatalf("QuestionIndex: %v", err)
	}
	return qs
}

// The question index's mix: several independent authors, every kind, a good share of English, and
// passages from every part of the guidance a question can be about.
func TestQuestionIndexCoverage(t *testing.T) {
	qs := questionIndex(t)
	kinds, authors := map[string]int{}, map[string]int{}
	english := 0
	needs := map[string]bool{}
	for _, q := range qs {
		kinds[q.Kind]++
		authors[q.Author]++
		if q.Lang == "en" {
			english++
		}
		for _, r := range q.Needs {
			needs[strings.SplitN(r, ".", 2)[0]] = true
		}
	}
	t.Logf("%d questions by %v; kinds %v; %d English", len(qs), authors, kinds, english)
	if len(authors) < 3 {
		t.Errorf("%d authors, want ≥ 3", len(authors))
	}
	if english*4 < len(qs) {
		t.Errorf("%d English questions of %d, want ≥ 25 %%", english, len(qs))
	}
	for _, k := range QuestionKinds {
		if kinds[k] < 15 {
			t.Errorf("kind %s: %d questions, want ≥ 15", k, kinds[k])
		}
	}
	for _, part := range []string{"title", "scope", "rule", "platform", "table"} {
		if !needs[part] {
			t.Errorf("no question needs a passage of %s", part)
		}
	}
}

// No question may copy a test text (see notATestSet).
func TestQuestionIndexIsNotATestSet(t *testing.T) {
	var texts []trainingText
	for _, q := range questionIndex(t) {
		texts = append(texts, trainingText{file: "questionindex/" + q.Author + ".jsonl", line: q.Line, text: q.Text})
	}
	notATestSet(t, texts)
}

func TestParseQuestionIndexRejects(t *testing.T) {
	g := load(t)
	good := `{"text":"交易平台注册时要交什么？","needs":["platform.material.1","platform.material.2"],"lang":"zh","kind":"platform","author":"x"}`
	outside := `{"text":"离岸外包有税收优惠吗？","needs":[],"lang":"zh","kind":"outside","author":"x"}`
	qs, err := g.ParseQuestionIndex([]byte(good+"\n"+outside+"\n"), "x")
	if err != nil || len(qs) != 2 || qs[1].Line != 2 || qs[1].Kind != QOutside || len(qs[0].Needs) != 2 {
		t.Fatalf("good lines: %+v, %v", qs, err)
	}
	tests := []struct{ name, data, want string }{
		{"unknown field", `{"text":"a","needs":["scope.def"],"lang":"zh","kind":"scope","author":"x","id":1}`, "unknown field"},
		{"no needs", `{"text":"a","lang":"zh","kind":"scope","author":"x"}`, "no needs list"},
		{"empty needs", `{"text":"a","needs":[],"lang":"zh","kind":"scope","author":"x"}`, "at least one passage"},
		{"outside with needs", `{"text":"a","needs":["scope.def"],"lang":"zh","kind":"outside","author":"x"}`, "needs no passage"},
		{"bad ref", `{"text":"a","needs":["scope.def","platform.material.99"],"lang":"zh","kind":"scope","author":"x"}`, `"platform.material.99" is not a passage`},
		{"ref twice", `{"text":"a","needs":["scope.def","scope.def"],"lang":"zh","kind":"scope","author":"x"}`, "listed twice"},
		{"bad kind", `{"text":"a","needs":["scope.def"],"lang":"zh","kind":"tax","author":"x"}`, `kind "tax"`},
		{"bad lang", `{"text":"a","needs":["scope.def"],"lang":"fr","kind":"scope","author":"x"}`, `lang "fr"`},
		{"other author", `{"text":"a","needs":["scope.def"],"lang":"zh","kind":"scope","author":"y"}`, `author "y"`},
		{"empty text", `{"text":" ","needs":["scope.def"],"lang":"zh","kind":"scope","author":"x"}`, "empty text"},
		{"repeated text", good + "\n" + good, "line 2: the same text as line 1"},
		{"blank line", good + "\n\n" + outside, "line 2: blank line"},
		{"not json", `{"text":`, "line 1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := g.ParseQuestionIndex([]byte(tt.data), "x")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseQuestionIndex = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
