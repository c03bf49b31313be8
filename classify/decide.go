package classify

import (
	"fmt"
	"math"
	"strings"

	"fenlei/corpus"
	"fenlei/decision"
)

// ---- clarification ------------------------------------------------------------------------------

// clarifyRule asks one question when the two best candidates are too close to call.
func (s *state) clarifyRule() {
	cats := s.res.Categories
	if s.code == "" {
		s.question = clarifyQuestion(s.g, s.lang, nil)
		return
	}
	if s.llm {
		return // the LLM chose between the candidates; the evidence rule flags a disagreement
	}
	if s.probs != nil {
		s.clarifyScored()
		return
	}
	if len(cats) < 2 || cats[0].Code != s.code {
		return
	}
	if cats[1].Score >= clarifyRatio && cats[0].Raw < weakRaw {
		a, _ := s.g.Class(cats[0].Code)
		b, _ := s.g.Class(cats[1].Code)
		s.question = clarifyQuestion(s.g, s.lang, []corpus.Class{a, b})
		s.check(decision.Check{Rule: "clarify", Status: "flagged", From: a.Code, To: b.Code,
			Detail: fmt.Sprintf("the two best candidates score %.2f and %.2f", cats[0].Score, cats[1].Score)})
		s.code = ""
	}
}

// clarifyScored asks which of two classes when the scorer's two best labels are too close: a runner-up
// within clarify_margin of a best label below clarify_max_p. (Texts that say too little are stopped
// earlier, in scoredSuggestion.) (thresholds in corpus/clauses.yaml, chosen by
// leave-one-author-out cross-validation).
func (s *state) clarifyScored() {
	p1, p2 := s.probs[0], s.probs[1]
	switch {
	case s.code == p1.Code && p1.P < threshold("clarify_max_p") && p1.P-p2.P < threshold("clarify_margin") && p2.Code != decision.OUT && p1.Code != decision.OUT:
		a, _ := s.g.Class(p1.Code)
		b, _ := s.g.Class(p2.Code)
		s.question = clarifyQuestion(s.g, s.lang, []corpus.Class{a, b})
		s.check(decision.Check{Rule: "clarify", Status: "flagged", From: a.Code, To: b.Code,
			Detail: fmt.Sprintf("the two best candidates have probabilities %.2f and %.2f", p1.P, p2.P)})
		s.code = ""
	}
}

// Clarification thresholds, tuned on the dev set: ask only when the runner-up is within 3% of the best
// and the evidence is weak overall.
const (
	clarifyRatio = 0.97
	weakRaw      = 6.0
)

func clarifyQuestion(g *corpus.Guidance, lang string, cs []corpus.Class) string {
	if len(cs) < 2 {
		return msg("clarify_open", lang)
	}
	a, b := cs[0], cs[1]
	return msg("clarify_pair", lang, a.Code, className(a, lang), b.Code, className(b, lang))
}

func nameEN(c corpus.Class) string {
	if c.NameEN != "" {
		return c.NameEN
	}
	return c.Name
}

// ---- rule 6: citations --------------------------------------------------------------------------

// citeDeciding cites the chosen class's deciding passage: its best retrieved own passage, else its
// definition.
func (s *state) citeDeciding() {
	if s.code == "" || s.code == decision.OUT {
		return
	}
	// A user who names another class ("是I23还是B22？") gets the clause that separates the two.
	for _, other := range codesIn(s.text) {
		for _, p := range s.g.PassagesOf(other) {
			if p.Kind != corpus.KindExclude {
				continue
			}
			for _, t := range p.Targets {
				if sendsTo(t, s.code) {
					s.cite(p.Ref)
				}
			}
		}
	}
	if p, ok := s.g.Passage(s.entryRef); ok && supports(p, s.code) {
		s.cites = append([]string{p.Ref}, without(s.cites, p.Ref)...)
		s.reason = s.reasonFor(p.Ref)
		return
	}
	for _, h := range s.res.Passages {
		if h.Code == s.code && (h.Kind == corpus.KindDefinition || h.Kind == corpus.KindTypical) {
			s.cites = append([]string{h.Ref}, without(s.cites, h.Ref)...)
			s.reason = s.reasonFor(h.Ref)
			return
		}
	}
	s.cites = append([]string{s.code + ".def"}, without(s.cites, s.code+".def")...)
	s.reason = s.reasonFor(s.code + ".def")
}

// supports reports whether passage p speaks for code: its own definition or typical business, its middle
// class's definition for a catch-all, or an exclusion that redirects to it.
func supports(p corpus.Passage, code string) bool {
	switch p.Kind {
	case corpus.KindDefinition, corpus.KindTypical:
		return p.Code == code || (len(p.Code) == 2 && p.Code+"9" == code)
	case corpus.KindExclude:
		for _, t := range p.Targets {
			if sendsTo(t, code) {
				return true
			}
		}
	}
	return false
}

func (s *state) reasonFor(ref string) string {
	if s.reason != "" {
		return s.reason
	}
	return s.ownReason(ref) + s.movedReason()
}

// movedReason says which exclusion or rule moved the answer, if any.
func (s *state) movedReason() string {
	for _, c := range s.checks {
		if c.Status != "redirected" || c.Ref == "" {
			continue
		}
		p, _ := s.g.Passage(c.Ref)
		if follow, ok := contradictions[c.Ref]; ok && c.To == follow.code {
			return msg("contradiction", s.lang, c.From, p.Text, follow.code, follow.ref, follow.code)
		}
		return msg("moved", s.lang, c.From, p.Text, c.Ref)
	}
	return ""
}

func (s *state) ownReason(ref string) string {
	p, _ := s.g.Passage(ref)
	c, _ := s.g.Class(s.code)
	switch p.Kind {
	case corpus.KindTypical:
		return msg("own_typical", s.lang, c.Code, className(c, s.lang), p.Title)
	case corpus.KindExclude:
		return msg("by_exclusion", s.lang, c.Code, className(c, s.lang), p.Text, p.Ref)
	}
	return msg("own_definition", s.lang, c.Code, className(c, s.lang))
}

func without(xs []string, x string) []string {
	var out []string
	for _, v := range xs {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

// ---- the Decision -------------------------------------------------------------------------------

func (s *state) decision() decision.Decision {
	d := decision.Decision{Code: s.code, Lang: s.lang, Question: s.question, Reason: s.reason, Usage: s.usage,
		Checks: s.checks, Citations: []decision.Citation{}, Candidates: []decision.Candidate{}, Path: []string{}}
	if d.Checks == nil {
		d.Checks = []decision.Check{}
	}
	d.Kind = decision.KindClassification
	switch {
	case s.code == "":
		d.Kind = decision.KindClarify
		if len(s.res.Categories) >= 2 {
			a, b := s.res.Categories[0].Code, s.res.Categories[1].Code
			if a[:2] == b[:2] {
				d.Path = s.g.Path(a[:2])
			} else if a[:1] == b[:1] {
				d.Path = s.g.Path(a[:1] + map[byte]string{'I': "TO", 'B': "PO", 'K': "PO"}[a[0]])
			}
		}
	case s.code == decision.OUT:
		d.Name = msg("out_name", "zh")
		d.NameEN = msg("out_name", "en")
		d.Path = []string{decision.OUT}
	default:
		c, _ := s.g.Class(s.code)
		d.Name, d.NameEN, d.Path = c.Name, c.NameEN, s.g.Path(s.code)
	}
	d.Confidence = round2(s.conf)
	if s.code == "" {
		d.Confidence = 0
	}
	for i, c := range s.res.Categories {
		if i == 5 || s.probs != nil {
			break
		}
		cl, _ := s.g.Class(c.Code)
		d.Candidates = append(d.Candidates, decision.Candidate{Code: c.Code, Name: cl.Name, Score: round2(c.Score)})
	}
	for i, c := range s.probs {
		if i == 5 {
			break
		}
		cl, _ := s.g.Class(c.Code)
		d.Candidates = append(d.Candidates, decision.Candidate{Code: c.Code, Name: cl.Name, Score: round2(c.P)})
	}
	if s.code != "" && s.probs != nil && len(d.Candidates) > 0 && d.Candidates[0].Code == s.code {
		d.Candidates[0].Score = d.Confidence // the confidence belongs to the code returned
	}
	if s.code != "" && s.probs == nil {
		// Candidates are ranked best first: the decided code leads with its confidence, and the others
		// share what is left of the probability in the retrieval's order.
		for i := range d.Candidates {
			if d.Candidates[i].Code == s.code {
				d.Candidates[i].Score = d.Confidence
			} else {
				d.Candidates[i].Score = round2(math.Min(d.Candidates[i].Score*(1-d.Confidence), d.Confidence))
			}
		}
	}
	if s.code != "" && (len(d.Candidates) == 0 || d.Candidates[0].Code != s.code) {
		// The decided code leads the candidates, with the decision's confidence.
		cl, _ := s.g.Class(s.code)
		name := cl.Name
		if s.code == decision.OUT {
			name = d.Name
		}
		var rest []decision.Candidate
		for _, c := range d.Candidates {
			if c.Code != s.code {
				rest = append(rest, c)
			}
		}
		d.Candidates = append([]decision.Candidate{{Code: s.code, Name: name, Score: d.Confidence}}, rest...)
		if len(d.Candidates) > 5 {
			d.Candidates = d.Candidates[:5]
		}
	}
	d.Candidates = withCatchAll(s.g, d.Candidates)
	d.Citations = append(d.Citations, citations(s.g, s.cites)...)
	d.Answer = s.answerText(d)
	return d
}

// withCatchAll adds the catch-all sub-class ("其他…") of a middle class as the third alternative when the
// two best candidates are listed classes of that middle class: what fits the middle class but neither
// listed class is the catch-all's.
func withCatchAll(g *corpus.Guidance, cs []decision.Candidate) []decision.Candidate {
	if len(cs) < 2 || cs[0].Code == decision.OUT || cs[0].Code[:2] != cs[1].Code[:2] {
		return cs
	}
	other, ok := g.Class(cs[0].Code[:2] + "9")
	if !ok {
		return cs
	}
	for _, c := range cs {
		if c.Code == other.Code {
			return cs
		}
	}
	score := cs[1].Score
	if len(cs) > 2 {
		score = cs[2].Score
	}
	out := append(append(append([]decision.Candidate{}, cs[:2]...), decision.Candidate{Code: other.Code, Name: other.Name, Score: score}), cs[2:]...)
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}

func (s *state) answerText(d decision.Decision) string {
	en := s.lang == "en"
	switch {
	case d.Code == "":
		return d.Question
	case d.Code == decision.OUT:
		return msg("out_answer", s.lang)
	}
	if en {
		return fmt.Sprintf("%s %s (%s). %s", d.Code, d.NameEN, strings.Join(d.Path, " › "), d.Reason)
	}
	return fmt.Sprintf("%s %s（%s）。%s", d.Code, d.Name, strings.Join(d.Path, " › "), d.Reason)
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
