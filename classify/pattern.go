package classify

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// pat is a clause pattern with a literal prefilter: the strings one of which every match contains,
// worked out from the pattern's syntax tree. A text that holds none of them cannot match, and is
// answered without running the regular expression; most clause patterns do not match most texts, and
// the prefilter is a few substring searches where the backtracking matcher was the engine's largest
// cost (BenchmarkClassify). The answers are the regular expression's own: the prefilter only skips.
//
// The regular expression is compiled on first use: with the prefilter in front, many patterns never
// run on a given process's texts, and compiling all of them was most of a cold start's set-up.
type pat struct {
	src   string
	need  []string // lower-case; nil: no such set is known and the expression always runs
	plain []string // the literals of need without ASCII letters, looked for in a text as it is
	cased []string // the others, looked for in the text with its ASCII letters lower-cased
	once  sync.Once
	re    *regexp.Regexp
}

// maxNeed bounds the literals a prefilter may hold: beyond it, checking them costs about as much as
// the match.
const maxNeed = 400

// newPat makes the pattern of src; it panics on a pattern that does not parse (clause data is checked
// by its loader, so this is a programming error, as with regexp.MustCompile).
func newPat(src string) *pat {
	p := &pat{src: src}
	tree, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		panic(fmt.Sprintf("classify: pattern %q: %v", src, err))
	}
	if set, ok := required(tree.Simplify()); ok && len(set) <= maxNeed {
		p.need = set
		for _, n := range set {
			if hasASCIILetter(n) {
				p.cased = append(p.cased, n)
			} else {
				p.plain = append(p.plain, n)
			}
		}
	}
	return p
}

// Regexp returns the compiled regular expression.
func (p *pat) Regexp() *regexp.Regexp {
	p.once.Do(func() { p.re = regexp.MustCompile(p.src) })
	return p.re
}

// String returns the source text of the pattern.
func (p *pat) String() string { return p.src }

func (p *pat) ReplaceAllString(s, repl string) string {
	if !p.possible(s) {
		return s
	}
	return p.Regexp().ReplaceAllString(s, repl)
}

func (p *pat) Split(s string, n int) []string { return p.Regexp().Split(s, n) }

// required returns literals one of which every match of re contains (lower-cased), or false when
// there are none to rely on.
func required(re *syntax.Regexp) ([]string, bool) {
	set, _, ok := literals(re)
	return set, ok
}

// literals is required, and whether every match of re is exactly one of the literals (so that the
// literals of consecutive parts of a concatenation can be joined).
func literals(re *syntax.Regexp) (set []string, exact, ok bool) {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if re.Flags&syntax.FoldCase != 0 {
			if !foldable(s) {
				return nil, false, false
			}
			s = strings.ToLower(s)
		}
		return []string{s}, true, true
	case syntax.OpCharClass:
		// a small class of runes without case: one of them
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(out) >= 16 || r >= utf8.RuneSelf && (unicode.IsUpper(r) || unicode.IsLower(r)) {
					return nil, false, false
				}
				out = append(out, strings.ToLower(string(r)))
			}
		}
		return out, len(out) > 0, len(out) > 0
	case syntax.OpCapture:
		return literals(re.Sub[0])
	case syntax.OpPlus:
		set, _, ok := literals(re.Sub[0])
		return set, false, ok
	case syntax.OpRepeat:
		if re.Min >= 1 {
			set, _, ok := literals(re.Sub[0])
			return set, false, ok
		}
	case syntax.OpConcat:
		// Runs of exact parts join into longer literals; the most telling candidate (the longest
		// shortest literal, then the fewest) is kept.
		var best, run []string
		bestLen := 0
		consider := func(set []string) {
			if l := shortest(set); set != nil && (best == nil || l > bestLen || l == bestLen && len(set) < len(best)) {
				best, bestLen = set, l
			}
		}
		allExact := true
		for _, sub := range re.Sub {
			set, ex, ok := literals(sub)
			switch {
			case ok && ex && (run == nil || len(run)*len(set) <= maxNeed):
				run = join(run, set)
			case ok && ex:
				allExact = false // the run is broken: no literal spans the whole
				consider(run)
				run = set
			default:
				allExact = false
				consider(run)
				run = nil
				if ok {
					consider(set)
				}
			}
		}
		consider(run)
		return best, allExact && best != nil, best != nil
	case syntax.OpAlternate:
		var out []string
		exact := true
		for _, sub := range re.Sub {
			set, ex, ok := literals(sub)
			if !ok {
				return nil, false, false
			}
			out = append(out, set...)
			exact = exact && ex
		}
		return out, exact, true
	}
	return nil, false, false
}

// join is every a followed by every b (b alone when a is nil).
func join(a, b []string) []string {
	if a == nil {
		return b
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return out
}

// foldable reports whether lower-casing s is a faithful case fold: ASCII letters, and runes without case.
// (Two runes outside ASCII fold to ASCII letters, the Kelvin sign to k and the long s to s: possible
// lets every text that holds one through.)
func foldable(s string) bool {
	for _, r := range s {
		if r >= utf8.RuneSelf && (unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r)) {
			return false
		}
	}
	return true
}

func shortest(set []string) int {
	n := -1
	for _, s := range set {
		if n < 0 || len(s) < n {
			n = len(s)
		}
	}
	return n
}

// possible reports whether s may match: it holds one of the required literals (or none are known).
// Literals without ASCII letters are looked for in s as it is; the others in s with its ASCII letters
// lower-cased, made only when such a literal is left to look for.
func (p *pat) possible(s string) bool {
	if p.need == nil || strings.ContainsAny(s, "\u212a\u017f") {
		return true
	}
	for _, n := range p.plain {
		if strings.Contains(s, n) {
			return true
		}
	}
	if len(p.cased) == 0 {
		return false
	}
	for _, n := range p.cased {
		if containsLowerASCII(s, n) {
			return true
		}
	}
	return false
}

// containsLowerASCII reports whether s, with its ASCII letters lower-cased (as the prefilter's literals
// are), contains n, without making that copy of s: candidates are found with strings.IndexByte on n's
// first byte in either case, then compared folding ASCII letters.
func containsLowerASCII(s, n string) bool {
	if len(n) == 0 {
		return true
	}
	c0, u0 := n[0], n[0]
	if c0 >= 'a' && c0 <= 'z' {
		u0 = c0 - ('a' - 'A')
	}
	// next finds the next c at or after i; each case's last answer is kept, so s is scanned once per case.
	nextLower, nextUpper := -1, -1
	next := func(c byte, i int, last *int) int {
		if *last >= i || *last == len(s) {
			return *last
		}
		if k := strings.IndexByte(s[i:], c); k >= 0 {
			*last = i + k
		} else {
			*last = len(s)
		}
		return *last
	}
	for i := 0; i+len(n) <= len(s); i++ {
		j := next(c0, i, &nextLower)
		if u0 != c0 {
			j = min(j, next(u0, i, &nextUpper))
		}
		if j+len(n) > len(s) {
			return false
		}
		i = j
		if equalLowerASCII(s[i:i+len(n)], n) {
			return true
		}
	}
	return false
}

// equalLowerASCII reports whether s with its ASCII letters lower-cased equals n (len(s) == len(n)).
func equalLowerASCII(s, n string) bool {
	for j := 0; j < len(n); j++ {
		c := s[j]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != n[j] {
			return false
		}
	}
	return true
}

func hasASCIILetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}

func (p *pat) MatchString(s string) bool { return p.possible(s) && p.Regexp().MatchString(s) }

func (p *pat) FindStringIndex(s string) []int {
	if !p.possible(s) {
		return nil
	}
	return p.Regexp().FindStringIndex(s)
}

func (p *pat) FindAllStringIndex(s string, n int) [][]int {
	if !p.possible(s) {
		return nil
	}
	return p.Regexp().FindAllStringIndex(s, n)
}

func (p *pat) FindStringSubmatch(s string) []string {
	if !p.possible(s) {
		return nil
	}
	return p.Regexp().FindStringSubmatch(s)
}

func (p *pat) FindAllStringSubmatch(s string, n int) [][]string {
	if !p.possible(s) {
		return nil
	}
	return p.Regexp().FindAllStringSubmatch(s, n)
}
