package eval

import (
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"

	"fenlei/decision"
)

// Level is a level of the classification: sub-class (I11), middle class (I1) or major class (ITO).
type Level int

// Levels of the classification.
const (
	LevelSub Level = iota
	LevelMiddle
	LevelMajor
)

// Project returns the class of code at level lv: the middle class of a sub-class code is its first
// two characters (I11→I1), the major class is by letter (I→ITO, B→BPO, K→KPO). OUT is its own
// class at every level; "" stays "". Codes are upper-cased and trimmed first.
func Project(code string, lv Level) string {
	code = normCode(code)
	if code == "" || code == decision.OUT {
		return code
	}
	switch lv {
	case LevelMiddle:
		if len(code) >= 2 {
			return code[:2]
		}
	case LevelMajor:
		switch code[0] {
		case 'I':
			return "ITO"
		case 'B':
			return "BPO"
		case 'K':
			return "KPO"
		}
	}
	return code
}

// decisionAt is the Decision's own code at level lv, taken from Decision.Path when it is the
// three-element path of that code, else derived.
func decisionAt(d decision.Decision, lv Level) string {
	code := normCode(d.Code)
	if lv != LevelSub && len(d.Path) == 3 && normCode(d.Path[2]) == code && code != "" {
		return normCode(d.Path[2-int(lv)])
	}
	return Project(code, lv)
}

func normCode(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// ranked is the Decision's code followed by its candidates, best first, without repeats or "".
func ranked(d decision.Decision) []string {
	var out []string
	seen := map[string]bool{}
	add := func(c string) {
		c = normCode(c)
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	add(d.Code)
	for _, c := range d.Candidates {
		add(c.Code)
	}
	return out
}

// goldSet is the expected code and the accept codes, projected to lv.
func goldSet(c Case, lv Level) map[string]bool {
	s := map[string]bool{Project(c.Expected, lv): true}
	for _, a := range c.Accept {
		s[Project(a, lv)] = true
	}
	delete(s, "")
	return s
}

// topK reports whether one of the first k ranked codes of r, projected to lv, is accepted.
// For k = 1 only the Decision's code counts, so an abstention is wrong.
func topK(r Result, lv Level, k int) bool {
	if r.Error != "" {
		return false
	}
	gold := goldSet(r.Case, lv)
	if k == 1 {
		return gold[decisionAt(r.Decision, lv)]
	}
	codes := ranked(r.Decision)
	own := normCode(r.Decision.Code)
	for i, c := range codes {
		if i == k {
			break
		}
		p := Project(c, lv)
		if c == own {
			p = decisionAt(r.Decision, lv)
		}
		if gold[p] {
			return true
		}
	}
	return false
}

// predicted is the sub-class code a result predicts; "" for abstentions and errors.
func predicted(r Result) string {
	if r.Error != "" {
		return ""
	}
	return normCode(r.Decision.Code)
}

// goldLabel is the label a classification case is scored against per class: the prediction when it is
// an accepted code, else the expected code.
func goldLabel(r Result) string {
	p := predicted(r)
	if p != "" && goldSet(r.Case, LevelSub)[p] {
		return p
	}
	return normCode(r.Case.Expected)
}

// questionHit reports whether the Decision's citations, joined and with whitespace removed, contain
// every cite substring (also with whitespace removed).
func questionHit(r Result) bool {
	if r.Error != "" {
		return false
	}
	if len(r.Case.Cite) == 0 {
		return needsHit(r)
	}
	var quotes []string
	for _, c := range r.Decision.Citations {
		quotes = append(quotes, c.Quote)
	}
	joined := squash(strings.Join(quotes, "\n"))
	for _, s := range r.Case.Cite {
		q := squash(s)
		if q == "" || !strings.Contains(joined, q) {
			return false
		}
	}
	return true
}

// KindOutside is the kind of a guidance question that the guidance does not cover.
const KindOutside = "outside"

// needsHit reports whether the answer cites every needed passage by ref and does not say the guidance
// leaves the question uncovered (its nearest passages are cited then: the answer is still wrong); for a
// question the guidance does not cover, whether the answer says so.
func needsHit(r Result) bool {
	if len(r.Case.Needs) == 0 {
		return r.Case.QKind == KindOutside && r.Decision.Uncovered
	}
	if r.Decision.Uncovered {
		return false
	}
	have := map[string]bool{}
	for _, c := range r.Decision.Citations {
		have[c.Ref] = true
	}
	for _, ref := range r.Case.Needs {
		if !have[ref] {
			return false
		}
	}
	return true
}

// routedAsQuestion reports whether the engine took the input for a question (about the guidance or a
// follow-up) rather than a description to classify.
func routedAsQuestion(d decision.Decision) bool {
	return d.Kind == decision.KindGuidance || d.Kind == decision.KindExplain
}

func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func rate(num, den int) float64 {
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

// Score computes every figure of a Report from per-case results. It judges each result (Right, Top3,
// Abstained) on a copy, so results may come from a Report loaded from JSON. verbatim, if not nil,
// checks each citation quote.
func Score(results []Result, verbatim func(quote string) bool) *Report {
	rep := &Report{
		Cases:    len(results),
		Results:  make([]Result, len(results)),
		Errors:   []CaseError{},
		Failures: []Failure{},
	}
	copy(rep.Results, results)

	var cls []Result // classification results, judged
	for i := range rep.Results {
		r := &rep.Results[i]
		r.Abstained = false
		if r.Case.IsQuestion() {
			r.Right = questionHit(*r)
			r.Top3 = r.Right
		} else {
			r.Right = topK(*r, LevelSub, 1)
			r.Top3 = topK(*r, LevelSub, 3)
			r.Abstained = r.Error == "" && normCode(r.Decision.Code) == "" && strings.TrimSpace(r.Decision.Question) != ""
			cls = append(cls, *r)
		}
	}
	rep.ClassificationCases = len(cls)
	rep.QuestionCases = len(results) - len(cls)

	scoreAccuracy(rep, cls)
	scoreAnswered(rep, cls)
	scoreClasses(rep, cls)
	rep.Confusion = confusion(cls)
	scoreTags(rep)
	scoreCitations(rep, verbatim)
	scoreRest(rep)
	return rep
}

func scoreAccuracy(rep *Report, cls []Result) {
	at := func(lv Level) TopK {
		var t1, t3 int
		for _, r := range cls {
			if topK(r, lv, 1) {
				t1++
			}
			if topK(r, lv, 3) {
				t3++
			}
		}
		return TopK{Top1: rate(t1, len(cls)), Top3: rate(t3, len(cls))}
	}
	rep.Accuracy = Accuracy{Sub: at(LevelSub), Middle: at(LevelMiddle), Major: at(LevelMajor)}
}

// scoreAnswered fills abstention, answered accuracy, the coverage curve and calibration.
func scoreAnswered(rep *Report, cls []Result) {
	var answered []Result
	right := 0
	for _, r := range cls {
		if r.Abstained {
			rep.Abstained++
		}
		if predicted(r) != "" {
			answered = append(answered, r)
			if r.Right {
				right++
			}
		}
	}
	rep.AbstentionRate = rate(rep.Abstained, len(cls))
	rep.Answered = len(answered)
	rep.AnsweredAccuracy = rate(right, len(answered))

	const eps = 1e-9
	rep.Coverage = make([]CoveragePoint, 0, 21)
	for i := 0; i <= 20; i++ {
		t := float64(i) / 20
		n, ok := 0, 0
		for _, r := range answered {
			if r.Decision.Confidence >= t-eps {
				n++
				if r.Right {
					ok++
				}
			}
		}
		rep.Coverage = append(rep.Coverage, CoveragePoint{Threshold: t, Answered: n, Coverage: rate(n, len(cls)), Accuracy: rate(ok, n)})
	}

	const bins = 10
	var count, hits [bins]int
	var confSum [bins]float64
	for _, r := range answered {
		c := min(max(r.Decision.Confidence, 0), 1)
		b := min(int(math.Floor(c*bins+eps)), bins-1)
		count[b]++
		confSum[b] += c
		if r.Right {
			hits[b]++
		}
	}
	rep.Calibration = make([]CalibrationBin, bins)
	for b := range bins {
		cb := CalibrationBin{Lo: float64(b) / bins, Hi: float64(b+1) / bins, Count: count[b]}
		if count[b] > 0 {
			cb.Accuracy = rate(hits[b], count[b])
			cb.Confidence = confSum[b] / float64(count[b])
			rep.ECE += float64(count[b]) / float64(len(answered)) * math.Abs(cb.Accuracy-cb.Confidence)
		}
		rep.Calibration[b] = cb
	}
}

// scoreClasses fills per-class scores, macro-F1 and OUT precision/recall.
func scoreClasses(rep *Report, cls []Result) {
	support, pred, tp := map[string]int{}, map[string]int{}, map[string]int{}
	for _, r := range cls {
		g, p := goldLabel(r), predicted(r)
		if g != "" {
			support[g]++
		}
		if p != "" {
			pred[p]++
			if p == g {
				tp[p]++
			}
		}
	}
	codes := map[string]bool{}
	for c := range support {
		codes[c] = true
	}
	for c := range pred {
		codes[c] = true
	}
	rep.PerClass = []ClassScore{}
	var f1Sum float64
	var f1N int
	for _, c := range sortCodes(codes) {
		s := ClassScore{Code: c, Support: support[c], Predicted: pred[c],
			Precision: rate(tp[c], pred[c]), Recall: rate(tp[c], support[c])}
		if s.Precision+s.Recall > 0 {
			s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
		}
		if s.Support > 0 {
			f1Sum += s.F1
			f1N++
		}
		rep.PerClass = append(rep.PerClass, s)
	}
	if f1N > 0 {
		rep.MacroF1 = f1Sum / float64(f1N)
	}
	o := decision.OUT
	rep.Out = OutScore{Precision: rate(tp[o], pred[o]), Recall: rate(tp[o], support[o]),
		Predicted: pred[o], Gold: support[o], Hits: tp[o]}
}

// confusion counts gold label × predicted code, so the diagonal holds exactly the cases right at
// top-1 and an accepted alternative is not shown as a confusion.
func confusion(cls []Result) Confusion {
	rows, cols := map[string]bool{}, map[string]bool{}
	for _, r := range cls {
		rows[goldLabel(r)] = true
		cols[predicted(r)] = true
	}
	m := Confusion{Expected: sortCodes(rows), Predicted: sortCodes(cols), Counts: [][]int{}}
	ri, ci := index(m.Expected), index(m.Predicted)
	for range m.Expected {
		m.Counts = append(m.Counts, make([]int, len(m.Predicted)))
	}
	for _, r := range cls {
		m.Counts[ri[goldLabel(r)]][ci[predicted(r)]]++
	}
	return m
}

func index(s []string) map[string]int {
	m := make(map[string]int, len(s))
	for i, v := range s {
		m[v] = i
	}
	return m
}

// sortCodes orders codes as the taxonomy does: ITO, BPO, KPO codes, then OUT and anything else,
// then "" last.
func sortCodes(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	rank := func(c string) int {
		switch {
		case c == "":
			return 5
		case c == decision.OUT:
			return 3
		case c[0] == 'I':
			return 0
		case c[0] == 'B':
			return 1
		case c[0] == 'K':
			return 2
		}
		return 4
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := rank(out[i]), rank(out[j])
		if ri != rj {
			return ri < rj
		}
		return out[i] < out[j]
	})
	return out
}

func scoreTags(rep *Report) {
	cases, right := map[string]int{}, map[string]int{}
	for _, r := range rep.Results {
		seen := map[string]bool{}
		for _, t := range r.Case.Tags {
			if t == "" || seen[t] {
				continue
			}
			seen[t] = true
			cases[t]++
			if r.Right {
				right[t]++
			}
		}
	}
	tags := make([]string, 0, len(cases))
	for t := range cases {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	rep.PerTag = []TagScore{}
	for _, t := range tags {
		rep.PerTag = append(rep.PerTag, TagScore{Tag: t, Cases: cases[t], Right: right[t], Accuracy: rate(right[t], cases[t])})
	}
}

func scoreCitations(rep *Report, verbatim func(string) bool) {
	cs := CitationScore{Checked: verbatim != nil}
	for _, r := range rep.Results {
		if r.Error != "" {
			continue
		}
		for _, c := range r.Decision.Citations {
			cs.Total++
			if verbatim != nil && verbatim(c.Quote) {
				cs.Verbatim++
			}
		}
	}
	if cs.Checked {
		cs.Rate = rate(cs.Verbatim, cs.Total)
	}
	rep.Citations = cs
	rep.Deciding = deciding(rep.Results)

	for _, r := range rep.Results {
		if r.Right {
			continue
		}
		d := r.Decision
		f := Failure{ID: r.Case.ID, Question: r.Case.IsQuestion(), Text: r.Case.Input(), Expected: r.Case.Expected,
			Accept: r.Case.Accept, Cite: r.Case.Cite, Code: d.Code, Reason: d.Reason, Answer: d.Answer,
			Ask: d.Question, Citations: d.Citations, Error: r.Error}
		if verbatim != nil {
			for _, c := range d.Citations {
				f.Verbatim = append(f.Verbatim, verbatim(c.Quote))
			}
		}
		rep.Failures = append(rep.Failures, f)
	}
}

// deciding scores the right classification answers to cases with a Ref (DecidingScore).
func deciding(results []Result) DecidingScore {
	var ds DecidingScore
	for _, r := range results {
		if r.Case.IsQuestion() || r.Case.Ref == "" || !r.Right || r.Error != "" {
			continue
		}
		first := len(r.Decision.Citations) > 0 && r.Decision.Citations[0].Ref == r.Case.Ref
		ds.Cases++
		if first {
			ds.First++
		}
		if slices.ContainsFunc(r.Decision.Citations, func(c decision.Citation) bool { return c.Ref == r.Case.Ref }) {
			ds.Cited++
		}
		if normCode(r.Case.Expected) == decision.OUT {
			ds.OutCases++
			if first {
				ds.OutFirst++
			}
		}
	}
	ds.Rate, ds.OutRate = rate(ds.First, ds.Cases), rate(ds.OutFirst, ds.OutCases)
	return ds
}

// scoreRest fills question hits, latency, tokens and errors.
func scoreRest(rep *Report) {
	var lat []float64
	var latSum float64
	for _, r := range rep.Results {
		if r.Error == "" {
			if r.Case.Route != "" && r.Case.WantsQuestion() != r.Case.IsQuestion() {
				rep.Routing.Adjudicated++
			}
			switch q := routedAsQuestion(r.Decision); {
			case r.Case.WantsQuestion():
				rep.Routing.Questions++
				if q {
					rep.Routing.QuestionsRight++
				}
			default:
				rep.Routing.Descriptions++
				if !q {
					rep.Routing.DescriptionsRight++
				}
			}
		}
		if r.Case.IsQuestion() {
			if r.Right {
				rep.Questions.Hits++
			}
			if len(r.Case.Needs) > 0 {
				rep.Questions.NeedCases++
				if cs := r.Decision.Citations; len(cs) > 0 && slices.Contains(r.Case.Needs, cs[0].Ref) {
					rep.Questions.Led++
				}
				for _, c := range r.Decision.Citations {
					rep.Questions.Quoted++
					if slices.Contains(r.Case.Needs, c.Ref) {
						rep.Questions.QuotedNeeded++
					}
				}
			}
		}
		lat = append(lat, r.LatencyMS)
		latSum += r.LatencyMS
		if u := r.Decision.Usage; u != nil {
			rep.Tokens.Prompt += u.PromptTokens
			rep.Tokens.Completion += u.CompletionTokens
		}
		if r.Error != "" {
			rep.Errors = append(rep.Errors, CaseError{ID: r.Case.ID, Error: r.Error})
		}
	}
	rep.Questions.Cases = rep.QuestionCases
	rep.Questions.HitRate = rate(rep.Questions.Hits, rep.QuestionCases)
	rep.Questions.LedRate = rate(rep.Questions.Led, rep.Questions.NeedCases)
	rep.Questions.Precision = rate(rep.Questions.QuotedNeeded, rep.Questions.Quoted)
	rep.Routing.QuestionRate = rate(rep.Routing.QuestionsRight, rep.Routing.Questions)
	rep.Routing.DescriptionRate = rate(rep.Routing.DescriptionsRight, rep.Routing.Descriptions)
	rep.ErrorCount = len(rep.Errors)
	if n := len(lat); n > 0 {
		sort.Float64s(lat)
		rep.Latency = LatencySummary{P50MS: Percentile(lat, 50), P95MS: Percentile(lat, 95),
			MeanMS: latSum / float64(n), MaxMS: lat[n-1]}
		rep.Tokens.PromptPerCase = float64(rep.Tokens.Prompt) / float64(n)
		rep.Tokens.CompletionPerCase = float64(rep.Tokens.Completion) / float64(n)
	}
}

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of sorted values: the smallest
// value such that at least p% of the values are ≤ it. It returns 0 for no values.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(n)-1e-9)) - 1
	return sorted[min(max(i, 0), n-1)]
}
