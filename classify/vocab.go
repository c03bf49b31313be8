package classify

import (
	"fmt"
	"strings"
	"sync"

	"fenlei/corpus"
)

// voc is the rule layer's clause data (corpus/clauses.yaml), compiled once. The data is embedded and
// checked by `go test ./corpus` and again by New against the guidance; a defect fails at start-up the way
// a bad regexp.MustCompile would.
var voc = mustVocab()

type vocab struct {
	clauses *corpus.Clauses
	pats    map[string]*pat
	Anchors []corpus.Domain
	Repair  []corpus.Domain
}

func mustVocab() *vocab {
	c, err := corpus.LoadClauses()
	if err != nil {
		panic(fmt.Sprintf("classify: %v", err))
	}
	v := &vocab{clauses: c, pats: map[string]*pat{}, Anchors: c.Anchors, Repair: c.Repair}
	for name, p := range c.Patterns {
		v.pats[name] = compile(p)
	}
	return v
}

// compile makes a clause pattern case-insensitive, with its literal prefilter; patterns were checked by
// the loader. A pattern used in several clauses is made once.
func compile(p string) *pat {
	if c, ok := compiled.Load(p); ok {
		return c.(*pat)
	}
	c, _ := compiled.LoadOrStore(p, newPat(`(?i)`+p))
	return c.(*pat)
}

var compiled sync.Map // clause pattern source → *pat

// re returns the named pattern; a name missing from the data is a programming error.
func (v *vocab) re(name string) *pat {
	p, ok := v.pats[name]
	if !ok {
		panic("classify: no pattern " + name + " in corpus/clauses.yaml")
	}
	return p
}

// scopeClause is a compiled corpus.ScopeClause: an activity that the guidance puts outside service
// outsourcing, with the clauses that say so. It fires when the description names the activity as what is
// delivered (When) and does not describe a service around it that the guidance does count (Unless).
type scopeClause struct {
	Name, NameEN string
	When, Unless *pat
	Refs         []string
}

func loadScope() []scopeClause {
	var out []scopeClause
	for _, c := range voc.clauses.Scope {
		sc := scopeClause{Name: c.Name, NameEN: c.NameEN, When: compile(c.When), Refs: c.Refs}
		if c.Unless != "" {
			sc.Unless = compile(c.Unless)
		}
		out = append(out, sc)
	}
	return out
}

func loadDomains(ds []corpus.Domain) map[string]*pat {
	out := map[string]*pat{}
	for _, d := range ds {
		out[d.Code] = compile(d.Pattern)
	}
	return out
}

// threshold returns a named threshold of the clause data.
func threshold(name string) float64 {
	v, ok := voc.clauses.Thresholds[name]
	if !ok {
		panic("classify: no threshold " + name + " in corpus/clauses.yaml")
	}
	return v
}

// msg renders a user-facing message of the clause data in the language ("en", else Chinese).
func msg(key, lang string, args ...any) string {
	m, ok := voc.clauses.Messages[key]
	if !ok {
		panic("classify: no message " + key + " in corpus/clauses.yaml")
	}
	f := m.ZH
	if lang == "en" {
		f = m.EN
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}

// pick2 returns en for English, zh otherwise.
func pick2(lang, zh, en string) string {
	if lang == "en" && en != "" {
		return en
	}
	return zh
}

// className is a class's name in the language.
func className(c corpus.Class, lang string) string { return pick2(lang, c.Name, c.NameEN) }

// set returns a term list of the clause data as a set.
func (v *vocab) set(name string) map[string]bool {
	ts, ok := v.clauses.Terms[name]
	if !ok {
		panic("classify: no term list " + name + " in corpus/clauses.yaml")
	}
	out := map[string]bool{}
	for _, t := range ts {
		out[t] = true
	}
	return out
}

func containsAny(s string, terms []string) bool {
	for _, t := range terms {
		if strings.Contains(s, t) {
			return true
		}
	}
	return false
}

func hasAnyPrefix(s string, terms []string) bool {
	for _, t := range terms {
		if strings.HasPrefix(s, t) {
			return true
		}
	}
	return false
}

func hasAnySuffix(s string, terms []string) bool {
	for _, t := range terms {
		if strings.HasSuffix(s, t) {
			return true
		}
	}
	return false
}

// trimSuffixes removes the suffixes in order, each once ("…服务管理" style names lose both).
func trimSuffixes(s string, suffixes []string) string {
	for _, x := range suffixes {
		s = strings.TrimSuffix(s, x)
	}
	return s
}
