package classify

import (
	"strings"
	"testing"
)

// The prefilter never changes an answer: for every clause pattern and a spread of texts, the filtered
// pattern matches exactly when the regular expression does.
func TestPatternPrefilterAgrees(t *testing.T) {
	texts := []string{
		"我们给银行做手机APP", "为物业公司提供保洁和保安服务", "Payroll processing for a RETAILER",
		"本公司成立于2009年，通过ISO27001认证，为某银行信用卡中心提供7×24小时客服热线及外呼服务。",
		"我们集团的信息中心自己建了一套私有云", "We design the warehouse network and delivery routes",
		"合同第二条：乙方按甲方需求设计开发经销商管理平台，合同总价380万元（含税）。", "算哪一类？", "",
		"THE KELVIN SIGN \u212a AND THE LONG \u017f", "劳务派遣", "贴牌代工，成品卖给品牌商", "请问指引是哪个部门发布的？",
	}
	pats := map[string]*pat{}
	for name, p := range voc.pats {
		pats["pattern "+name] = p
	}
	for _, c := range scopeClauses {
		pats["scope when "+c.Name] = c.When
		if c.Unless != nil {
			pats["scope unless "+c.Name] = c.Unless
		}
	}
	texts = append(texts, "软件研发服务的定义是什么？", "what is software research and development services", "I13 和 K13 有什么区别")
	filtered := 0
	for name, p := range pats {
		if p.need != nil {
			filtered++
		}
		for _, s := range texts {
			if got, want := p.MatchString(s), p.Regexp().MatchString(s); got != want {
				t.Errorf("%s on %q: prefiltered %v, regexp %v (needs %q)", name, s, got, want, p.need)
			}
			if got, want := len(p.FindAllStringIndex(s, -1)), len(p.Regexp().FindAllStringIndex(s, -1)); got != want {
				t.Errorf("%s on %q: %d matches prefiltered, %d by the regexp", name, s, got, want)
			}
		}
	}
	if filtered < len(pats)/2 {
		t.Errorf("only %d of %d clause patterns have a prefilter", filtered, len(pats))
	}
}

func TestRequiredLiterals(t *testing.T) {
	tests := []struct {
		re   string
		want []string // nil: no prefilter
	}{
		{`保洁|保安`, []string{"保安", "保洁"}}, // Simplify factors 保(安|洁); the parts join again
		{`(?i)Payroll|工资代发`, []string{"payroll", "工资代发"}},
		{`(为|给)银行(开发|做)`, []string{"为银行开发", "为银行做", "给银行开发", "给银行做"}},
		{`(为|给).{0,6}银行`, []string{"银行"}},
		{`a*b?`, nil},
		{`(保洁|.*)`, nil},
		{`(?:外包){1,3}服务`, []string{"外包"}},
		{`[的地]服务`, []string{"地服务", "的服务"}},
		{`[a-z]+服务`, []string{"服务"}},
	}
	for _, tc := range tests {
		p := newPat(tc.re)
		if len(p.need) != len(tc.want) {
			t.Errorf("%s: needs %q, want %q", tc.re, p.need, tc.want)
			continue
		}
		for i := range tc.want {
			if p.need[i] != tc.want[i] {
				t.Errorf("%s: needs %q, want %q", tc.re, p.need, tc.want)
			}
		}
	}
}

// containsLowerASCII agrees with lower-casing the ASCII letters of s and then strings.Contains.
func FuzzContainsLowerASCII(f *testing.F) {
	for _, s := range [][2]string{{"We build an APP", "app"}, {"ＡＰＰ", "app"}, {"Kelvin \u212a", "k"}, {"", ""}, {"abc", "abcd"}, {"云端SaaS", "saas"}} {
		f.Add(s[0], s[1])
	}
	lower := func(s string) string { // byte by byte: s need not be valid UTF-8
		b := []byte(s)
		for i, c := range b {
			if c >= 'A' && c <= 'Z' {
				b[i] = c + 'a' - 'A'
			}
		}
		return string(b)
	}
	f.Fuzz(func(t *testing.T, s, n string) {
		n = lower(n)
		if got, want := containsLowerASCII(s, n), strings.Contains(lower(s), n); got != want {
			t.Errorf("containsLowerASCII(%q, %q) = %v, want %v", s, n, got, want)
		}
	})
}
