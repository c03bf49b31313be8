package corpus

import (
	_ "embed"
	"fmt"
	"strings"
)

//go:embed lexicon.txt
var lexiconText string

//go:embed questions.txt
var questionsText string

//go:embed classes_en.tsv
var classesEN string

// Synonym is one lexicon rule in the Solr synonyms format: "a, b, c" (Equivalent: each term expands to the
// others) or "a, b => x, y" (one-way: a or b expands to x and y). English terms are lower-case.
type Synonym struct {
	From       []string
	To         []string
	Equivalent bool
	Line       int
}

// Lexicon returns the embedded synonym and alias lexicon (corpus/lexicon.txt).
func Lexicon() ([]Synonym, error) { return ParseLexicon(lexiconText) }

// QuestionLexicon returns the vocabulary of questions about the guidance (corpus/questions.txt), in the
// lexicon's format. It serves answering questions only, never classification.
func QuestionLexicon() ([]Synonym, error) { return ParseLexicon(questionsText) }

// ParseLexicon parses the Solr synonyms format; blank lines and # comments are skipped.
func ParseLexicon(text string) ([]Synonym, error) {
	var out []Synonym
	for i, line := range strings.Split(text, "\n") {
		if k := strings.Index(line, "#"); k >= 0 {
			line = line[:k]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		s := Synonym{Line: i + 1}
		if l, r, ok := strings.Cut(line, "=>"); ok {
			s.From, s.To = terms(l), terms(r)
			if len(s.From) == 0 || len(s.To) == 0 {
				return nil, fmt.Errorf("corpus.ParseLexicon: line %d: empty side of =>", i+1)
			}
		} else {
			s.From, s.Equivalent = terms(line), true
			s.To = s.From
			if len(s.From) < 2 {
				return nil, fmt.Errorf("corpus.ParseLexicon: line %d: an equivalence needs two terms", i+1)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func terms(s string) []string {
	var out []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' }) {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// EnglishAliases returns, per class code, the English keywords people use for it (classes_en.tsv).
func EnglishAliases() map[string][]string {
	out := map[string][]string{}
	for _, row := range englishRows() {
		if len(row) > 2 {
			for _, a := range strings.Split(row[2], ";") {
				if a = strings.ToLower(strings.TrimSpace(a)); a != "" {
					out[row[0]] = append(out[row[0]], a)
				}
			}
		}
	}
	return out
}

func englishRows() [][]string {
	var out [][]string
	for i, line := range strings.Split(classesEN, "\n") {
		f := strings.Split(strings.TrimRight(line, "\r"), "\t")
		if i == 0 || len(f) < 2 || strings.TrimSpace(f[0]) == "" {
			continue
		}
		for k := range f {
			f[k] = strings.TrimSpace(f[k])
		}
		out = append(out, f)
	}
	return out
}

// addEnglish fills NameEN from classes_en.tsv.
func (g *Guidance) addEnglish() {
	for _, row := range englishRows() {
		if i, ok := g.byCode[NormCode(row[0])]; ok {
			g.Classes[i].NameEN = row[1]
		}
	}
}
