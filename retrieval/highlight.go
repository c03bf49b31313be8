package retrieval

import (
	"strings"
	"unicode"
)

// highlightTerms are the pieces of a query that can match a passage: its CJK bigrams and Latin words,
// and those of its lexicon expansions.
func highlightTerms(query string, expanded []string) map[string]bool {
	terms := map[string]bool{}
	for _, q := range append([]string{query}, expanded...) {
		var run []rune
		flush := func() {
			for i := 0; i+1 < len(run); i++ {
				terms[string(run[i:i+2])] = true
			}
			run = run[:0]
		}
		for _, r := range q {
			if unicode.Is(unicode.Han, r) {
				run = append(run, r)
				continue
			}
			flush()
		}
		flush()
		for _, w := range strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return r >= 0x80 || !(unicode.IsLetter(r) || unicode.IsDigit(r)) }) {
			if len(w) > 1 {
				terms[w] = true
			}
		}
	}
	return terms
}

// highlight marks, in 【】, the runs of text covered by matching terms. The text between marks is the
// passage's own, so removing the marks gives back the verbatim passage.
func highlight(text string, terms map[string]bool) string {
	rs := []rune(text)
	lower := []rune(strings.ToLower(text))
	if len(lower) != len(rs) {
		lower = rs
	}
	mark := make([]bool, len(rs))
	any := false
	for i := 0; i+1 < len(rs); i++ {
		if terms[string(rs[i:i+2])] {
			mark[i], mark[i+1], any = true, true, true
		}
	}
	for i := 0; i < len(lower); {
		if lower[i] >= 0x80 || !(unicode.IsLetter(lower[i]) || unicode.IsDigit(lower[i])) {
			i++
			continue
		}
		j := i
		for j < len(lower) && lower[j] < 0x80 && (unicode.IsLetter(lower[j]) || unicode.IsDigit(lower[j])) {
			j++
		}
		if terms[string(lower[i:j])] {
			for k := i; k < j; k++ {
				mark[k] = true
			}
			any = true
		}
		i = j
	}
	if !any {
		return ""
	}
	var b strings.Builder
	for i, r := range rs {
		if mark[i] && (i == 0 || !mark[i-1]) {
			b.WriteString("【")
		}
		b.WriteRune(r)
		if mark[i] && (i == len(rs)-1 || !mark[i+1]) {
			b.WriteString("】")
		}
	}
	return b.String()
}
