package corpus

import (
	"strings"
	"testing"
)

func TestClausesValid(t *testing.T) {
	c, err := LoadClauses()
	if err != nil {
		t.Fatal(err)
	}
	if err := load(t).CheckClauses(c); err != nil {
		t.Fatal(err)
	}
	if len(c.Scope) == 0 || len(c.Patterns) == 0 || len(c.Messages) == 0 {
		t.Fatalf("empty clause data: %d scope, %d patterns, %d messages", len(c.Scope), len(c.Patterns), len(c.Messages))
	}
}

func TestClausesRejects(t *testing.T) {
	g := load(t)
	for name, tc := range map[string]struct{ yaml, want string }{
		"unknown field":   {"patterns:\n  a: 'x'\nextra: 1\n", "extra"},
		"bad pattern":     {"patterns:\n  a: '(['\n", "patterns.a"},
		"scope no ref":    {"scope:\n  - name: n\n    name_en: n\n    when: 'x'\n", "refs"},
		"verbs differ":    {"messages:\n  m:\n    zh: '%s'\n    en: 'none'\n", "fmt verbs"},
		"empty term list": {"terms:\n  t: []\n", "terms.t"},
	} {
		_, err := ParseClauses([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one naming %q", name, err, tc.want)
		}
	}
	c, err := ParseClauses([]byte("scope:\n  - name: n\n    name_en: n\n    refs: [I11.nope]\n    when: 'x'\nanchors:\n  - code: Z99\n    ref: I11.def\n    pattern: 'x'\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = g.CheckClauses(c)
	for _, want := range []string{"I11.nope", "Z99"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckClauses: err = %v, want one naming %q", err, want)
		}
	}
}
