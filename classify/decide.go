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

// Clarification thresholds, tuned on the dev set: ask only when the runner-up is within 3% of the best
// and the evidence is weak overall.
const (
	clarifyRatio = 0.97
	weakRaw      = 6.0
)

func clarifyQuestion(g *corpus.Guidance, lang string, cs []corpus.Class) string {
	if len(cs) < 2 {
		if lang == "en" {
			return "Could you describe the service in more detail: what do you deliver, to which kind of client, and how (developing a system, operating a process for them, consulting, testing, repairing equipment…)?"
		}
		return "能否再具体描述一下这项服务：交付的是什么、为哪类客户提供、以什么方式提供（开发系统、代为运营流程、咨询、检测、设备维修等）？"
	}
	a, b := cs[0], cs[1]
	if lang == "en" {
		return fmt.Sprintf("Is the service closer to %s %s or to %s %s? What exactly is delivered to the client, and how?",
			a.Code, nameEN(a), b.Code, nameEN(b))
	}
	return fmt.Sprintf("这项服务更接近「%s %s」还是「%s %s」？请说明交付给客户的具体是什么、以什么方式提供。", a.Code, a.Name, b.Code, b.Name)
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
			if s.lang == "en" {
				return fmt.Sprintf(" The guidance contradicts itself here: %s sends this to BPO (“%s”), while %s lists it as a typical business (%s); fenlei follows the more specific %s clause.", c.From, p.Text, follow.code, follow.ref, follow.code)
			}
			return fmt.Sprintf("指引在此前后不一：%s 的不包括条款「%s」将其归入 BPO，而 %s 将其列为典型业务（%s）；fenlei 依从更具体的 %s 条款。", c.From, p.Text, follow.code, follow.ref, follow.code)
		}
		if s.lang == "en" {
			return fmt.Sprintf(" %s does not apply: the guidance says “%s” (%s).", c.From, p.Text, c.Ref)
		}
		return fmt.Sprintf("不归 %s：指引规定「%s」（%s）。", c.From, p.Text, c.Ref)
	}
	return ""
}

func (s *state) ownReason(ref string) string {
	p, _ := s.g.Passage(ref)
	c, _ := s.g.Class(s.code)
	if s.lang == "en" {
		what := "its definition"
		if p.Kind == corpus.KindTypical {
			what = "its typical business “" + p.Title + "”"
		}
		return fmt.Sprintf("The description matches %s %s: %s.", c.Code, nameEN(c), what)
	}
	what := "定义"
	if p.Kind == corpus.KindTypical {
		what = "典型业务「" + p.Title + "」"
	}
	return fmt.Sprintf("描述与 %s %s 的%s相符。", c.Code, c.Name, what)
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
		d.Name = "不属于服务外包"
		d.NameEN = "Not service outsourcing"
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
		if i == 5 {
			break
		}
		cl, _ := s.g.Class(c.Code)
		d.Candidates = append(d.Candidates, decision.Candidate{Code: c.Code, Name: cl.Name, Score: round2(c.Score)})
	}
	if s.code != "" {
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
		if en {
			return "This activity is not counted as service outsourcing under the guidance."
		}
		return "根据《中国服务外包统计操作指引》，该活动不纳入服务外包统计。"
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
