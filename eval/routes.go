package eval

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
)

// The routes a case can be adjudicated to (Case.Route).
const (
	RouteDescription = "description"
	RouteQuestion    = "question"
)

// Adjudication is one case's adjudicated route: the route scored (Route) and each annotator's label.
type Adjudication struct {
	ID, Route string
	// Labels are the annotators' routes, in the file's column order.
	Labels []string
}

// LoadRoutes reads a routes file: tab-separated, a header line starting with "id", then one line per
// case: id, the adjudicated route ("description" or "question"), then each annotator's route. Blank
// lines and lines starting with "#" are skipped. Errors name the file and line: an unknown route, a
// duplicate id, a missing column.
//
// The file records how independent annotators, blind to the engine's answers, routed a test set's
// inputs by the routing rules (a question set's "我们做X，算不算B3？" is a description by those rules); see
// eval/testdata/routes.tsv.
func LoadRoutes(path string) ([]Adjudication, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval.LoadRoutes: %w", err)
	}
	var out []Adjudication
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line, header := 0, false
	for sc.Scan() {
		line++
		t := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(t) == "" || strings.HasPrefix(t, "#") {
			continue
		}
		f := strings.Split(t, "\t")
		if !header {
			if f[0] != "id" {
				return nil, fmt.Errorf("eval.LoadRoutes: %s:%d: want a header starting with \"id\", got %q", path, line, f[0])
			}
			header = true
			continue
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("eval.LoadRoutes: %s:%d: want id and route, tab-separated", path, line)
		}
		a := Adjudication{ID: strings.TrimSpace(f[0]), Route: strings.TrimSpace(f[1])}
		for _, l := range f[2:] {
			a.Labels = append(a.Labels, strings.TrimSpace(l))
		}
		if a.Route != RouteDescription && a.Route != RouteQuestion {
			return nil, fmt.Errorf("eval.LoadRoutes: %s:%d: route %q is not %q or %q", path, line, a.Route, RouteDescription, RouteQuestion)
		}
		if first := seen[a.ID]; first != 0 {
			return nil, fmt.Errorf("eval.LoadRoutes: %s:%d: duplicate id %q (first on line %d)", path, line, a.ID, first)
		}
		seen[a.ID] = line
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("eval.LoadRoutes: %s: %w", path, err)
	}
	return out, nil
}

// ApplyRoutes sets the Route of every case that routes adjudicates and returns how many it set. Ids of
// routes that no case has are ignored: one routes file serves several case files.
func ApplyRoutes(cases []Case, routes []Adjudication) int {
	by := make(map[string]string, len(routes))
	for _, r := range routes {
		by[r.ID] = r.Route
	}
	n := 0
	for i := range cases {
		if r, ok := by[cases[i].ID]; ok {
			cases[i].Route = r
			n++
		}
	}
	return n
}
