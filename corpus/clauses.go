package corpus

import (
	"bytes"
	_ "embed"
	"fmt"
	"regexp/syntax"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed clauses.yaml
var clausesYAML []byte

// Clauses is the rule layer's data (corpus/clauses.yaml): the wordings each kind of clause reads. Code
// interprets the kinds; this holds the words, each tied to the passages of the guidance that justify it.
type Clauses struct {
	// Patterns are named term patterns (RE2, matched case-insensitively): negation, asides, client words,
	// development and operation words, contract signals, question forms…
	Patterns map[string]string `yaml:"patterns"`
	// Scope are the activities the guidance does not count as service outsourcing (OUT).
	Scope []ScopeClause `yaml:"scope"`
	// Anchors are the domains some sub-classes' definitions are confined to.
	Anchors []Domain `yaml:"anchors"`
	// Repair are the equipment domains that decide among B31–B34.
	Repair []Domain `yaml:"repair"`
	// Terms are word lists: the guidance's own markers ("应纳入" …), stop bigrams, in-house words.
	Terms map[string][]string `yaml:"terms"`
	// Units multiply an amount's number by its unit (万 → 10,000).
	Units map[string]float64 `yaml:"units"`
	// Thresholds are the rule layer's named numbers (clarification margins, evidence floors).
	Thresholds map[string]float64 `yaml:"thresholds"`
	// Messages are what users read, in Chinese and English, with fmt verbs that code fills in.
	Messages map[string]Message `yaml:"messages"`
}

// Message is one user-facing text in both languages; both have the same fmt verbs.
type Message struct {
	ZH string `yaml:"zh"`
	EN string `yaml:"en"`
}

// ScopeClause is one not-counted activity: it fires when the text affirms When and does not match Unless.
type ScopeClause struct {
	Name   string   `yaml:"name"`
	NameEN string   `yaml:"name_en"`
	Refs   []string `yaml:"refs"` // the first decides
	When   string   `yaml:"when"`
	Unless string   `yaml:"unless"`
}

// Domain ties a sub-class to the words of its domain.
type Domain struct {
	Code    string `yaml:"code"`
	Ref     string `yaml:"ref"`
	Pattern string `yaml:"pattern"`
}

// ClausesSource is the embedded clause data as shipped (corpus/clauses.yaml).
func ClausesSource() []byte { return clausesYAML }

// LoadClauses strictly decodes the embedded clause data (see ParseClauses). Guidance.CheckClauses checks
// its refs and codes against the guidance.
func LoadClauses() (*Clauses, error) { return ParseClauses(clausesYAML) }

// ParseClauses strictly decodes clause data: unknown fields, an empty or non-compiling pattern, or a scope
// clause without a name, an English name or a ref are errors.
func ParseClauses(data []byte) (*Clauses, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var c Clauses
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("corpus.ParseClauses: %w", err)
	}
	if err := c.check(nil); err != nil {
		return nil, fmt.Errorf("corpus.ParseClauses: %w", err)
	}
	return &c, nil
}

// CheckClauses checks clause data against the guidance: every ref is a passage, every code a sub-class.
func (g *Guidance) CheckClauses(c *Clauses) error {
	if err := c.check(g); err != nil {
		return fmt.Errorf("corpus.CheckClauses: %w", err)
	}
	return nil
}

// check validates the clauses; with g, refs and codes too.
func (c *Clauses) check(g *Guidance) error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	pattern := func(where, p string, required bool) {
		if p == "" {
			if required {
				bad("%s: empty pattern", where)
			}
			return
		}
		// The syntax check of regexp.Compile, without building the matcher (the classifier compiles
		// what it uses): at start-up, compiling every pattern twice was most of the cost of loading.
		if _, err := syntax.Parse(p, syntax.Perl); err != nil {
			bad("%s: %v", where, err)
		}
	}
	for name, p := range c.Patterns {
		pattern("patterns."+name, p, true)
	}
	for i, s := range c.Scope {
		where := fmt.Sprintf("scope[%d] %s", i, s.Name)
		if s.Name == "" || s.NameEN == "" || len(s.Refs) == 0 {
			bad("%s: name, name_en and refs are required", where)
		}
		for _, r := range s.Refs {
			g.checkRef(r, where, bad)
		}
		pattern(where+".when", s.When, true)
		pattern(where+".unless", s.Unless, false)
	}
	for _, list := range []struct {
		name string
		ds   []Domain
	}{{"anchors", c.Anchors}, {"repair", c.Repair}} {
		for i, d := range list.ds {
			where := fmt.Sprintf("%s[%d] %s", list.name, i, d.Code)
			if g != nil {
				if cl, ok := g.Class(d.Code); !ok || cl.Level != Sub {
					bad("%s: %q is not a sub-class", where, d.Code)
				}
			}
			g.checkRef(d.Ref, where, bad)
			pattern(where, d.Pattern, true)
		}
	}
	for name, ts := range c.Terms {
		if len(ts) == 0 {
			bad("terms.%s: empty list", name)
		}
		for _, t := range ts {
			if t == "" {
				bad("terms.%s: empty term", name)
			}
		}
	}
	for name, m := range c.Messages {
		if m.ZH == "" || m.EN == "" {
			bad("messages.%s: zh and en are required", name)
		} else if verbs(m.ZH) != verbs(m.EN) {
			bad("messages.%s: zh has %d fmt verbs, en %d", name, verbs(m.ZH), verbs(m.EN))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// checkRef reports a ref that is not a passage of the guidance; a nil Guidance checks nothing.
func (g *Guidance) checkRef(ref, where string, bad func(string, ...any)) {
	if g == nil {
		return
	}
	if _, ok := g.Passage(ref); !ok {
		bad("%s: ref %q is not a passage of the guidance", where, ref)
	}
}

// verbs counts the fmt verbs of a message.
func verbs(s string) int { return strings.Count(s, "%") - 2*strings.Count(s, "%%") }
