package corpus

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// authored is a row of a data set written by independent authors, one file each (the coding index, the
// routing examples, the question index).
type authored interface {
	lineText() (int, string)
}

func (e Entry) lineText() (int, string)          { return e.Line, e.Text }
func (e RoutingExample) lineText() (int, string) { return e.Line, e.Text }
func (q Question) lineText() (int, string)       { return q.Line, q.Text }

// loadAuthored reads every dir/*.jsonl of fsys in name order, each parsed by parse with its author (the
// file's name), without the lines corpus/withdrawn.tsv lists, in file then line order. With dedupe, a text
// that an earlier line already has (lower case, spaces and punctuation aside) is kept once, the first
// time: two authors may write the same short wording independently, and no wording may be its own
// neighbour across authors in cross-validation. Errors start with op.
func loadAuthored[T authored](op string, fsys fs.FS, dir string, dedupe bool, parse func(data []byte, author string) ([]T, error)) ([]T, error) {
	names, err := fs.Glob(fsys, dir+"/*.jsonl")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	sort.Strings(names)
	var out []T
	seen := map[string]bool{}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		rows, err := parse(b, strings.TrimSuffix(path.Base(name), ".jsonl"))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", op, name, err)
		}
		if rows, err = withdraw(name, rows); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		for _, r := range rows {
			if dedupe {
				_, text := r.lineText()
				key := squash(strings.ToLower(text))
				if seen[key] {
					continue
				}
				seen[key] = true
			}
			out = append(out, r)
		}
	}
	return out, nil
}
