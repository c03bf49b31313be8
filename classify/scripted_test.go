package classify_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
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
// It records the candidates each prompt would show.
type scripted struct {
	codes map[string]string
	shown *sync.Map // text → []string, the candidates' codes
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
	return classify.Suggestion{Code: s.codes[in.Text], Reason: "scripted"}, nil
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

// scoredWorld is the guidance and an index with the coding index, built once.
var scoredWorld = sync.OnceValues(func() (*corpus.Guidance, *retrieval.Index) {
	g, _ := world()
	lex, err := corpus.Lexicon()
	if err != nil {
		panic(err)
	}
	entries, err := g.CodingIndex()
	if err != nil {
		panic(err)
	}
	x, err := retrieval.New(g, lex, retrieval.Options{Entries: entries})
	if err != nil {
		panic(err)
	}
	return g, x
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

var listOverrides = flag.Bool("overrides", false, "TestRightLLMStaysRight: log every case a rule overrode")

// TestRightLLMStaysRight measures what the rule layer does to a right LLM: a scripted LLM answers each
// case's expected code on the team's test sets (eval/testdata/cases.jsonl and shadow.jsonl; measured
// here, never tuned on) and the final answer must be right for at least 97 % of them. Every case a rule
// overrode is logged with -overrides (go test ./classify -run TestRightLLMStaysRight -v -overrides).
func TestRightLLMStaysRight(t *testing.T) {
	if testing.Short() {
		t.Skip("classifies every case of the test sets")
	}
	cases := readCases(t, "../eval/testdata/cases.jsonl", "../eval/testdata/shadow.jsonl")
	codes := map[string]string{}
	for _, c := range cases {
		codes[c.Text] = c.Expected
	}
	shown := &sync.Map{}
	e := scoredEngine(t, scripted{codes: codes, shown: shown})
	right, listed, counted := 0, 0, 0
	for _, c := range cases {
		d, err := e.Classify(t.Context(), c.Text)
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		if c.Expected != decision.OUT { // OUT is no candidate: its scope clauses are in every prompt
			counted++
			if v, ok := shown.Load(textForPrompt(c.Text)); ok && slices.Contains(v.([]string), c.Expected) {
				listed++
			}
		}
		if d.Code == c.Expected || slices.Contains(c.Accept, d.Code) {
			right++
			continue
		}
		if *listOverrides {
			var rules []string
			for _, ch := range d.Checks {
				rules = append(rules, ch.Rule+":"+ch.Status+":"+ch.From+"→"+ch.To+" "+ch.Ref)
			}
			t.Logf("%s %s → %q by %v  %s", c.ID, c.Expected, d.Code, rules, clipRunes(c.Text, 60))
		}
	}
	share := float64(right) / float64(len(cases))
	t.Logf("a right LLM stays right on %d of %d cases (%.1f %%)", right, len(cases), 100*share)
	t.Logf("the prompt's candidates hold the expected code for %d of %d cases not OUT (%.1f %%)", listed, counted, 100*float64(listed)/float64(counted))
	if float64(listed) < 0.95*float64(counted) {
		t.Errorf("the shortlist holds the expected code for %.1f %% of the cases, want ≥ 95 %%", 100*float64(listed)/float64(counted))
	}
	if share < 0.97 {
		t.Errorf("a right LLM stays right on %.1f %% of the cases, want ≥ 97 %%", 100*share)
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

var steer = flag.Bool("steer", false, "TestRightLLMOnCodingIndex: run the leave-one-author-out steering figure (about a minute)")

// TestRightLLMOnCodingIndex is the steering figure of the rule layer under an LLM: a scripted LLM answers
// each coding-index entry's own code, the entry's author is left out of the neighbours and the naive Bayes
// (Engine.Fold; the embedded model's twelve weights stay), and the final answer must stay right. Run with
// go test ./classify -run TestRightLLMOnCodingIndex -steer -v (add -overrides to list the cases).
func TestRightLLMOnCodingIndex(t *testing.T) {
	if !*steer {
		t.Skip("run with -steer")
	}
	g, _ := scoredWorld()
	entries, err := g.CodingIndex()
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, en := range entries {
		codes[textForPrompt(en.Text)] = en.Code
	}
	m, err := classify.DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	base := scoredEngine(t, scripted{codes: codes})
	right, byRule := 0, map[string]int{}
	for _, en := range entries {
		d, err := base.Fold(en.Author, m).Classify(t.Context(), en.Text)
		if err != nil {
			t.Fatalf("%s line %d: %v", en.Author, en.Line, err)
		}
		if d.Code == en.Code {
			right++
			continue
		}
		rule := "none"
		for _, c := range d.Checks {
			if c.Status != "dropped" {
				rule = c.Rule + ":" + c.Status
			}
		}
		byRule[rule]++
		if *listOverrides {
			t.Logf("%s:%d %s → %q by %s  %s", en.Author, en.Line, en.Code, d.Code, rule, clipRunes(en.Text, 60))
		}
	}
	t.Logf("a right LLM stays right on %d of %d coding-index entries (%.1f %%); overridden by %v", right, len(entries), 100*float64(right)/float64(len(entries)), byRule)
	if float64(right) < 0.97*float64(len(entries)) {
		t.Errorf("a right LLM stays right on %.1f %% of the entries, want ≥ 97 %%", 100*float64(right)/float64(len(entries)))
	}
}
