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

// indexOnce groups the classes by level and the passages by code, and finds the restated exclusions, once.
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
		g.restated = map[string][]string{}
		for _, ps := range g.ofCode {
			for _, d := range ps {
				for _, x := range ps {
					// d is in the definition, x in the list of exclusions
					if d.Kind == KindExclude && x.Kind == KindExclude && strings.HasPrefix(d.Ref, d.Code+".def.exclude.") &&
						strings.HasPrefix(x.Ref, d.Code+".exclude.") && restates(d.Text, x.Text) {
						g.restated[d.Ref] = append(g.restated[d.Ref], x.Ref)
						g.restated[x.Ref] = append(g.restated[x.Ref], d.Ref)
					}
				}
			}
		}
	})
}

// Restatements returns the exclusions of ref's class that state the same exclusion as ref: the guidance
// often says it twice, once in the definition ("但不包括电子商务代运营服务", I23.def.exclude.1) and once in
// the class's list of exclusions ("…电子商务代运营服务，应纳入 B22…", I23.exclude.3). A definition's
// exclusion and a listed one are restatements when at least 60 % of the character pairs of the shorter
// (without "(但)不包括", "应纳入…" and the closing "等") are in the other: I23, K13, K22 and B23 in the
// 2022 guidance; paraphrases sharing fewer words (B12's audit, B13's third-party services) are not found.
// Nil for a passage with none.
func (g *Guidance) Restatements(ref string) []string {
	g.indexOnce()
	return g.restated[ref]
}

// restates reports whether exclusions a and b state one exclusion (see Restatements).
func restates(a, b string) bool {
	x, y := hanPairs(exclusionCore(a)), hanPairs(exclusionCore(b))
	if len(x) > len(y) {
		x, y = y, x
	}
	shared := 0
	for p := range x {
		if y[p] {
			shared++
		}
	}
	return len(x) > 0 && float64(shared) >= 0.6*float64(len(x))
}

// exclusionCore is an exclusion's matter: without "(但)不包括", a redirect ("，应纳入 …") and a closing "等".
func exclusionCore(s string) string {
	s = strings.Join(strings.Fields(s), "")
	s = strings.TrimPrefix(s, "但")
	s = strings.TrimPrefix(s, "不包括")
	if i := strings.Index(s, "应纳入"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimRight(s, "。；;，,")
	return strings.TrimSuffix(s, "等")
}

// hanPairs is the set of adjacent pairs of Han characters in s.
func hanPairs(s string) map[string]bool {
	out := map[string]bool{}
	var prev rune
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			if prev != 0 {
				out[string(prev)+string(r)] = true
			}
			prev = r
		} else {
			prev = 0
		}
	}
	return out
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
