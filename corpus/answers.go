package corpus

import (
	"bytes"
	_ "embed"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed answers.yaml
var answersYAML []byte

// Answers is the data for answering questions about the guidance (corpus/answers.yaml): plain-words
// answers tied to the passages that prove them, the patterns of questions about one class, and the
// topics the guidance does not cover.
type Answers struct {
	Patterns   map[string]string  `yaml:"patterns"`
	Messages   map[string]Message `yaml:"messages"`
	Answers    []PlainAnswer      `yaml:"answers"`
	NotCovered []string           `yaml:"not_covered"`
}

// PlainAnswer is a short answer in both languages, composed from the passages in Refs: all of them are
// cited with it. Refs[0] is the passage that, retrieved first, calls for this answer.
type PlainAnswer struct {
	Refs []string `yaml:"refs"`
	ZH   string   `yaml:"zh"`
	EN   string   `yaml:"en"`
}

// LoadAnswers strictly decodes the embedded answers (unknown fields are errors) and checks them against
// g: every ref a passage, both languages present, no two answers called by the same passage, every
// pattern valid, and no not-covered topic a word of the guidance.
func (g *Guidance) LoadAnswers() (*Answers, error) { return g.ParseAnswers(answersYAML) }

// ParseAnswers is LoadAnswers for the given YAML.
func (g *Guidance) ParseAnswers(data []byte) (*Answers, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var a Answers
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("corpus.ParseAnswers: %w", err)
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	for name, p := range a.Patterns {
		if _, err := regexp.Compile(p); err != nil || p == "" {
			bad("patterns.%s: %q: %v", name, p, err)
		}
	}
	for name, m := range a.Messages {
		if m.ZH == "" || m.EN == "" {
			bad("messages.%s: zh and en are required", name)
		} else if verbs(m.ZH) != verbs(m.EN) {
			bad("messages.%s: zh has %d fmt verbs, en %d", name, verbs(m.ZH), verbs(m.EN))
		}
	}
	first := map[string]int{}
	for i, ans := range a.Answers {
		where := fmt.Sprintf("answers[%d]", i)
		if len(ans.Refs) == 0 || strings.TrimSpace(ans.ZH) == "" || strings.TrimSpace(ans.EN) == "" {
			bad("%s: refs, zh and en are required", where)
			continue
		}
		if j, ok := first[ans.Refs[0]]; ok {
			bad("%s: called by %s like answers[%d]", where, ans.Refs[0], j)
		}
		first[ans.Refs[0]] = i
		for _, r := range ans.Refs {
			g.checkRef(r, where, bad)
		}
	}
	src := strings.ToLower(guidanceText)
	for _, t := range a.NotCovered {
		if strings.TrimSpace(t) == "" {
			bad("not_covered: empty term")
		} else if g != nil && strings.Contains(src, strings.ToLower(t)) {
			bad("not_covered: %q is a word of the guidance", t)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("corpus.ParseAnswers: %s", strings.Join(errs, "; "))
	}
	return &a, nil
}
