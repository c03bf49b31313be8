package eval

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fenlei/decision"
)

func TestLoadRoutes(t *testing.T) {
	tests := []struct {
		name, file, err string
		n               int
	}{
		{"good", "id\troute\ta\tb\nq1\tdescription\tdescription\tdescription\n# note\n\nq2\tquestion\tquestion\tdescription\n", "", 2},
		{"no header", "q1\tdescription\n", `want a header starting with "id"`, 0},
		{"unknown route", "id\troute\nq1\tfollowup\n", `route "followup" is not`, 0},
		{"duplicate", "id\troute\nq1\tquestion\nq1\tquestion\n", `duplicate id "q1" (first on line 2)`, 0},
		{"one column", "id\troute\nq1\n", "want id and route", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "routes.tsv")
			if err := os.WriteFile(p, []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := LoadRoutes(p)
			switch {
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("err = %v, want one containing %q", err, tt.err)
			case tt.err == "" && err != nil:
				t.Fatal(err)
			case len(got) != tt.n:
				t.Errorf("got %d adjudications, want %d", len(got), tt.n)
			}
		})
	}
}

// A question case adjudicated a description is routed right when it is classified, and counted as
// adjudicated; a case the file does not name keeps its type's route.
func TestApplyRoutesScoring(t *testing.T) {
	q := func(id string) Case { return Case{ID: id, Question: "question " + id, Needs: []string{"scope.def"}} }
	cases := []Case{q("a"), q("b"), q("c")}
	n := ApplyRoutes(cases, []Adjudication{{ID: "a", Route: RouteDescription}, {ID: "b", Route: RouteQuestion}, {ID: "zz", Route: RouteQuestion}})
	if n != 2 {
		t.Fatalf("ApplyRoutes set %d routes, want 2", n)
	}
	classified := decision.Decision{Kind: decision.KindClassification, Code: "OUT"}
	rep := Score([]Result{res(cases[0], classified), res(cases[1], classified), res(cases[2], classified)}, nil)
	want := RoutingScore{Adjudicated: 1, Questions: 2, QuestionsRight: 0, Descriptions: 1, DescriptionsRight: 1, DescriptionRate: 1}
	if rep.Routing != want {
		t.Errorf("Routing = %+v, want %+v", rep.Routing, want)
	}
}

// The committed routes file loads, names only cases of the committed test sets, and every adjudicated
// route is one both annotators gave (a disagreement keeps the case's type).
func TestRoutesFile(t *testing.T) {
	routes, err := LoadRoutes(filepath.Join("testdata", "routes.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]Case{}
	for _, f := range []string{"questions.jsonl", "guidance/q1.jsonl", "guidance/q2.jsonl", "guidance/q3.jsonl"} {
		cs, err := LoadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			ids[c.ID] = c
		}
	}
	for _, r := range routes {
		c, ok := ids[r.ID]
		if !ok {
			t.Errorf("%s: no such case in the test sets", r.ID)
			continue
		}
		agreed := len(r.Labels) >= 2
		for _, l := range r.Labels {
			agreed = agreed && l == r.Labels[0]
		}
		want := RouteQuestion
		if !c.IsQuestion() {
			want = RouteDescription
		}
		if agreed {
			want = r.Labels[0]
		}
		if r.Route != want {
			t.Errorf("%s: route %s, want %s (annotators %v)", r.ID, r.Route, want, r.Labels)
		}
	}
}
