package classify_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"fenlei/classify"
	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/retrieval"
	"fenlei/textin"
)

// scripted is an LLM that answers a fixed code for each text (a script), and "" for a text it has no
// line for. It is what a right (or a wrong) LLM looks like to the rule layer, without the transport.
// With pick, it answers pick(the script's code, the prompt) instead: a wrong LLM of one kind. It records
// the candidates each prompt showed (shown) and the code it answered (answered), by text.
type scripted struct {
	codes           map[string]string
	pick            func(code string, in classify.SuggestInput) string
	shown, answered *sync.Map // text → []string, the candidates' codes; text → string
}

func (s scripted) Model() string { return "scripted" }

func (s scripted) Suggest(_ context.Context, in classify.SuggestInput, _ func(string)) (classify.Suggestion, error) {
	if s.shown != nil {
		var codes []string
		for _, c := range in.Candidates {
			codes = append(codes, c.Class.Code)
		}
		s.shown.Store(in.Text, codes)
	}
	code := s.codes[in.Text]
	if s.pick != nil {
		code = s.pick(code, in)
	}
	if s.answered != nil {
		s.answered.Store(in.Text, code)
	}
	return classify.Suggestion{Code: code, Reason: "scripted"}, nil
}

var _ classify.Suggester = scripted{}

// scoredEngine is the engine of production (guidance, coding index, learned scorer) with sug, if any.
func scoredEngine(t testing.TB, sug classify.Suggester) *classify.Engine {
	t.Helper()
	g, x := scoredWorld()
	e, err := classify.New(classify.Config{Guidance: g, Searcher: x, Neighbours: x, Suggester: sug, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// scoredWorld is the guidance and the index of production (the compiled coding index), built once.
var scoredWorld = sync.OnceValues(func() (*corpus.Guidance, *retrieval.Index) {
	g, _ := world()
	return g, newIndex(g, retrieval.Options{})
})

type testCase struct {
	ID       string   `json:"id"`
	Text     string   `json:"text"`
	Expected string   `json:"expected"`
	Accept   []string `json:"accept"`
}

func readCases(t testing.TB, paths ...string) []testCase {
	t.Helper()
	var out []testCase
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			var c testCase
			if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			out = append(out, c)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

var (
	listOverrides = flag.Bool("overrides", false, "the scripted-LLM figures: log every case the final answer got wrong")
	steer         = flag.Bool("steer", false, "the scripted-LLM figures over the coding index, leave one author out (a minute or two each)")
)

// llmCase is a text with its right code, from a test set (set) or the coding index (author: left out of
// the neighbours and the naive Bayes while its entry is classified, as in leave-one-author-out).
type llmCase struct {
	id, set, text, want string
	accept              []string
	author              string
}

func (c llmCase) right(code string) bool { return code == c.want || slices.Contains(c.accept, code) }

// testSetCases are the team's test sets (eval/testdata), measured here and never tuned on.
func testSetCases(t testing.TB) []llmCase {
	var out []llmCase
	for _, set := range []string{"cases", "shadow", "heldout"} {
		for _, c := range readCases(t, "../eval/testdata/"+set+".jsonl") {
			out = append(out, llmCase{id: c.ID, set: set + ".jsonl", text: c.Text, want: c.Expected, accept: c.Accept})
		}
	}
	return out
}

// codingIndexCases are the coding index's entries, each with its author: the figure we steer by.
func codingIndexCases(t testing.TB) []llmCase {
	g, _ := scoredWorld()
	entries, err := g.CodingIndex()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]llmCase, 0, len(entries))
	for _, en := range entries {
		out = append(out, llmCase{id: fmt.Sprintf("%s:%d", en.Author, en.Line), set: "coding index", text: en.Text, want: en.Code, author: en.Author})
	}
	return out
}

// scriptedFor is a scripted LLM that knows each case's right code, by the text it will see.
func scriptedFor(cs []llmCase) scripted {
	codes := map[string]string{}
	for _, c := range cs {
		codes[textForPrompt(c.text)] = c.want
	}
	return scripted{codes: codes, shown: &sync.Map{}, answered: &sync.Map{}}
}

// classifyAll classifies every case with an engine over sug (folded for a coding-index case) and calls
// each with the decision, in order.
func classifyAll(t *testing.T, sug classify.Suggester, cs []llmCase, each func(llmCase, decision.Decision)) {
	t.Helper()
	e := scoredEngine(t, sug)
	m, err := classify.DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		ce := e
		if c.author != "" {
			ce = e.Fold(c.author, m)
		}
		d, err := ce.Classify(t.Context(), c.text)
		if err != nil {
			t.Fatalf("%s: %v", c.id, err)
		}
		each(c, d)
	}
}

// why names what made a final answer differ from the LLM's: the last check that is not a dropped
// citation, or the kind of answer when the text never reached the rule layer (a guidance question).
func why(d decision.Decision) string {
	w := "none"
	if d.Kind != "" && d.Kind != "classification" {
		w = "answered as " + d.Kind
	}
	for _, c := range d.Checks {
		if c.Status != "dropped" {
			w = c.Rule + ":" + c.Status
		}
	}
	return w
}

func logMiss(t *testing.T, c llmCase, llmCode string, d decision.Decision) {
	t.Helper()
	if *listOverrides {
		t.Logf("%s %s (LLM %s) → %q at %.2f by %s  %s", c.id, c.want, llmCode, d.Code, d.Confidence, why(d), clipRunes(c.text, 60))
	}
}

// rightFigures count, over a set, the cases a right LLM's answer survived, the cases (not OUT) whose
// right code the prompt's candidates held, and what overrode the others.
type rightFigures struct {
	cases, right, counted, listed int
	by                            map[string]int
}

func (f rightFigures) rightShare() float64  { return float64(f.right) / float64(f.cases) }
func (f rightFigures) listedShare() float64 { return float64(f.listed) / float64(f.counted) }

func (f rightFigures) String() string {
	return fmt.Sprintf("a right LLM stays right on %d of %d (%.1f %%), overridden by %v; the candidates hold the right code for %d of %d not OUT (%.1f %%)",
		f.right, f.cases, 100*f.rightShare(), f.by, f.listed, f.counted, 100*f.listedShare())
}

// rightLLM runs a scripted LLM that answers every case's right code and returns the figures by set and
// over all the cases ("").
func rightLLM(t *testing.T, cs []llmCase) map[string]*rightFigures {
	sug := scriptedFor(cs)
	figs := map[string]*rightFigures{}
	add := func(set string, c llmCase, listed, right bool, by string) {
		f := figs[set]
		if f == nil {
			f = &rightFigures{by: map[string]int{}}
			figs[set] = f
		}
		f.cases++
		if c.want != decision.OUT { // OUT is no candidate: its scope clauses are in every prompt
			f.counted++
			if listed {
				f.listed++
			}
		}
		if right {
			f.right++
		} else {
			f.by[by]++
		}
	}
	classifyAll(t, sug, cs, func(c llmCase, d decision.Decision) {
		v, _ := sug.shown.Load(textForPrompt(c.text))
		shown, _ := v.([]string)
		listed, right := slices.Contains(shown, c.want), c.right(d.Code)
		if !right {
			logMiss(t, c, c.want, d)
		}
		add(c.set, c, listed, right, why(d))
		add("", c, listed, right, why(d))
	})
	return figs
}

// skipMeasure skips a test that classifies every case of the test sets in -short mode and under the race
// detector (one goroutine, four times slower): .ci/run runs these without it.
func skipMeasure(t *testing.T) {
	t.Helper()
	if testing.Short() || classify.RaceEnabled {
		t.Skip("classifies every case of the test sets: run without -short and -race (.ci/run does)")
	}
}

// TestRightLLMStaysRight measures what the rule layer does to a right LLM: a scripted LLM answers each
// case's right code on the team's test sets (eval/testdata: cases.jsonl, shadow.jsonl, heldout.jsonl;
// measured here, never tuned on) and the final answer must be right for at least 97 % of them; the
// prompt's candidates must hold the right code for at least 95 % of the cases that are not OUT. Every
// case a rule overrode is logged with -overrides
// (go test ./classify -run TestRightLLMStaysRight -v -overrides).
func TestRightLLMStaysRight(t *testing.T) {
	skipMeasure(t)
	figs := rightLLM(t, testSetCases(t))
	for _, set := range []string{"cases.jsonl", "shadow.jsonl", "heldout.jsonl"} {
		t.Logf("%s: %s", set, figs[set])
	}
	all := figs[""]
	t.Logf("all: %s", all)
	if all.listedShare() < 0.95 {
		t.Errorf("the shortlist holds the right code for %.1f %% of the cases, want ≥ 95 %%", 100*all.listedShare())
	}
	if all.rightShare() < 0.97 {
		t.Errorf("a right LLM stays right on %.1f %% of the cases, want ≥ 97 %%", 100*all.rightShare())
	}
}

// TestRightLLMOnCodingIndex is the steering figure of the rule layer under an LLM: a scripted LLM answers
// each coding-index entry's own code, the entry's author is left out of the neighbours and the naive Bayes
// (Engine.Fold; the embedded model's twelve weights stay), and the final answer must stay right. Run with
// go test ./classify -run TestRightLLMOnCodingIndex -steer -v (add -overrides to list the cases).
func TestRightLLMOnCodingIndex(t *testing.T) {
	if !*steer {
		t.Skip("run with -steer")
	}
	all := rightLLM(t, codingIndexCases(t))[""]
	t.Logf("coding index, leave one author out: %s", all)
	if all.rightShare() < 0.97 {
		t.Errorf("a right LLM stays right on %.1f %% of the entries, want ≥ 97 %%", 100*all.rightShare())
	}
}

// textForPrompt is the text as the Suggester sees it (normalised by textin).
func textForPrompt(s string) string {
	in, err := textin.Parse(s, 10000)
	if err != nil {
		return s
	}
	return in.Match
}

func clipRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// TestLLMJudged: the kinds of wrong LLM answers of issue 10's "Why", each judged by the guidance's clauses
// with the scorer's probabilities as evidence. The descriptions are our own sentences.
func TestLLMJudged(t *testing.T) {
	tests := []struct {
		name, text, llm string
		want            string   // the final code ("": any but notWant)
		notWant         string   // with want "": the final code must not be this one
		check           string   // rule:status of a check the decision must have ("" none required)
		maxConf         float64  // the confidence must not exceed it (0: no bound)
		minConf         float64  // the confidence must reach it, with no flagged check (0: no bound)
		cites           []string // must be cited
		notCites        []string // must not be cited
		notInReason     string
	}{
		// The offline evidence for this text is unambiguous (I11): an OUT without a clause yields to it.
		{name: "unsupported OUT yields", text: "为银行开发信贷管理软件", llm: decision.OUT, want: "I11", check: "scope:flagged", maxConf: 0.4},
		// The sentence: the offline evidence is split (it asks a question), so which class the OUT
		// yields to is open; it must not stay OUT, and it is flagged at low confidence.
		{name: "unsupported OUT, split evidence", text: "为银行开发手机APP", llm: decision.OUT, notWant: decision.OUT, check: "scope:flagged", maxConf: 0.4},
		{name: "unsupported OUT payroll", text: "为企业代发工资和核算薪酬", llm: decision.OUT, want: "B11", check: "scope:flagged", maxConf: 0.4},
		{name: "supported OUT cites its clause", text: "为写字楼提供日常保洁服务", llm: decision.OUT, want: decision.OUT, check: "scope:out"},
		{name: "exclusion on LLM code", text: "为电子商务平台做压力测试和性能测试", llm: "I13", want: "I23", check: "exclusion:redirected", cites: []string{"I13.exclude.4"}},
		{name: "exclusion cloud renting", text: "客户借助云计算以租用方式使用我们数据中心的服务器和存储", llm: "I21", want: "I31", check: "exclusion:redirected",
			notCites: []string{"I21.typical.4"}, notInReason: "属于I21"},
		{name: "consumer phone repair", text: "顾客的手机摔碎了，到店里换屏", llm: "B39", want: decision.OUT, check: "scope:out"},
		{name: "consumer repair without a clause", text: "手机店为个人顾客更换碎裂的屏幕", llm: "B39", want: "B39", check: "evidence:flagged", maxConf: 0.5},
		{name: "disagreement kept, flagged", text: "为银行开发手机银行APP", llm: "K39", want: "K39", check: "evidence:flagged", maxConf: 0.5},
		// A scope clause that reads the client's words (4S店: private-car repair) is affirmed, but the
		// scorer, which weighs the clause as a feature, puts software development far above OUT.
		{name: "OUT on a clause the evidence contradicts", text: "为汽车4S店开发客户预约管理软件", llm: decision.OUT, want: decision.OUT, check: "evidence:flagged", maxConf: 0.5,
			cites: []string{"B3.def.exclude.1"}},
		{name: "wrong code under a surface clause stays, flagged", text: "为汽车4S店开发客户预约管理软件", llm: "B31", want: "B31", check: "evidence:flagged", maxConf: 0.5},
		{name: "wrong catch-all yields to the listed class", text: "为汽车4S店开发客户预约管理软件", llm: "I19", want: "I11", check: "catch-all:redirected"},
		{name: "right code under a surface clause stands", text: "为汽车4S店开发客户预约管理软件", llm: "I11", want: "I11", minConf: 0.8},
		{name: "rejected code's passage not cited", text: "为写字楼提供日常保洁服务", llm: "I11", want: decision.OUT, notCites: []string{"I11.def"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := scoredEngine(t, scripted{codes: map[string]string{tc.text: tc.llm}})
			d, err := e.Classify(t.Context(), tc.text)
			if err != nil {
				t.Fatal(err)
			}
			checkDecision(t, d)
			var got []string
			for _, c := range d.Checks {
				got = append(got, c.Rule+":"+c.Status)
			}
			if tc.want != "" && d.Code != tc.want {
				t.Errorf("%s with LLM %s: code %q, want %s; checks %v", tc.text, tc.llm, d.Code, tc.want, d.Checks)
			}
			if tc.want == "" && (d.Code == tc.notWant || d.Code == "") {
				t.Errorf("%s with LLM %s: code %q, want a code other than %s; checks %v", tc.text, tc.llm, d.Code, tc.notWant, d.Checks)
			}
			if tc.check != "" && !slices.Contains(got, tc.check) {
				t.Errorf("%s: checks %v, want %s", tc.text, got, tc.check)
			}
			if tc.maxConf > 0 && d.Confidence > tc.maxConf {
				t.Errorf("%s: confidence %v, want ≤ %v", tc.text, d.Confidence, tc.maxConf)
			}
			if tc.minConf > 0 && (d.Confidence < tc.minConf || honest(d)) {
				t.Errorf("%s: confidence %v, checks %v, want ≥ %v and no flag", tc.text, d.Confidence, d.Checks, tc.minConf)
			}
			if d.Code != "" && (len(d.Candidates) == 0 || d.Candidates[0].Code != d.Code || d.Candidates[0].Score != d.Confidence) {
				t.Errorf("%s: candidates %v do not lead with the returned code at its confidence %v", tc.text, d.Candidates, d.Confidence)
			}
			if d.Code == decision.OUT && len(d.Citations) == 0 {
				t.Errorf("%s: OUT with no citation", tc.text)
			}
			for _, r := range tc.cites {
				if !cited(d, r) {
					t.Errorf("%s: citations %v, want %s", tc.text, d.Citations, r)
				}
			}
			for _, r := range tc.notCites {
				if cited(d, r) {
					t.Errorf("%s: cites %s, which does not support %s", tc.text, r, d.Code)
				}
			}
			for _, c := range d.Citations {
				if c.Ref == d.Code+".def" || !strings.HasSuffix(c.Ref, ".def") {
					continue
				}
				if d.Code == decision.OUT {
					t.Errorf("%s: OUT cites a class definition %s", tc.text, c.Ref)
				}
			}
			if tc.notInReason != "" && strings.Contains(strings.ReplaceAll(d.Reason, " ", ""), tc.notInReason) {
				t.Errorf("%s: reason %q still argues for the moved code", tc.text, d.Reason)
			}
		})
	}
}

// wrongKinds are the ways an LLM is wrong in issue 10's "Why", as scripts: each turns a case's right
// code and the prompt into a wrong code, or "" when the kind does not apply to the case.
var wrongKinds = []struct {
	name string
	pick func(right string, in classify.SuggestInput) string
}{
	// An invented OUT: a counted service said not to count.
	{"invented OUT", func(right string, _ classify.SuggestInput) string {
		if right == decision.OUT || right == "" {
			return ""
		}
		return decision.OUT
	}},
	// A catch-all (其他…) for a listed class of the same middle class.
	{"catch-all for a listed class", func(right string, _ classify.SuggestInput) string {
		if right == decision.OUT || right == "" || strings.HasSuffix(right, "9") {
			return ""
		}
		return right[:2] + "9"
	}},
	// The most plausible wrong code: the best candidate of the prompt that is not the right one (for an
	// OUT case, the best counted class: a scope the LLM missed; else often an exclusion's source class).
	{"best wrong candidate", func(right string, in classify.SuggestInput) string {
		for _, c := range in.Candidates {
			if c.Class.Code != right {
				return c.Class.Code
			}
		}
		return ""
	}},
}

// wrongFigures count, over the cases a wrong LLM answered wrong, the final answers that follow the
// guidance (right), that are honestly flagged (a question, or a flagged check at confidence ≤ 0.5), and
// the rest: wrong and confident, of which agreed are the LLM's code with no check at all (the offline
// scorer ranks it first too: no clause and no evidence could tell).
type wrongFigures struct{ cases, right, flagged, agreed int }

func (f wrongFigures) wrong() int { return f.cases - f.right - f.flagged }

func (f wrongFigures) String() string {
	pc := func(n int) float64 { return 100 * float64(n) / float64(f.cases) }
	return fmt.Sprintf("%d answered wrong: right %d (%.1f %%), flagged %d (%.1f %%), wrong and confident %d (%.1f %%; the scorer agreeing with the LLM %d)",
		f.cases, f.right, pc(f.right), f.flagged, pc(f.flagged), f.wrong(), pc(f.wrong()), f.agreed)
}

// honest reports whether a decision says it is unsure: a question, or a flagged check and a confidence
// of at most 0.5.
func honest(d decision.Decision) bool {
	if d.Code == "" {
		return true
	}
	for _, c := range d.Checks {
		if c.Status == "flagged" && d.Confidence <= 0.5 {
			return true
		}
	}
	return false
}

// wrongLLM runs a scripted LLM of each wrong kind over the cases and returns the figures by kind.
func wrongLLM(t *testing.T, cs []llmCase) map[string]*wrongFigures {
	figs := map[string]*wrongFigures{}
	for _, k := range wrongKinds {
		sug := scriptedFor(cs)
		sug.pick = k.pick
		f := &wrongFigures{}
		figs[k.name] = f
		classifyAll(t, sug, cs, func(c llmCase, d decision.Decision) {
			v, _ := sug.answered.Load(textForPrompt(c.text))
			said, _ := v.(string)
			if said == "" || c.right(said) {
				return // this kind of wrong does not apply, or the text never reached the LLM
			}
			f.cases++
			switch {
			case c.right(d.Code):
				f.right++
			case honest(d):
				f.flagged++
			default:
				if d.Code == said && why(d) == "none" {
					f.agreed++
				}
				logMiss(t, c, said, d)
			}
		})
	}
	return figs
}

// TestWrongLLMJudged measures what the rule layer does to a wrong LLM on the team's test sets: for each
// kind of wrong answer, the share of final answers that follow the guidance or are honestly flagged.
// go test ./classify -run TestWrongLLMJudged -v (add -overrides to list the wrong and confident ones).
func TestWrongLLMJudged(t *testing.T) {
	skipMeasure(t)
	checkWrong(t, wrongLLM(t, testSetCases(t)))
}

// maxConfidentWrong is the gate on the share of a wrong LLM's answers that end wrong and confident, for
// each kind: above the measured figures (3.1, 0.8 and 4.0 % on the test sets; 1.8, 0.7 and 5.9 % over the
// coding index), most of them texts the offline scorer gets wrong the same way.
const maxConfidentWrong = 0.06

func checkWrong(t *testing.T, figs map[string]*wrongFigures) {
	t.Helper()
	for _, k := range wrongKinds {
		f := figs[k.name]
		t.Logf("%s: %s", k.name, f)
		if share := float64(f.wrong()) / float64(f.cases); share > maxConfidentWrong {
			t.Errorf("%s: %.1f %% of the answers are wrong and confident, want ≤ %.0f %%", k.name, 100*share, 100*maxConfidentWrong)
		}
	}
}

// TestWrongLLMOnCodingIndex is TestWrongLLMJudged over the coding index, leave one author out: the
// figure we steer the rule layer by. go test ./classify -run TestWrongLLMOnCodingIndex -steer -v
func TestWrongLLMOnCodingIndex(t *testing.T) {
	if !*steer {
		t.Skip("run with -steer")
	}
	checkWrong(t, wrongLLM(t, codingIndexCases(t)))
}
