package corpus

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed routing/*.jsonl
var routingFS embed.FS

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

// RoutingExamples loads and validates the embedded routing examples (every corpus/routing/*.jsonl), in
// file then line order. See ParseRouting for what is checked.
func RoutingExamples() ([]RoutingExample, error) {
	names, err := fs.Glob(routingFS, "routing/*.jsonl")
	if err != nil {
		return nil, fmt.Errorf("corpus.RoutingExamples: %w", err)
	}
	sort.Strings(names)
	var out []RoutingExample
	for _, name := range names {
		b, err := routingFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("corpus.RoutingExamples: %w", err)
		}
		es, err := ParseRouting(b, strings.TrimSuffix(path.Base(name), ".jsonl"))
		if err != nil {
			return nil, fmt.Errorf("corpus.RoutingExamples: %s: %w", name, err)
		}
		out = append(out, es...)
	}
	return out, nil
}

// ParseRouting strictly parses one author's JSON lines: unknown or missing fields, a route or lang
// outside the closed sets, an author other than the file's, an empty or repeated text or a blank line are
// errors naming the line.
func ParseRouting(data []byte, author string) ([]RoutingExample, error) {
	var out []RoutingExample
	dup := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			return nil, fmt.Errorf("line %d: blank line", n)
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		var e RoutingExample
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("line %d: more than one value", n)
		}
		e.Line = n
		switch {
		case strings.TrimSpace(e.Text) == "":
			return nil, fmt.Errorf("line %d: empty text", n)
		case dup[e.Text] != 0:
			return nil, fmt.Errorf("line %d: the same text as line %d", n, dup[e.Text])
		case !contains(Routes, e.Route):
			return nil, fmt.Errorf("line %d: route %q not one of %v", n, e.Route, Routes)
		case !contains(Langs, e.Lang):
			return nil, fmt.Errorf("line %d: lang %q not one of %v", n, e.Lang, Langs)
		case e.Author != author:
			return nil, fmt.Errorf("line %d: author %q in a file of %q", n, e.Author, author)
		}
		dup[e.Text] = n
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
