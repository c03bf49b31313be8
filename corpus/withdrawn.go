package corpus

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// withdrawnTSV lists lines of the training data (coding index, routing examples, question index) that are
// left out after review, without editing their authors' files: file, line, the first 12 hex digits of the
// SHA-256 of the line's text (so that a listed line cannot silently become another), and why.
//
//go:embed withdrawn.tsv
var withdrawnTSV string

// TextHash is how withdrawn.tsv names a text: the first 12 hex digits of its SHA-256.
func TextHash(text string) string {
	h := sha256.Sum256([]byte(text))
	return hex.EncodeToString(h[:6])
}

// withdrawal is one row of withdrawn.tsv.
type withdrawal struct {
	line int
	hash string
}

// withdrawals parses withdrawn.tsv: per file (as "questionindex/qa.jsonl"), the lines left out.
func withdrawals() (map[string][]withdrawal, error) {
	out := map[string][]withdrawal{}
	for n, row := range strings.Split(withdrawnTSV, "\n") {
		if strings.TrimSpace(row) == "" || strings.HasPrefix(row, "#") {
			continue
		}
		f := strings.Split(row, "\t")
		if len(f) != 4 || strings.TrimSpace(f[3]) == "" {
			return nil, fmt.Errorf("corpus/withdrawn.tsv line %d: want file, line, hash and reason, tab-separated", n+1)
		}
		line, err := strconv.Atoi(f[1])
		if err != nil || line < 1 {
			return nil, fmt.Errorf("corpus/withdrawn.tsv line %d: bad line number %q", n+1, f[1])
		}
		if len(f[2]) != 12 {
			return nil, fmt.Errorf("corpus/withdrawn.tsv line %d: bad hash %q", n+1, f[2])
		}
		out[f[0]] = append(out[f[0]], withdrawal{line: line, hash: f[2]})
	}
	return out, nil
}

// withdraw leaves out of one file's parsed items the lines withdrawn.tsv lists for it; a listed line that
// the file does not have, or whose text has changed, is an error.
func withdraw[T authored](file string, items []T) ([]T, error) {
	ws, err := withdrawals()
	if err != nil {
		return nil, err
	}
	if len(ws[file]) == 0 {
		return items, nil
	}
	drop := map[int]string{}
	for _, w := range ws[file] {
		drop[w.line] = w.hash
	}
	out := make([]T, 0, len(items))
	for _, it := range items {
		n, text := it.lineText()
		h, ok := drop[n]
		if !ok {
			out = append(out, it)
			continue
		}
		if h != TextHash(text) {
			return nil, fmt.Errorf("corpus/withdrawn.tsv: %s line %d has another text now (hash %s)", file, n, TextHash(text))
		}
		delete(drop, n)
	}
	for n := range drop {
		return nil, fmt.Errorf("corpus/withdrawn.tsv: %s has no line %d", file, n)
	}
	return out, nil
}
