package eval

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"fenlei/decision"
)

const tol = 1e-9

func near(a, b float64) bool { return math.Abs(a-b) < tol }

func TestProject(t *testing.T) {
	tests := []struct {
		code               string
		sub, middle, major string
	}{
		{"I11", "I11", "I1", "ITO"},
		{"B23", "B23", "B2", "BPO"},
		{"K31", "K31", "K3", "KPO"},
		{" k39 ", "K39", "K3", "KPO"},
		{"OUT", "OUT", "OUT", "OUT"},
		{"", "", "", ""},
	}
	for _, tt := range tests {
		got := [3]string{Project(tt.code, LevelSub), Project(tt.code, LevelMiddle), Project(tt.code, LevelMajor)}
		want := [3]string{tt.sub, tt.middle, tt.major}
		if got != want {
			t.Errorf("Project(%q) = %v, want %v", tt.code, got, want)
		}
	}
}

func TestDecisionPathIsUsed(t *testing.T) {
	// A Decision whose Path puts the code elsewhere than the code's letters: Path wins for the
	// Decision's own code, candidates are derived.
	d := dec("I11", 0.5, "I11", "B21")
	d.Path = []string{"KPO", "K3", "I11"}
	r := res(cls("p", "K31"), d)
	if got := topK(r, LevelMiddle, 1); !got {
		t.Errorf("middle top-1 with Path K3 = false, want true")
	}
	if got := topK(r, LevelMajor, 1); !got {
		t.Errorf("major top-1 with Path KPO = false, want true")
	}
	if got := topK(r, LevelSub, 1); got {
		t.Errorf("sub top-1 = true, want false")
	}
	// A Path that does not end in the code is ignored.
	d.Path = []string{"KPO", "K3", "K31"}
	if got := topK(res(cls("p", "K31"), d), LevelMiddle, 1); got {
		t.Errorf("middle top-1 with a Path of another code = true, want false")
	}
}

func TestScoreAccuracy(t *testing.T) {
	rep := Score(nineCases(), nil)
	got := rep.Accuracy
	want := Accuracy{
		Sub:    TopK{Top1: 3.0 / 9, Top3: 6.0 / 9},
		Middle: TopK{Top1: 5.0 / 9, Top3: 7.0 / 9},
		Major:  TopK{Top1: 5.0 / 9, Top3: 7.0 / 9},
	}
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"sub top1", got.Sub.Top1, want.Sub.Top1},
		{"sub top3", got.Sub.Top3, want.Sub.Top3},
		{"middle top1", got.Middle.Top1, want.Middle.Top1},
		{"middle top3", got.Middle.Top3, want.Middle.Top3},
		{"major top1", got.Major.Top1, want.Major.Top1},
		{"major top3", got.Major.Top3, want.Major.Top3},
	} {
		if !near(f.got, f.want) {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
	if rep.ClassificationCases != 9 || rep.QuestionCases != 0 || rep.Cases != 9 {
		t.Errorf("cases = %d/%d/%d, want 9/9/0", rep.Cases, rep.ClassificationCases, rep.QuestionCases)
	}
	var right, top3 []string
	for _, r := range rep.Results {
		if r.Right {
			right = append(right, r.Case.ID)
		}
		if r.Top3 {
			top3 = append(top3, r.Case.ID)
		}
	}
	if want := []string{"c1", "c4", "c5"}; !reflect.DeepEqual(right, want) {
		t.Errorf("right = %v, want %v", right, want)
	}
	if want := []string{"c1", "c2", "c4", "c5", "c6", "c7"}; !reflect.DeepEqual(top3, want) {
		t.Errorf("top3 = %v, want %v", top3, want)
	}
}

func TestScoreOutAbstention(t *testing.T) {
	rep := Score(nineCases(), nil)
	// Predicted OUT: c5, c8. Gold OUT: c5, c6. Both: c5.
	if want := (OutScore{Precision: 0.5, Recall: 0.5, Predicted: 2, Gold: 2, Hits: 1}); rep.Out != want {
		t.Errorf("Out = %+v, want %+v", rep.Out, want)
	}
	// Abstained: c7 only (c9 errored, no question). Answered: c1–c6, c8; right among them c1, c4, c5.
	if rep.Abstained != 1 || !near(rep.AbstentionRate, 1.0/9) {
		t.Errorf("abstained = %d (%v), want 1 (1/9)", rep.Abstained, rep.AbstentionRate)
	}
	if rep.Answered != 7 || !near(rep.AnsweredAccuracy, 3.0/7) {
		t.Errorf("answered = %d (%v), want 7 (3/7)", rep.Answered, rep.AnsweredAccuracy)
	}
}

func TestScoreOutAccept(t *testing.T) {
	// An accepted non-OUT answer to an expected-OUT case is right, and moves the gold label.
	rep := Score([]Result{
		res(cls("a", "OUT", "B39"), dec("B39", 0.5)),
		res(cls("b", "OUT"), dec("OUT", 0.5)),
		res(cls("c", "I11", "OUT"), dec("OUT", 0.5)),
		res(cls("d", "OUT"), dec("I11", 0.5)),
	}, nil)
	// gold: a B39, b OUT, c OUT, d OUT. predicted OUT: b, c (both right).
	if want := (OutScore{Precision: 1, Recall: 2.0 / 3, Predicted: 2, Gold: 3, Hits: 2}); rep.Out != want {
		t.Errorf("Out = %+v, want %+v", rep.Out, want)
	}
	if !near(rep.Accuracy.Sub.Top1, 0.75) {
		t.Errorf("top1 = %v, want 0.75", rep.Accuracy.Sub.Top1)
	}
}

func TestScorePerClass(t *testing.T) {
	rep := Score(nineCases(), nil)
	// gold/predicted: c1 I11/I11, c2 I13/I11, c3 B21/B23, c4 K32/K32 (accepted), c5 OUT/OUT,
	// c6 OUT/I21, c7 I12/-, c8 B11/OUT, c9 I11/-.
	want := []ClassScore{
		{Code: "I11", Precision: 0.5, Recall: 0.5, F1: 0.5, Support: 2, Predicted: 2},
		{Code: "I12", Support: 1},
		{Code: "I13", Support: 1},
		{Code: "I21", Predicted: 1},
		{Code: "B11", Support: 1},
		{Code: "B21", Support: 1},
		{Code: "B23", Predicted: 1},
		{Code: "K32", Precision: 1, Recall: 1, F1: 1, Support: 1, Predicted: 1},
		{Code: "OUT", Precision: 0.5, Recall: 0.5, F1: 0.5, Support: 2, Predicted: 2},
	}
	if !reflect.DeepEqual(rep.PerClass, want) {
		t.Errorf("PerClass:\ngot  %+v\nwant %+v", rep.PerClass, want)
	}
	// Macro-F1 over the 7 classes with support: (0.5 + 0 + 0 + 0 + 0 + 1 + 0.5) / 7.
	if !near(rep.MacroF1, 2.0/7) {
		t.Errorf("MacroF1 = %v, want %v", rep.MacroF1, 2.0/7)
	}
}

func TestScorePerClassF1(t *testing.T) {
	// One class with P ≠ R: I11 predicted 3 times, right twice, support 4 → P 2/3, R 1/2, F1 4/7.
	rep := Score([]Result{
		res(cls("a", "I11"), dec("I11", 1)),
		res(cls("b", "I11"), dec("I11", 1)),
		res(cls("c", "I12"), dec("I11", 1)),
		res(cls("d", "I11"), dec("I12", 1)),
		res(cls("e", "I11"), ask("?")),
	}, nil)
	got := rep.PerClass[0]
	if got.Code != "I11" || !near(got.Precision, 2.0/3) || !near(got.Recall, 0.5) || !near(got.F1, 4.0/7) || got.Support != 4 || got.Predicted != 3 {
		t.Errorf("I11 = %+v, want P 2/3 R 1/2 F1 4/7 support 4 predicted 3", got)
	}
	// I12: predicted once (d, wrong), support 1 (c) → all 0. Macro = (4/7 + 0)/2.
	if !near(rep.MacroF1, 2.0/7) {
		t.Errorf("MacroF1 = %v, want %v", rep.MacroF1, 2.0/7)
	}
}

func TestScoreConfusion(t *testing.T) {
	rep := Score(nineCases(), nil)
	want := Confusion{
		Expected:  []string{"I11", "I12", "I13", "B11", "B21", "K32", "OUT"},
		Predicted: []string{"I11", "I21", "B23", "K32", "OUT", ""},
		Counts: [][]int{
			//  I11 I21 B23 K32 OUT ""
			{1, 0, 0, 0, 0, 1}, // I11: c1, c9 (error)
			{0, 0, 0, 0, 0, 1}, // I12: c7 (abstained)
			{1, 0, 0, 0, 0, 0}, // I13: c2
			{0, 0, 0, 0, 1, 0}, // B11: c8
			{0, 0, 1, 0, 0, 0}, // B21: c3
			{0, 0, 0, 1, 0, 0}, // K32: c4 (expected K31, K32 accepted: the gold label is K32)
			{0, 1, 0, 0, 1, 0}, // OUT: c5, c6
		},
	}
	if !reflect.DeepEqual(rep.Confusion, want) {
		t.Errorf("Confusion:\ngot  %+v\nwant %+v", rep.Confusion, want)
	}
}

func TestScoreCoverage(t *testing.T) {
	rep := Score(nineCases(), nil)
	if len(rep.Coverage) != 21 {
		t.Fatalf("len(Coverage) = %d, want 21", len(rep.Coverage))
	}
	// Answered confidences (right?): c1 .90 ✓, c2 .80 ✗, c3 .60 ✗, c4 .70 ✓, c5 .95 ✓, c6 .40 ✗, c8 .50 ✗.
	// Coverage is over all 9 classification cases.
	tests := []struct {
		i    int
		want CoveragePoint
	}{
		{0, CoveragePoint{Threshold: 0, Answered: 7, Coverage: 7.0 / 9, Accuracy: 3.0 / 7}},
		{8, CoveragePoint{Threshold: 0.4, Answered: 7, Coverage: 7.0 / 9, Accuracy: 3.0 / 7}},
		{9, CoveragePoint{Threshold: 0.45, Answered: 6, Coverage: 6.0 / 9, Accuracy: 3.0 / 6}},
		{10, CoveragePoint{Threshold: 0.5, Answered: 6, Coverage: 6.0 / 9, Accuracy: 3.0 / 6}},
		{15, CoveragePoint{Threshold: 0.75, Answered: 3, Coverage: 3.0 / 9, Accuracy: 2.0 / 3}},
		{18, CoveragePoint{Threshold: 0.9, Answered: 2, Coverage: 2.0 / 9, Accuracy: 1}},
		{19, CoveragePoint{Threshold: 0.95, Answered: 1, Coverage: 1.0 / 9, Accuracy: 1}},
		{20, CoveragePoint{Threshold: 1, Answered: 0, Coverage: 0, Accuracy: 0}},
	}
	for _, tt := range tests {
		got := rep.Coverage[tt.i]
		if !near(got.Threshold, tt.want.Threshold) || got.Answered != tt.want.Answered ||
			!near(got.Coverage, tt.want.Coverage) || !near(got.Accuracy, tt.want.Accuracy) {
			t.Errorf("Coverage[%d] = %+v, want %+v", tt.i, got, tt.want)
		}
	}
}

func TestScoreECE(t *testing.T) {
	tests := []struct {
		name    string
		results []Result
		want    float64
	}{
		{
			// Four answered cases and one abstention (excluded):
			//   bin [0.2,0.3): conf .2 wrong            → acc 0,   mean conf .2,  |0-.2|   = .2,  weight 1/4
			//   bin [0.8,0.9): conf .8 right, .8 wrong  → acc .5,  mean conf .8,  |.5-.8|  = .3,  weight 2/4
			//   bin [0.9,1.0]: conf 1.0 right           → acc 1,   mean conf 1,   |1-1|    = 0,   weight 1/4
			// ECE = .2/4 + .3*2/4 + 0 = .05 + .15 = .2
			name: "small",
			results: []Result{
				res(cls("a", "I11"), dec("I12", 0.2)),
				res(cls("b", "I11"), dec("I11", 0.8)),
				res(cls("c", "I11"), dec("I12", 0.8)),
				res(cls("d", "I11"), dec("I11", 1.0)),
				res(cls("e", "I11"), ask("?")),
			},
			want: 0.2,
		},
		{
			// nineCases, answered only: bins .4 (c6 ✗), .5 (c8 ✗), .6 (c3 ✗), .7 (c4 ✓), .8 (c2 ✗), .9 (c1 ✓, c5 ✓)
			// gaps .4, .5, .6, .3, .8 (weight 1/7 each) and |1 - .925| = .075 (weight 2/7)
			// ECE = (2.6 + .15) / 7
			name:    "nine",
			results: nineCases(),
			want:    2.75 / 7,
		},
		{name: "perfect", results: []Result{res(cls("a", "I11"), dec("I11", 1))}, want: 0},
		{name: "none answered", results: []Result{res(cls("a", "I11"), ask("?"))}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Score(tt.results, nil)
			if !near(got.ECE, tt.want) {
				t.Errorf("ECE = %v, want %v", got.ECE, tt.want)
			}
			n := 0
			for _, b := range got.Calibration {
				n += b.Count
			}
			if n != got.Answered {
				t.Errorf("calibration bins hold %d cases, want %d answered", n, got.Answered)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	seq := func(n int) []float64 {
		var s []float64
		for i := 1; i <= n; i++ {
			s = append(s, float64(i))
		}
		return s
	}
	tests := []struct {
		vals []float64
		p    float64
		want float64
	}{
		{nil, 50, 0},
		{[]float64{7}, 50, 7},
		{[]float64{7}, 95, 7},
		{seq(4), 50, 2},   // ceil(.5*4) = 2nd
		{seq(10), 50, 5},  // 5th
		{seq(10), 95, 10}, // ceil(9.5) = 10th
		{seq(20), 95, 19}, // 19th
		{seq(20), 100, 20},
		{seq(3), 50, 2},
	}
	for _, tt := range tests {
		if got := Percentile(tt.vals, tt.p); got != tt.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tt.vals, tt.p, got, tt.want)
		}
	}
}

func TestScoreLatencyTokens(t *testing.T) {
	var rs []Result
	for i, ms := range []float64{40, 10, 30, 20} {
		r := res(cls(string(rune('a'+i)), "I11"), dec("I11", 1))
		r.LatencyMS = ms
		rs = append(rs, r)
	}
	rs[0].Decision.Usage = &decision.Usage{PromptTokens: 100, CompletionTokens: 10}
	rs[2].Decision.Usage = &decision.Usage{PromptTokens: 300, CompletionTokens: 30}
	rep := Score(rs, nil)
	// sorted 10 20 30 40: p50 = 2nd = 20, p95 = 4th = 40.
	if want := (LatencySummary{P50MS: 20, P95MS: 40, MeanMS: 25, MaxMS: 40}); rep.Latency != want {
		t.Errorf("Latency = %+v, want %+v", rep.Latency, want)
	}
	if want := (TokenSummary{Prompt: 400, Completion: 40, PromptPerCase: 100, CompletionPerCase: 10}); rep.Tokens != want {
		t.Errorf("Tokens = %+v, want %+v", rep.Tokens, want)
	}
}

func cite(quotes ...string) decision.Decision {
	var d decision.Decision
	for _, q := range quotes {
		d.Citations = append(d.Citations, decision.Citation{Ref: "r", Quote: q})
	}
	return d
}

func qcase(id string, cites ...string) Case {
	return Case{ID: id, Question: "question " + id, Cite: cites}
}

func TestScoreQuestions(t *testing.T) {
	rs := []Result{
		// both substrings present, one across a line break in the quote
		res(qcase("q1", "交易平台", "注册材料"), cite("交易平台应当公开", "申请注册\n材料包括")),
		// no citations
		res(qcase("q2", "交易平台"), cite()),
		// whitespace in the cite is ignored
		res(qcase("q3", "服务 外包"), cite("服务外包是指")),
		// only one of two substrings
		res(qcase("q4", "交易平台", "统计"), cite("交易平台")),
		// errored
		failed(qcase("q5", "交易平台"), "timeout"),
		// a classification case does not count
		res(cls("c1", "I11"), dec("I11", 1)),
	}
	rep := Score(rs, nil)
	if want := (QuestionScore{Cases: 5, Hits: 2, HitRate: 0.4}); rep.Questions != want {
		t.Errorf("Questions = %+v, want %+v", rep.Questions, want)
	}
	if rep.ClassificationCases != 1 || !near(rep.Accuracy.Sub.Top1, 1) {
		t.Errorf("classification = %d cases top1 %v, want 1 case top1 1", rep.ClassificationCases, rep.Accuracy.Sub.Top1)
	}
	var failedIDs []string
	for _, f := range rep.Failures {
		failedIDs = append(failedIDs, f.ID)
	}
	if want := []string{"q2", "q4", "q5"}; !reflect.DeepEqual(failedIDs, want) {
		t.Errorf("failures = %v, want %v", failedIDs, want)
	}
}

func TestScoreCitations(t *testing.T) {
	guidance := "第一条 本指引所称服务外包。第二条 交易平台。"
	verbatim := func(q string) bool { return q != "" && strings.Contains(squash(guidance), squash(q)) }
	withCites := func(d decision.Decision, quotes ...string) decision.Decision {
		d.Citations = cite(quotes...).Citations
		return d
	}
	rs := []Result{
		res(cls("a", "I11"), withCites(dec("I11", 1), "本指引所称 服务外包", "编造的句子")),
		res(qcase("q", "交易平台"), cite("交易平台")),
		{Case: cls("e", "I11"), Decision: withCites(dec("I11", 1), "不算"), Error: "boom"}, // errored: not counted
		res(cls("b", "I11"), withCites(dec("I12", 1), "")),                               // empty quote: not verbatim
	}
	tests := []struct {
		name     string
		verbatim func(string) bool
		want     CitationScore
	}{
		{"checked", verbatim, CitationScore{Checked: true, Total: 4, Verbatim: 2, Rate: 0.5}},
		{"unchecked", nil, CitationScore{Checked: false, Total: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Score(rs, tt.verbatim)
			if rep.Citations != tt.want {
				t.Errorf("Citations = %+v, want %+v", rep.Citations, tt.want)
			}
		})
	}
	rep := Score(rs, verbatim)
	for _, f := range rep.Failures {
		if f.ID == "b" && !reflect.DeepEqual(f.Verbatim, []bool{false}) {
			t.Errorf("failure b Verbatim = %v, want [false]", f.Verbatim)
		}
	}
}

func TestScoreTagsErrors(t *testing.T) {
	tagged := func(c Case, tags ...string) Case { c.Tags = tags; return c }
	rs := []Result{
		res(tagged(cls("a", "I11"), "english", "hard"), dec("I11", 1)),
		res(tagged(cls("b", "I11"), "english"), dec("I12", 1)),
		res(tagged(cls("c", "OUT"), "hard", "hard"), dec("OUT", 1)), // a repeated tag counts once
		failed(tagged(cls("d", "I11"), "english"), "rate limited"),
		res(tagged(qcase("q", "交易平台"), "question"), cite("交易平台")),
	}
	rep := Score(rs, nil)
	want := []TagScore{
		{Tag: "english", Cases: 3, Right: 1, Accuracy: 1.0 / 3},
		{Tag: "hard", Cases: 2, Right: 2, Accuracy: 1},
		{Tag: "question", Cases: 1, Right: 1, Accuracy: 1},
	}
	if !reflect.DeepEqual(rep.PerTag, want) {
		t.Errorf("PerTag = %+v, want %+v", rep.PerTag, want)
	}
	if rep.ErrorCount != 1 || !reflect.DeepEqual(rep.Errors, []CaseError{{ID: "d", Error: "rate limited"}}) {
		t.Errorf("errors = %d %+v, want 1 [d: rate limited]", rep.ErrorCount, rep.Errors)
	}
}

func TestScoreDoesNotMutateInput(t *testing.T) {
	rs := nineCases()
	Score(rs, nil)
	for _, r := range rs {
		if r.Right || r.Top3 || r.Abstained {
			t.Fatalf("Score changed its input: %+v", r)
		}
	}
}

func TestScoreEmpty(t *testing.T) {
	rep := Score(nil, nil)
	if rep.Cases != 0 || rep.Accuracy != (Accuracy{}) || rep.ECE != 0 || len(rep.Coverage) != 21 {
		t.Errorf("Score(nil) = %+v, want zero figures and 21 coverage points", rep)
	}
}

func TestScoreNeeds(t *testing.T) {
	refs := func(kind string, rs ...string) decision.Decision {
		d := decision.Decision{Kind: kind}
		for _, r := range rs {
			d.Citations = append(d.Citations, decision.Citation{Ref: r, Quote: "q"})
		}
		return d
	}
	need := func(id, kind string, needs ...string) Case {
		return Case{ID: id, Question: "question " + id, Needs: needs, QKind: kind}
	}
	uncovered := refs(decision.KindGuidance, "scope.def")
	uncovered.Uncovered = true
	tests := []struct {
		name      string
		r         Result
		hit, asks bool
	}{
		{"every need cited", res(need("a", "platform", "platform.material.1", "platform.material.2"), refs(decision.KindGuidance, "platform.material.2", "platform.material.1", "x")), true, true},
		{"one need missing", res(need("b", "platform", "platform.material.1", "platform.material.2"), refs(decision.KindGuidance, "platform.material.1")), false, true},
		{"cited but classified", res(need("c", "class", "B23.def"), refs(decision.KindClassification, "B23.def")), true, false},
		{"outside said so", res(need("d", KindOutside), uncovered), true, true},
		{"outside answered as covered", res(need("e", KindOutside), refs(decision.KindGuidance, "scope.def")), false, true},
		{"covered answered as not covered", res(need("g", "scope", "scope.def"), uncovered), false, true},
		{"explain counts as a question", res(need("f", "difference", "I13.def"), refs(decision.KindExplain, "I13.def")), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Score([]Result{tt.r}, nil)
			if got := rep.Questions.Hits == 1; got != tt.hit {
				t.Errorf("hit = %v, want %v", got, tt.hit)
			}
			if got := rep.Routing.QuestionsRight == 1; got != tt.asks {
				t.Errorf("routed as question = %v, want %v", got, tt.asks)
			}
		})
	}
	rep := Score([]Result{res(cls("c1", "I11"), dec("I11", 1)), res(cls("c2", "I11"), refs(decision.KindGuidance))}, nil)
	if want := (RoutingScore{Descriptions: 2, DescriptionsRight: 1, DescriptionRate: 0.5}); rep.Routing != want {
		t.Errorf("Routing = %+v, want %+v", rep.Routing, want)
	}
}
