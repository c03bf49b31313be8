package classify

import (
	"slices"
	"strings"
	"testing"

	"fenlei/corpus"
	"fenlei/decision"
)

// firstLine is the plain answer: what comes before the quotes.
func firstLine(d decision.Decision) string {
	plain, _, _ := strings.Cut(d.Answer, "\n\n")
	return plain
}

// The inputs of issue 9, and new sentences of each kind: each is routed as a question, cites every passage
// its answer needs, and starts with a plain answer in the asker's language that says the thing asked.
func TestGuidanceAnswers(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		lang      string
		refs      []string // all must be cited
		says      []string // the plain answer contains each
		uncovered bool
	}{
		// the table
		{"deadline", "平台上一年的交易数据截止到几号报？", "", []string{"platform.p6.3"}, []string{"1 月 10 日"}, false},
		{"BPO and KPO", "合同里既有业务流程外包又有知识流程外包，按哪个大类报？", "", []string{"rule.4.2"}, []string{"KPO"}, false},
		{"two basic rules", "What are the two basic rules for deciding whether something counts as service outsourcing?", "en",
			[]string{"rule.5.step1.2"}, []string{"B2B", "business process"}, false},
		{"new business models", "指引里说的新型商业模式有哪几种？", "", []string{"scope.feature.5.3"}, []string{"云交付", "深度合作", "灵活交付"}, false},
		{"issuer zh", "哪个部门发布的这份指引？", "", []string{"title.5"}, []string{"商务部服务贸易和商贸服务业司"}, false},
		{"issuer en", "Who issued this guidance?", "en", []string{"title.5", "title.6", "title.7"}, []string{"Ministry of Commerce"}, false},
		{"offshore", "离岸外包和在岸外包怎么区分？", "", nil, []string{"没有涉及"}, true},
		{"call centre definition", "呼叫中心服务的定义是什么？", "", []string{"B23.def"}, []string{"B23"}, false},
		{"data processing definition", "What is the definition of data processing services?", "en", []string{"B21.def"}, []string{"B21", "Data processing"}, false},
		{"deadline plain", "交易平台的年度数据最迟哪天要交？", "", []string{"platform.p6.3"}, []string{"1 月 10 日"}, false},
		// a term the guidance defines outside the class table: its defining passage answers (leads: TestDefinedTermLeads)
		{"defined term", "交叉服务在指引里是怎么定义的？", "", []string{"rule.p1.1"}, nil, false},
		// new sentences of each kind
		{"materials whole", "Which documents must a platform hand in to register?", "en",
			[]string{"platform.material.1", "platform.material.2", "platform.material.3", "platform.material.4", "platform.material.5"},
			[]string{"Five documents"}, false},
		{"five features whole", "服务外包的内涵有哪些新特征？", "",
			[]string{"scope.feature.1.1", "scope.feature.2.1", "scope.feature.3.1", "scope.feature.4.1", "scope.feature.5.1"},
			[]string{"五个新特征"}, false},
		{"class exclusions", "B21 不包括哪些业务？", "", []string{"B21.def", "B21.exclude.1"}, []string{"不包括"}, false},
		{"class typical", "What does K13 include?", "en", []string{"K13.def", "K13.typical.1"}, []string{"Typical businesses"}, false},
		{"difference", "I13 和 K13 有什么区别？", "", []string{"I13.def", "K13.def"}, []string{"决定性的区别", "典型业务"}, false},
		{"difference by exclusion", "How do I23 and B22 differ?", "en", []string{"I23.def", "B22.def", "I23.exclude.3"},
			[]string{"The deciding difference", "I23"}, false},
		{"members of a major", "BPO下设哪几个中类？", "", []string{"table.21", "table.25", "table.32"}, []string{"B1", "B2", "B3"}, false},
		{"members of a major en", "Which middle classes make up knowledge process outsourcing?", "en",
			[]string{"table.37", "table.41", "table.46"}, []string{"K1", "K2", "K3"}, false},
		{"members of a middle class", "I2 下面有哪些小类？", "", []string{"table.10", "table.11", "table.12"}, []string{"I21", "I29"}, false},
		{"tax", "服务外包企业的增值税税率是多少？", "", nil, []string{"没有涉及"}, true},
		{"subsidy en", "Does the guidance say how much subsidy a model city gets?", "en", nil, []string{"does not cover"}, true},
	}
	f := world(t)
	full, err := scoredFixture()
	if err != nil {
		t.Fatal(err)
	}
	// Both engines: the rules engine (BM25 alone) and the full one (with the question index).
	for _, eng := range []struct {
		name string
		e    *Engine
	}{{"bm25", f.e}, {"question index", full}} {
		for _, tc := range tests {
			t.Run(eng.name+"/"+tc.name, func(t *testing.T) {
				d := answerWith(t, eng.e, tc.text, tc.lang)
				if d.Kind != decision.KindGuidance {
					t.Fatalf("kind %q, want guidance\n%s", d.Kind, summary(d))
				}
				for _, r := range tc.refs {
					if !slices.Contains(citedRefs(d), r) {
						t.Errorf("citations %v, want %s", citedRefs(d), r)
					}
				}
				plain := firstLine(d)
				for _, s := range tc.says {
					if !strings.Contains(plain, s) {
						t.Errorf("plain answer %q does not say %q", plain, s)
					}
				}
				if d.Uncovered != tc.uncovered {
					t.Errorf("uncovered = %v, want %v", d.Uncovered, tc.uncovered)
				}
				if tc.uncovered && len(d.Citations) == 0 {
					t.Errorf("an uncovered question gets no nearest passages")
				}
				for _, c := range d.Citations {
					if !f.g.Verbatim(c.Quote) || !strings.Contains(d.Answer, c.Quote) {
						t.Errorf("citation %s is not quoted verbatim after the answer", c.Ref)
					}
				}
			})
		}
	}
}

// Follow-ups to an I11 answer: "is it ITO?" is answered from the taxonomy; "why not I11?" says it already is.
func TestFollowups(t *testing.T) {
	f := world(t)
	last := i11Answer(t)
	tests := []struct {
		text string
		ok   bool
		says string
		refs []string
	}{
		{"那它属于ITO吗？", true, "是的", []string{"I11.def", "ITO.def"}},
		{"So is it BPO?", true, "No.", []string{"I11.def", "BPO.def"}},
		{"那它属于I1吗？", true, "I1 信息技术研发服务", []string{"I1.def"}},
		{"算 K2 吗？", true, "不是", []string{"K2.def"}},
		{"换成给医院做呢？", false, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			d, ok, err := f.e.Followup(t.Context(), last, tc.text)
			if err != nil || ok != tc.ok {
				t.Fatalf("Followup = ok %v, %v; want ok %v", ok, err, tc.ok)
			}
			if !ok {
				return
			}
			if d.Code != "I11" || !strings.Contains(firstLine(d), tc.says) {
				t.Errorf("code %s, answer %q; want I11 and %q", d.Code, firstLine(d), tc.says)
			}
			for _, r := range tc.refs {
				if !slices.Contains(citedRefs(d), r) {
					t.Errorf("citations %v, want %s", citedRefs(d), r)
				}
			}
		})
	}
	t.Run("why not the same code", func(t *testing.T) {
		d, err := f.e.WhyNot(t.Context(), last, "I11")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(firstLine(d), "本来就是 I11") || strings.Contains(d.Answer, "而不是 I11") {
			t.Errorf("answer %q, want that it already is I11", firstLine(d))
		}
	})
}

// A written answer is chosen only for the passages it was written for: with one best passage that no
// written answer starts with, none is chosen (a one-passage list once let every answer count as "among the
// two best" and the first written, the issuer's, answered a question about payroll).
func TestWrittenAnswerNeedsItsPassages(t *testing.T) {
	g, err := corpus.Load()
	if err != nil {
		t.Fatal(err)
	}
	q, err := newQA(g)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		primary []string
		first   string // the written answer's first ref; "" for none
	}{
		{[]string{"B11.typical.2"}, ""},
		{[]string{"B26.def"}, ""},
		{[]string{"B11.typical.2", "B11.exclude.4"}, ""},
		{[]string{"platform.p6.3"}, "platform.p6.3"},
		{[]string{"scope.def"}, "scope.def"},
		{[]string{"B11.typical.2", "title.5"}, "title.5"},
		{[]string{"rule.4.2", "rule.4.1"}, "rule.4.2"},
	}
	for _, tc := range tests {
		ans, ok := q.written(tc.primary)
		got := ""
		if ok {
			got = ans.Refs[0]
		}
		if got != tc.first {
			t.Errorf("written(%v): the answer for %q, want %q", tc.primary, got, tc.first)
		}
	}
}

// A term defined in the guidance's prose ("X是指…", "将X定义为") is answered first from the passage that
// defines it, the longest term named winning (服务外包交易平台 over 服务外包); a question that is not
// definitional is left to the ranking.
func TestDefinedTermLeads(t *testing.T) {
	e, err := scoredFixture()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ text, first string }{
		{"交叉服务在指引里是怎么定义的？", "rule.p1.1"},
		{"文件里对交叉服务下的定义是什么", "rule.p1.1"},
		{"服务外包交易平台在指引中是怎么定义的？", "platform.p1.1"},
		{"服务外包在指引里是怎么定义的？", "scope.def"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			d := answerWith(t, e, tt.text, "")
			if len(d.Citations) == 0 || d.Citations[0].Ref != tt.first {
				t.Errorf("first citation %v, want %s", citedRefs(d), tt.first)
			}
		})
	}
	if got := e.qa.definition("交叉服务有哪几条判断原则？"); got != "" {
		t.Errorf("a question that asks no definition found %q", got)
	}
}

// A description that asks something about its service is classified, and the passages its question
// needs are quoted after the classification's own; a description that asks nothing gets none added.
func TestAttachedQuestion(t *testing.T) {
	e, err := scoredFixture()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want []string // attached refs, one of each group must be cited
	}{
		{"乙方照着我们的要求开发了一套人事管理系统，这算ITO还是BPO？", []string{"rule.2.1", "rule.2.2"}},
		{"We build a custom HR information system exactly to the client's spec. ITO or BPO?", []string{"rule.2.1", "rule.2.2"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			d := answerWith(t, e, tt.text, Lang(tt.text))
			if d.Kind != decision.KindClassification {
				t.Fatalf("kind %q, want a classification", d.Kind)
			}
			base, err := e.classify(t.Context(), tt.text, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := citedRefs(d); !slices.Equal(got[:len(base.Citations)], citedRefs(base)) {
				t.Errorf("citations %v do not start with the classification's %v", got, citedRefs(base))
			}
			attached := citedRefs(d)[len(base.Citations):]
			if !slices.ContainsFunc(tt.want, func(r string) bool { return slices.Contains(attached, r) }) {
				t.Errorf("attached %v (after %v), want one of %v", attached, citedRefs(base), tt.want)
			}
			// a rule's sentence comes with the rest of its numbered point
			for _, r := range attached {
				for _, sib := range e.siblings(r) {
					if strings.HasPrefix(r, "rule.") && !slices.Contains(citedRefs(d), sib) {
						t.Errorf("attached %s without %s of the same point: %v", r, sib, citedRefs(d))
					}
				}
			}
		})
	}
	for _, text := range []string{"我们给银行开发手机APP", "Payroll processing for three factories"} {
		d := answerWith(t, e, text, Lang(text))
		base, err := e.classify(t.Context(), text, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(citedRefs(d), citedRefs(base)) {
			t.Errorf("%s: a description asking nothing got passages attached: %v, classification %v", text, citedRefs(d), citedRefs(base))
		}
	}
}
