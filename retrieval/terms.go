package retrieval

import (
	"sort"
	"strings"
)

// Terms are the index terms of a text, each once, sorted: its CJK bigrams (a lone CJK character between
// non-CJK ones is a term of its own) and its Latin words and numbers, lower-cased and width-folded
// (Normalize). The coding index's neighbours and the classifier's naive Bayes both read texts as Terms.
func Terms(text string) []string {
	set := termSet(Normalize(text))
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// termCounts counts the index terms of an already normalised text.
func termCounts(norm string, add func(string)) {
	var run []rune
	flush := func() {
		if len(run) == 1 {
			add(string(run))
		}
		for i := 0; i+1 < len(run); i++ {
			add(string(run[i : i+2]))
		}
		run = run[:0]
	}
	var word strings.Builder
	endWord := func() {
		if word.Len() > 0 {
			add(word.String())
			word.Reset()
		}
	}
	for _, r := range norm {
		switch {
		case r >= 0x3400 && r <= 0x9FFF:
			endWord()
			run = append(run, r)
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
			flush()
			word.WriteRune(r)
		default:
			flush()
			endWord()
		}
	}
	flush()
	endWord()
}

func termSet(norm string) map[string]bool {
	set := map[string]bool{}
	termCounts(norm, func(t string) { set[t] = true })
	return set
}
