package classify

import (
	"math"
	"strings"

	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/retrieval"
)

// ---- rule 2: exclusions -------------------------------------------------------------------------

// exclusionRule follows an exclusion clause of the suggested sub-class or its middle class that the
// description matches: to its target, or OUT / lower confidence when it sends nowhere.
func (s *state) exclusionRule() {
	if s.code == "" || s.code == decision.OUT {
		return
	}
	for hop := 0; hop < 3; hop++ {
		p, ok := s.matchedExclusion(s.code)
		if !ok {
			return
		}
		to := s.resolveTargets(p.Targets)
		if len(p.Targets) == 0 {
			to = s.bestNamed(p)
		}
		if follow, ok := contradictions[p.Ref]; ok {
			to = follow.code
			s.cite(follow.ref)
		}
		switch {
		case to != "" && to != s.code:
			s.check(decision.Check{Rule: "exclusion", Status: "redirected", From: s.code, To: to, Ref: p.Ref})
			s.cite(p.Ref)
			s.code = to
			continue
		case len(p.Targets) == 0 && selfService(p.Text):
			// "企业自主开展的…" and the like: in-house work is not outsourcing when the description says so.
			if s.has(inHouse) {
				s.check(decision.Check{Rule: "exclusion", Status: "out", From: s.code, To: decision.OUT, Ref: p.Ref})
				s.cite(p.Ref, "scope.feature.3.2")
				s.code = decision.OUT
				s.fixed = true
				return
			}
			return
		case len(p.Targets) == 0:
			s.check(decision.Check{Rule: "exclusion", Status: "lowered", From: s.code, Ref: p.Ref,
				Detail: "the description matches a clause this class excludes"})
			s.cite(p.Ref)
			s.conf = math.Min(s.conf, 0.4)
		}
		return
	}
}

// matchedExclusion returns the exclusion of code (or of its middle class) that the description matches
// best; a clause that redirects wins over one that sends nowhere. A clause listing several services
// (B24.exclude.1) matches when one of them does.
func (s *state) matchedExclusion(code string) (corpus.Passage, bool) {
	var best corpus.Passage
	bestCov, found := 0.0, false
	c, _ := s.g.Class(code)
	for _, owner := range []string{code, c.Parent} {
		for _, p := range s.g.PassagesOf(owner) {
			if p.Kind != corpus.KindExclude {
				continue
			}
			cov, n := s.clauseCoverage(subject(p.Text))
			need := 0.6
			if s.retrieved(p.Ref) {
				need = 0.45
			}
			if cov < need || n < 2 || s.explains(p.Text) <= s.ownCoverage(code) {
				continue // a typical business of the class explains the description better than the clause
			}
			if len(p.Targets) > 0 || s.bestNamed(p) != "" {
				cov += 1 // a clause that sends somewhere beats one that does not
			}
			if cov > bestCov {
				best, bestCov, found = p, cov, true
			}
		}
	}
	return best, found
}

// ownCoverage is how much of the description the class's best typical business explains.
func (s *state) ownCoverage(code string) float64 {
	best := 0.0
	for _, p := range s.g.PassagesOf(code) {
		if p.Kind == corpus.KindTypical {
			best = math.Max(best, s.explains(p.Title+p.Text))
		}
	}
	return best
}

// explains is the share of the description's own bigrams (without lexicon expansions) found in text.
func (s *state) explains(text string) float64 {
	if s.own == nil {
		s.own = bigrams(retrieval.Normalize(s.text))
	}
	q := s.own
	p := clauseGrams(text)
	total, hit := 0, 0
	for g := range q {
		if stopGrams[g] {
			continue
		}
		total++
		if p[g] {
			hit++
		}
	}
	if total == 0 {
		return 0
	}
	return float64(hit) / float64(total)
}

// clauseCoverage is the coverage of a clause, or of its best item when it lists several services
// (B24.exclude.1, I23.exclude.3).
func (s *state) clauseCoverage(clause string) (float64, int) {
	cov, n := s.coverage(clause)
	t := voc.clauses.Terms
	items := strings.Split(strings.TrimRight(clause, strings.Join(t["list_end"], "")), t["list_sep"][0])
	if len(items) < 2 {
		return cov, n
	}
	for _, it := range items {
		if !hasAnySuffix(it, t["service_suffix"]) {
			return cov, n // a list of objects (software, systems, platforms), not of services
		}
	}
	prefix := ""
	if i := strings.Index(items[0], t["qualifier_end"][0]); i > 0 {
		prefix = items[0][:i+len(t["qualifier_end"][0])] // "in the financial field" qualifies every item
	}
	for i, it := range items {
		cands := []string{it}
		if i > 0 && prefix != "" {
			cands = append(cands, prefix+it)
		}
		for _, x := range cands {
			if c, m := s.coverage(x); c > cov && m >= 2 {
				cov, n = c, m
			}
		}
	}
	return cov, n
}

// namedClasses are the other sub-classes an exclusion names without a code:
// B24.exclude.1 names B23 and B21; K12.exclude.1 names I14.
func (s *state) namedClasses(p corpus.Passage) []string {
	var out []string
	for _, c := range s.g.Subclasses() {
		core := trimSuffixes(c.Name, voc.clauses.Terms["name_suffixes"])
		if c.Code != p.Code && len([]rune(core)) >= 3 && strings.Contains(p.Text, core) {
			out = append(out, c.Code)
		}
	}
	return out
}

// bestNamed picks, among the classes a listing exclusion names, the one the description matches best.
func (s *state) bestNamed(p corpus.Passage) string {
	best, bestCov := "", 0.0
	for _, code := range s.namedClasses(p) {
		c, _ := s.g.Class(code)
		if cov, n := s.coverage(c.Name); n >= 2 && cov > bestCov {
			best, bestCov = code, cov
		}
	}
	return best
}

// looseExclusion returns an ITO-redirecting exclusion of code whose subject the description half-matches.
func (s *state) looseExclusion(code string) (corpus.Passage, bool) {
	for _, p := range s.g.PassagesOf(code) {
		if p.Kind != corpus.KindExclude || len(p.Targets) == 0 {
			continue
		}
		if cov, n := s.coverage(subject(p.Text)); cov >= 0.3 && n >= 2 {
			return p, true
		}
	}
	return corpus.Passage{}, false
}

// retrieved reports whether a passage is among the strongest retrieved hits.
func (s *state) retrieved(ref string) bool {
	if len(s.res.Passages) == 0 {
		return false
	}
	top := s.res.Passages[0].Score
	for i, h := range s.res.Passages {
		if i >= 8 {
			break
		}
		if h.Ref == ref && h.Score >= 0.5*top {
			return true
		}
	}
	return false
}

// contradictions records where the guidance contradicts itself and which clause fenlei follows:
// K31.exclude.1 sends medical diagnosis to BPO, while K13.typical.1 lists it, by independent laboratories,
// as its typical business. The more specific K13 clause is followed, and both are cited.
var contradictions = map[string]struct{ code, ref string }{
	"K31.exclude.1": {code: "K13", ref: "K13.typical.1"},
}

var (
	reDevWork = voc.re("dev_work")
	reOpsWork = voc.re("ops_work")
)

// resolveTargets picks one sub-class for an exclusion's targets: the code itself, or for a major class or
// several codes the best retrieved candidate among them (a major's first development class otherwise).
func (s *state) resolveTargets(targets []string) string {
	if len(targets) == 0 {
		return ""
	}
	if len(targets) == 1 {
		if c, ok := s.g.Class(targets[0]); ok && c.Level == corpus.Sub {
			return c.Code
		}
	}
	// "应纳入 I 信息技术外包" for building or running systems: development is I11, operation I21.
	if len(targets) == 1 && targets[0] == "ITO" {
		switch dev, ops := reDevWork.MatchString(s.text), reOpsWork.MatchString(s.text); {
		case dev && !ops:
			return "I11"
		case ops && !dev:
			return "I21"
		}
	}
	in := func(code string) bool {
		for _, t := range targets {
			if sendsTo(t, code) {
				return true
			}
		}
		return false
	}
	for _, cat := range s.res.Categories {
		if in(cat.Code) && cat.Code != s.code {
			return cat.Code
		}
	}
	// No candidate of the target class was retrieved: its first sub-class stands for it.
	for _, t := range targets {
		for _, c := range s.g.Subclasses() {
			if sendsTo(t, c.Code) {
				return c.Code
			}
		}
	}
	return ""
}

// subject is the part of an exclusion before its redirect (of I13.exclude.2, the service it names).
func subject(text string) string {
	for _, sep := range voc.clauses.Terms["redirect_markers"] {
		if i := strings.Index(text, sep); i > 0 {
			return text[:i]
		}
	}
	return text
}

func selfService(text string) bool {
	return containsAny(text, voc.clauses.Terms["self_service"])
}

// whyNotSupposed cites, after the deciding passages, the exclusion of each class the asker supposed
// ("电商代运营是I23还是B22？", "劳务派遣算B11吗？") that the description meets, when the answer is another
// class or OUT: the passage that says why not. Nothing when the supposed class is the answer, or when no
// exclusion of it is met.
func (s *state) whyNotSupposed() {
	if s.code == "" {
		return
	}
	for _, c := range s.supposed {
		if c == s.code {
			continue
		}
		if p, ok := s.matchedExclusion(c); ok {
			s.cite(p.Ref)
		}
	}
}
