package corpus

import (
	"fmt"
	"strings"
)

// Routes: what an input to fenlei is.
const (
	RouteDescription = "description" // a service to classify, even one phrased as a question ("做X算哪类？")
	RouteQuestion    = "question"    // a question about the guidance itself
	RouteFollowup    = "followup"    // a turn that refers to an earlier answer ("为什么不是 I13？")
)

// Routes is the closed set of routes, in a fixed order.
var Routes = []string{RouteDescription, RouteFollowup, RouteQuestion}

// RoutingExample is one labelled input: written by independent authors from the guidance alone, one file
// each (corpus/routing/<author>.jsonl), under the rules of the routing authoring brief.
type RoutingExample struct {
	Text   string `json:"text"`
	Route  string `json:"route"`
	Lang   string `json:"lang"`   // zh, zh-Hant, en or mixed
	Author string `json:"author"` // the file's author id
	Line   int    `json:"-"`      // 1-based line in its file
}

// RoutingExamples loads and validates the routing examples (every corpus/routing/*.jsonl, read from the
// source tree like the coding index), in file then line order, without the lines corpus/withdrawn.tsv
// lists. See ParseRouting for what is checked.
func RoutingExamples() ([]RoutingExample, error) {
	fsys, err := trainingFS()
	if err != nil {
		return nil, err
	}
	return loadAuthored("corpus.RoutingExamples", fsys, "routing", false, ParseRouting)
}

// ParseRouting strictly parses one author's JSON lines: unknown or missing fields, a route or lang
// outside the closed sets, an author other than the file's, an empty or repeated text or a blank line are
// errors naming the line.
func ParseRouting(data []byte, author string) ([]RoutingExample, error) {
	dup := map[string]int{}
	return parseJSONLines(data, func(n int, e *RoutingExample) error {
		e.Line = n
		switch {
		case strings.TrimSpace(e.Text) == "":
			return fmt.Errorf("empty text")
		case dup[e.Text] != 0:
			return fmt.Errorf("the same text as line %d", dup[e.Text])
		case !contains(Routes, e.Route):
			return fmt.Errorf("route %q not one of %v", e.Route, Routes)
		case !contains(Langs, e.Lang):
			return fmt.Errorf("lang %q not one of %v", e.Lang, Langs)
		case e.Author != author:
			return fmt.Errorf("author %q in a file of %q", e.Author, author)
		}
		dup[e.Text] = n
		return nil
	})
}
