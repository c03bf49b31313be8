package corpus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// OUT is the code of an activity the guidance does not count as service outsourcing at all.
const OUT = "OUT"

// Entry is one row of the coding index: a real-world wording of a service, the code it belongs in, and the
// passage of the guidance that decides it. Entries are written from the guidance alone by independent
// authors, one file each (corpus/codingindex/<author>.jsonl).
type Entry struct {
	Text     string `json:"text"`
	Code     string `json:"code"`     // a sub-class code (I11…K39) or OUT
	Ref      string `json:"ref"`      // the deciding passage, e.g. "I13.exclude.2"
	Lang     string `json:"lang"`     // zh, zh-Hant, en or mixed
	Register string `json:"register"` // see Registers
	Author   string `json:"author"`   // the file's author id
	Line     int    `json:"-"`        // 1-based line in its file
}

// Langs and Registers are the closed sets an entry's lang and register are drawn from.
var (
	Langs     = []string{"zh", "zh-Hant", "en", "mixed"}
	Registers = []string{"keyword", "colloquial", "question", "formal", "profile", "news", "contract", "tender", "typo"}
)

// CodingIndex loads and validates the coding index (every corpus/codingindex/*.jsonl, read from the source
// tree: see trainingFS; ErrNoTrainingData outside it), in file then line order, without the lines corpus/withdrawn.tsv lists, a wording two authors wrote kept once
// (loadAuthored). See ParseCodingIndex for what is checked.
func (g *Guidance) CodingIndex() ([]Entry, error) {
	fsys, err := trainingFS()
	if err != nil {
		return nil, err
	}
	return loadAuthored("corpus.CodingIndex", fsys, "codingindex", true, g.ParseCodingIndex)
}

// ParseCodingIndex strictly parses one author's JSON lines: unknown or missing fields, a code that is not
// a sub-class or OUT, a ref that is not a passage of the guidance, a lang or register outside the closed
// sets, an author other than the file's, an empty text or a blank line are errors naming the line.
func (g *Guidance) ParseCodingIndex(data []byte, author string) ([]Entry, error) {
	dup := map[string]bool{}
	return parseJSONLines(data, func(n int, e *Entry) error {
		e.Line = n
		if dup[e.Text] {
			return fmt.Errorf("the same text as an earlier line")
		}
		dup[e.Text] = true
		return g.validEntry(*e, author)
	})
}

// parseJSONLines strictly decodes one JSON object of type T per line (unknown fields, a blank line or two
// values on a line are errors) and checks each with check; every error names its 1-based line.
func parseJSONLines[T any](data []byte, check func(n int, v *T) error) ([]T, error) {
	var out []T
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			return nil, fmt.Errorf("line %d: blank line", n)
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		var v T
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("line %d: more than one value", n)
		}
		if err := check(n, &v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (g *Guidance) validEntry(e Entry, author string) error {
	switch {
	case strings.TrimSpace(e.Text) == "":
		return fmt.Errorf("empty text")
	case e.Author != author:
		return fmt.Errorf("author %q in a file of %q", e.Author, author)
	case !contains(Langs, e.Lang):
		return fmt.Errorf("lang %q not one of %v", e.Lang, Langs)
	case !contains(Registers, e.Register):
		return fmt.Errorf("register %q not one of %v", e.Register, Registers)
	}
	if e.Code != OUT {
		if c, ok := g.Class(e.Code); !ok || c.Level != Sub || c.Code != e.Code {
			return fmt.Errorf("code %q is not a sub-class or OUT", e.Code)
		}
	}
	if _, ok := g.Passage(e.Ref); !ok {
		return fmt.Errorf("ref %q is not a passage of the guidance", e.Ref)
	}
	return nil
}

func contains(set []string, s string) bool {
	for _, x := range set {
		if x == s {
			return true
		}
	}
	return false
}
