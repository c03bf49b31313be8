package corpus

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed questionindex/*.jsonl
var questionIndexFS embed.FS

// Question kinds: what a question about the guidance asks about (the question index's `kind`).
const (
	QScope      = "scope"      // what counts as outsourcing, the new features, the business models (section 一)
	QRules      = "rules"      // section 三: mixed contracts, product sales
	QPlatform   = "platform"   // section 四: trading platforms' scope, conditions, materials, filing, review
	QClass      = "class"      // one class: its definition, typical businesses, exclusions
	QDifference = "difference" // how two classes differ
	QMeta       = "meta"       // the title, issuer, structure, numbers of classes
	QOutside    = "outside"    // not covered by the guidance: needs no passage
)

// QuestionKinds is the closed set of question kinds, in a fixed order.
var QuestionKinds = []string{QScope, QRules, QPlatform, QClass, QDifference, QMeta, QOutside}

// Question is one row of the question index: a real-world wording of a question about the guidance and
// the passages a correct answer must cite (all of them for a list; none for a question the guidance does
// not cover). Questions are written from the guidance alone by independent authors, one file each
// (corpus/questionindex/<author>.jsonl), under the rules of the question-index authoring brief.
type Question struct {
	Text   string   `json:"text"`
	Needs  []string `json:"needs"` // passage refs; empty exactly when Kind is QOutside
	Lang   string   `json:"lang"`  // zh, zh-Hant, en or mixed
	Kind   string   `json:"kind"`  // see QuestionKinds
	Author string   `json:"author"`
	Line   int      `json:"-"` // 1-based line in its file
}

// QuestionIndex loads and validates the embedded question index (every corpus/questionindex/*.jsonl), in
// file then line order, without the lines corpus/withdrawn.tsv lists, a wording two authors wrote kept once
// (loadAuthored). See ParseQuestionIndex for what is checked.
func (g *Guidance) QuestionIndex() ([]Question, error) {
	return loadAuthored("corpus.QuestionIndex", questionIndexFS, "questionindex", true, g.ParseQuestionIndex)
}

// ParseQuestionIndex strictly parses one author's JSON lines: unknown fields, a missing needs list, a
// ref that is not a passage of the guidance or is listed twice, needs on an `outside` question or none on
// another, a kind or lang outside the closed sets, an author other than the file's, an empty or repeated
// text or a blank line are errors naming the line.
func (g *Guidance) ParseQuestionIndex(data []byte, author string) ([]Question, error) {
	dup := map[string]int{}
	return parseJSONLines(data, func(n int, q *Question) error {
		q.Line = n
		if err := g.validQuestion(*q, author); err != nil {
			return err
		}
		if first := dup[q.Text]; first != 0 {
			return fmt.Errorf("the same text as line %d", first)
		}
		dup[q.Text] = n
		return nil
	})
}

func (g *Guidance) validQuestion(q Question, author string) error {
	switch {
	case strings.TrimSpace(q.Text) == "":
		return fmt.Errorf("empty text")
	case q.Author != author:
		return fmt.Errorf("author %q in a file of %q", q.Author, author)
	case !contains(Langs, q.Lang):
		return fmt.Errorf("lang %q not one of %v", q.Lang, Langs)
	case !contains(QuestionKinds, q.Kind):
		return fmt.Errorf("kind %q not one of %v", q.Kind, QuestionKinds)
	case q.Needs == nil:
		return fmt.Errorf("no needs list (an outside question has \"needs\": [])")
	case q.Kind == QOutside && len(q.Needs) > 0:
		return fmt.Errorf("an outside question needs no passage, got %v", q.Needs)
	case q.Kind != QOutside && len(q.Needs) == 0:
		return fmt.Errorf("a %s question needs at least one passage", q.Kind)
	}
	seen := map[string]bool{}
	for _, r := range q.Needs {
		if _, ok := g.Passage(r); !ok {
			return fmt.Errorf("need %q is not a passage of the guidance", r)
		}
		if seen[r] {
			return fmt.Errorf("need %q listed twice", r)
		}
		seen[r] = true
	}
	return nil
}
