package corpus

import (
	"slices"
	"strings"
	"sync"
	"unicode"
)

// Load parses the embedded guidance, once per process: every caller shares the result, which nobody
// modifies (Parse makes a fresh one).
func Load() (*Guidance, error) { return loaded() }

var loaded = sync.OnceValues(func() (*Guidance, error) { return Parse(guidanceText) })

// Source is the embedded guidance text, as shipped.
func Source() string { return guidanceText }

// Class returns the class with the given code (case-insensitive, "IT0" read as "ITO").
func (g *Guidance) Class(code string) (Class, bool) {
	i, ok := g.byCode[NormCode(code)]
	if !ok {
		return Class{}, false
	}
	return g.Classes[i], true
}

// NormCode upper-cases a code, trims it and reads "IT0" as "ITO".
func NormCode(code string) string {
	c := strings.ToUpper(strings.TrimSpace(code))
	if c == "IT0" {
		c = "ITO"
	}
	return c
}

// Subclasses returns the 45 sub-classes in document order.
func (g *Guidance) Subclasses() []Class { return g.level(Sub) }

// Middles returns the 9 middle classes in document order.
func (g *Guidance) Middles() []Class { return g.level(Middle) }

// Majors returns ITO, BPO, KPO.
func (g *Guidance) Majors() []Class { return g.level(Major) }

// level returns the classes of a level, computed once (the classifier asks on every description). The
// slice is shared and clipped: appending to it copies, and its elements must not be changed.
func (g *Guidance) level(l Level) []Class {
	g.indexOnce()
	return slices.Clip(g.levels[l])
}

// indexOnce groups the classes by level and the passages by code, once.
func (g *Guidance) indexOnce() {
	g.groupOnce.Do(func() {
		g.levels = map[Level][]Class{}
		for _, c := range g.Classes {
			g.levels[c.Level] = append(g.levels[c.Level], c)
		}
		g.ofCode = map[string][]Passage{}
		for _, p := range g.Passages {
			g.ofCode[p.Code] = append(g.ofCode[p.Code], p)
		}
	})
}

// Children returns the direct children of a class.
func (g *Guidance) Children(code string) []Class {
	code = NormCode(code)
	var out []Class
	for _, c := range g.Classes {
		if c.Parent == code {
			out = append(out, c)
		}
	}
	return out
}

// Path returns the codes from the major class down to code, e.g. [ITO I1 I11]; nil if unknown.
func (g *Guidance) Path(code string) []string {
	var path []string
	for c, ok := g.Class(code); ok; c, ok = g.Class(c.Parent) {
		path = append([]string{c.Code}, path...)
		if c.Parent == "" {
			break
		}
	}
	return path
}

// Passage returns the passage with the given ref.
func (g *Guidance) Passage(ref string) (Passage, bool) {
	i, ok := g.byRef[ref]
	if !ok {
		return Passage{}, false
	}
	return g.Passages[i], true
}

// PassagesOf returns the passages owned by a class, in document order.
//
// The result is computed once per code and shared (clipped: appending copies); its elements must not
// be changed.
func (g *Guidance) PassagesOf(code string) []Passage {
	g.indexOnce()
	return slices.Clip(g.ofCode[NormCode(code)])
}

// Verbatim reports whether quote occurs in the guidance once whitespace is removed from both.
// An empty quote is not verbatim.
func (g *Guidance) Verbatim(quote string) bool {
	q := squash(quote)
	return q != "" && strings.Contains(g.squashd, q)
}

// FindQuote returns the first passage whose text contains quote (whitespace-insensitive),
// or whose text is contained in quote.
// Markdown emphasis (*) in quote is ignored.
func (g *Guidance) FindQuote(quote string) (Passage, bool) {
	q := squash(strings.ReplaceAll(quote, "*", ""))
	if q == "" {
		return Passage{}, false
	}
	for _, p := range g.Passages {
		t := squash(p.Text)
		if strings.Contains(t, q) || (len(t) > 12 && strings.Contains(q, t)) {
			return p, true
		}
	}
	return Passage{}, false
}

func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}
