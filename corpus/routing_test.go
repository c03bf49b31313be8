package corpus

import (
	"strings"
	"testing"
)

func TestRoutingExamples(t *testing.T) {
	es, err := RoutingExamples()
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range es {
		n[e.Route]++
	}
	for _, r := range Routes {
		if n[r] == 0 {
			t.Errorf("no %s examples", r)
		}
	}
}

func TestParseRoutingErrors(t *testing.T) {
	ok := `{"text": "我们做APP", "route": "description", "lang": "zh", "author": "a"}`
	tests := []struct {
		name, data, want string
	}{
		{"blank line", ok + "\n\n" + ok, "line 2: blank line"},
		{"unknown field", `{"text": "x", "route": "question", "lang": "zh", "author": "a", "code": "I11"}`, "line 1: json: unknown field"},
		{"bad route", `{"text": "x", "route": "chat", "lang": "zh", "author": "a"}`, `route "chat"`},
		{"bad lang", `{"text": "x", "route": "question", "lang": "fr", "author": "a"}`, `lang "fr"`},
		{"other author", `{"text": "x", "route": "question", "lang": "zh", "author": "b"}`, `author "b"`},
		{"empty text", `{"text": " ", "route": "question", "lang": "zh", "author": "a"}`, "empty text"},
		{"repeated text", ok + "\n" + ok, "line 2: the same text as line 1"},
		{"two values", ok + ok, "line 1: more than one value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRouting([]byte(tt.data), "a")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseRouting = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	es, err := ParseRouting([]byte(ok+"\n"), "a")
	if err != nil || len(es) != 1 || es[0].Line != 1 || es[0].Route != RouteDescription {
		t.Errorf("ParseRouting(good) = %+v, %v", es, err)
	}
}

// No routing example may copy a test text (see notATestSet).
func TestRoutingIsNotATestSet(t *testing.T) {
	es, err := RoutingExamples()
	if err != nil {
		t.Fatal(err)
	}
	var texts []trainingText
	for _, e := range es {
		texts = append(texts, trainingText{file: "routing/" + e.Author + ".jsonl", line: e.Line, text: e.Text})
	}
	notATestSet(t, texts)
}
