package decision

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	redirected := Decision{
		Code: "I11", Name: "软件研发服务", NameEN: "Software R&D services", Path: []string{"ITO", "I1", "I11"},
		Confidence: 0.82,
		Candidates: []Candidate{{Code: "I11", Score: 0.82}, {Code: "I14", Name: "信息技术解决方案服务", Score: 0.31}, {Code: "I13", Score: 0.12}},
		Citations: []Citation{{Ref: "I13.exclude.2", Section: "二、业务分类 › I13 测试服务 › 不包括",
			Quote: "软件产品测试服务，应纳入 I11 软件研发服务。"}},
		Checks: []Check{
			{Rule: "verbatim", Status: "ok"},
			{Rule: "exclusion", Status: "redirected", From: "I13", To: "I11", Ref: "I13.exclude.2"},
		},
		Answer: "软件产品测试属于软件研发服务。",
		Reason: "指引把软件产品测试排除在 I13 之外。",
		Engine: "offline",
	}
	en := redirected
	en.Lang = "en"
	en.Answer = "Testing of a software product is software R&D."
	en.Reason = ""

	tests := []struct {
		name string
		d    Decision
		want string
	}{
		{
			name: "zh classification redirected by a rule",
			d:    redirected,
			want: `分类：I11 软件研发服务
路径：ITO › I1 › I11
置信度：0.82
软件产品测试属于软件研发服务。
理由：指引把软件产品测试排除在 I13 之外。
依据：
  [1] 二、业务分类 › I13 测试服务 › 不包括 (I13.exclude.2)
      「软件产品测试服务，应纳入 I11 软件研发服务。」
其他候选：I14 信息技术解决方案服务 (0.31)；I13 (0.12)
规则调整：
  - exclusion (改归: I13 → I11) 依据 I13.exclude.2
仅供参考，不构成官方认定。`,
		},
		{
			name: "en classification uses English name and quotes",
			d:    en,
			want: `Category: I11 Software R&D services
Path: ITO › I1 › I11
Confidence: 0.82
Testing of a software product is software R&D.
Sources:
  [1] 二、业务分类 › I13 测试服务 › 不包括 (I13.exclude.2)
      “软件产品测试服务，应纳入 I11 软件研发服务。”
Alternatives: I14 信息技术解决方案服务 (0.31); I13 (0.12)
Rules applied:
  - exclusion (redirected: I13 → I11) per I13.exclude.2
This is guidance, not an official ruling.`,
		},
		{
			name: "zh clarifying question",
			d:    Decision{Code: "", Kind: KindClarify, Question: "测试的是贵公司自己的软件产品吗？", Candidates: []Candidate{{Code: "I13", Score: 0.4}, {Code: "I11", Score: 0.35}}},
			want: `需要补充信息：测试的是贵公司自己的软件产品吗？
其他候选：I13 (0.40)；I11 (0.35)
仅供参考，不构成官方认定。`,
		},
		{
			// The engine puts the question in Answer too: it is printed once.
			name: "zh clarifying question also in the answer",
			d:    Decision{Code: "", Kind: KindClarify, Question: "测试的是贵公司自己的软件产品吗？", Answer: "测试的是贵公司自己的软件产品吗？"},
			want: `需要补充信息：测试的是贵公司自己的软件产品吗？
仅供参考，不构成官方认定。`,
		},
		{
			name: "en answer that holds the question",
			d: Decision{Code: "", Lang: "en", Kind: KindClarify, Question: "Is the software your own product?",
				Answer: "I13 or I11? Is the software your own product?"},
			want: `I13 or I11? Is the software your own product?
This is guidance, not an official ruling.`,
		},
		{
			name: "en out of scope",
			d: Decision{Code: OUT, Lang: "en", Answer: "Labour dispatch is not service outsourcing.",
				Checks: []Check{{Rule: "out-of-scope", Status: "out", Detail: "劳务派遣"}}},
			want: `Category: OUT (not counted as service outsourcing)
Labour dispatch is not service outsourcing.
Rules applied:
  - out-of-scope (not counted) — 劳务派遣
This is guidance, not an official ruling.`,
		},
		{
			name: "zh guidance answer without code",
			d: Decision{Kind: KindGuidance, Lang: "zh", Answer: "需提交营业执照等材料。",
				Citations: []Citation{{Ref: "platform.3", Quote: "营业执照"}}},
			want: `需提交营业执照等材料。
依据：
  [1] platform.3
      「营业执照」
仅供参考，不构成官方认定。`,
		},
		{
			name: "guidance answer that quotes its citations lists refs once",
			d: Decision{Kind: KindGuidance, Lang: "zh", Answer: "指引原文：\n- 「营业执照副本」（四 › 2）",
				Citations: []Citation{{Ref: "platform.material.2", Quote: "营业执照副本"}}},
			want: `指引原文：
- 「营业执照副本」（四 › 2）
依据：platform.material.2
仅供参考，不构成官方认定。`,
		},
		{
			name: "error and unknown status",
			d: Decision{Lang: "en", Error: "line 3: invalid JSON", Code: "K21", Name: "x",
				Checks: []Check{{Rule: "r", Status: "weird", To: "K22"}}},
			want: `Error: line 3: invalid JSON
Category: K21 x
Rules applied:
  - r (weird: → K22)
This is guidance, not an official ruling.`,
		},
		{
			name: "empty decision still carries the disclaimer",
			d:    Decision{},
			want: `仅供参考，不构成官方认定。`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.d.Text()
			if got != tt.want {
				t.Errorf("Text() mismatch\n got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestTextLastLineIsDisclaimer(t *testing.T) {
	for _, lang := range []string{"", "zh", "en", "fr"} {
		d := Decision{Lang: lang, Code: "I11", Answer: "a\nb"}
		lines := strings.Split(d.Text(), "\n")
		last := lines[len(lines)-1]
		want := "仅供参考，不构成官方认定。"
		if lang == "en" {
			want = "This is guidance, not an official ruling."
		}
		if last != want {
			t.Errorf("lang %q: last line %q, want %q", lang, last, want)
		}
	}
}
