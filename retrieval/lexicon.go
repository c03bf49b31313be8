package retrieval

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"fenlei/corpus"
)

// expander applies the synonym lexicon to a normalised query: every lexicon term found in the query adds
// its mapped terms. Latin terms match on word boundaries, Chinese terms as substrings.
type expander struct {
	rules  map[string][]string // term → expansions
	terms  []string            // longest first
	latin  []string            // the Latin terms, longest first
	byWord map[string][]int    // indexes into latin of the terms with that first word (see firstWord)
	maxLen int                 // longest Chinese term, in runes
}

func newExpander(lex []corpus.Synonym) *expander {
	e := &expander{rules: map[string][]string{}}
	for _, s := range lex {
		for _, f := range s.From {
			for _, t := range s.To {
				if t != f {
					e.rules[f] = append(e.rules[f], t)
				}
			}
		}
	}
	for t := range e.rules {
		e.terms = append(e.terms, t)
	}
	sort.Slice(e.terms, func(i, j int) bool {
		if len(e.terms[i]) != len(e.terms[j]) {
			return len(e.terms[i]) > len(e.terms[j])
		}
		return e.terms[i] < e.terms[j]
	})
	e.byWord = map[string][]int{}
	for _, t := range e.terms {
		if isLatin(t) {
			e.byWord[firstWord(t)] = append(e.byWord[firstWord(t)], len(e.latin))
			e.latin = append(e.latin, t)
		} else if n := len([]rune(t)); n > e.maxLen {
			e.maxLen = n
		}
	}
	return e
}

// expand returns the added terms, deduplicated, in order of discovery. Chinese terms are found by forward
// maximum matching (the longest lexicon term at each position wins, so 标注 is not found inside 商标注册
// when 商标 is a term); Latin terms on word boundaries. Terms already in the query are not added again.
func (e *expander) expand(q string) []string {
	seen := map[string]bool{}
	var out []string
	addFor := func(t string) {
		for _, x := range e.rules[t] {
			if !seen[x] && !strings.Contains(q, x) {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	rs := []rune(q)
	at := make([]int, len(rs)+1) // byte offset of each rune: candidate terms are substrings of q, not copies
	for i, off := 0, 0; i < len(rs); i++ {
		at[i] = off
		off += utf8.RuneLen(rs[i])
		at[i+1] = off
	}
	for i := 0; i < len(rs); {
		// A mixed term that starts with a Latin letter or digit ("b超", "it外包") must start a word.
		if rs[i] < 0x80 && i > 0 && rs[i-1] < 0x80 && (unicode.IsLetter(rs[i-1]) || unicode.IsDigit(rs[i-1])) {
			i++
			continue
		}
		best, n := "", 0
		for n = min(e.maxLen, len(rs)-i); n >= 1; n-- { // longest first
			if t := q[at[i]:at[i+n]]; e.rules[t] != nil && !isLatin(t) {
				best = t
				break
			}
		}
		if best == "" {
			i++
			continue
		}
		addFor(best)
		i += n
	}
	// A Latin term starts on a word boundary, so the query holds its first word as a word of its own:
	// only the terms whose first word the query has are looked for.
	cand := append([]int(nil), e.byWord[""]...)
	seenWord := map[string]bool{}
	for _, w := range strings.FieldsFunc(q, func(r rune) bool { return !isWordByte(r) }) {
		if !seenWord[w] {
			seenWord[w] = true
			cand = append(cand, e.byWord[w]...)
		}
	}
	sort.Ints(cand) // longest first, as before
	for _, i := range cand {
		if contains(q, e.latin[i]) {
			addFor(e.latin[i])
		}
	}
	return out
}

// firstWord is the leading run of ASCII letters and digits of a Latin term ("" when it starts with
// another character).
func firstWord(t string) string {
	for i, r := range t {
		if !isWordByte(r) {
			return t[:i]
		}
	}
	return t
}

func isWordByte(r rune) bool { return r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) }

// contains matches a Latin term on word boundaries and any other term as a substring.
func contains(q, term string) bool {
	if !isLatin(term) {
		return strings.Contains(q, term)
	}
	for from := 0; ; {
		i := strings.Index(q[from:], term)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(term)
		if boundary(q, i-1) && boundary(q, end) {
			return true
		}
		from = i + 1
	}
}

func boundary(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return true
	}
	c := s[i]
	return !(c < 0x80 && (unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c))))
}

func isLatin(s string) bool {
	for _, r := range s {
		if r >= 0x80 {
			return false
		}
	}
	return true
}
