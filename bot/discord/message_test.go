package discord

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"fenlei/corpus"
	"fenlei/decision"
)

// checkLimits fails for anything in m over Discord's limits, or an empty field name or value.
func checkLimits(t *testing.T, m Message) {
	t.Helper()
	if n := len16(m.Content); n > maxContent {
		t.Errorf("content is %d long", n)
	}
	if len(m.Embeds) > maxEmbeds {
		t.Errorf("%d embeds", len(m.Embeds))
	}
	total := 0
	for i, e := range m.Embeds {
		total += embedSize(e)
		for _, c := range []struct {
			what string
			s    string
			max  int
		}{{"title", e.Title, maxTitle}, {"description", e.Description, maxDescription}} {
			if len16(c.s) > c.max {
				t.Errorf("embed %d: %s is %d long", i, c.what, len16(c.s))
			}
		}
		if e.Footer != nil && len16(e.Footer.Text) > maxFooter {
			t.Errorf("embed %d: footer is %d long", i, len16(e.Footer.Text))
		}
		if e.Author != nil && len16(e.Author.Name) > maxAuthor {
			t.Errorf("embed %d: author is %d long", i, len16(e.Author.Name))
		}
		if len(e.Fields) > maxFields {
			t.Errorf("embed %d: %d fields", i, len(e.Fields))
		}
		for j, f := range e.Fields {
			if f.Name == "" || f.Value == "" || len16(f.Name) > maxFieldName || len16(f.Value) > maxFieldValue {
				t.Errorf("embed %d field %d: name %d, value %d long", i, j, len16(f.Name), len16(f.Value))
			}
		}
	}
	if total > maxEmbedTotal {
		t.Errorf("embeds total %d", total)
	}
}

func allText(m Message) string {
	var b strings.Builder
	b.WriteString(m.Content + "\n")
	for _, e := range m.Embeds {
		b.WriteString(e.Title + "\n" + e.Description + "\n")
		for _, f := range e.Fields {
			b.WriteString(f.Name + "\n" + f.Value + "\n")
		}
		if e.Footer != nil {
			b.WriteString(e.Footer.Text + "\n")
		}
	}
	return b.String()
}

func countFields(m Message) int {
	n := 0
	for _, e := range m.Embeds {
		n += len(e.Fields)
	}
	return n
}

var notShown = regexp.MustCompile(`… (\d+) 条引文未显示`)

func citations(n int, quote func(i int) string) []decision.Citation {
	cs := make([]decision.Citation, n)
	for i := range cs {
		cs[i] = decision.Citation{
			Ref:     fmt.Sprintf("I%02d.typical.%d", i%45, i),
			Section: "二、业务分类 › " + strings.Repeat("很长的章节名", 60) + fmt.Sprint(i),
			Quote:   quote(i),
		}
	}
	return cs
}

func TestRenderDecision(t *testing.T) {
	long := func(i int) string {
		return fmt.Sprintf("第%d条：", i) + strings.Repeat("软件研发服务是指为用户提供的软件开发服务。", 120)
	}
	tests := []struct {
		name       string
		d          decision.Decision
		inContent  []string
		inEmbeds   []string
		allCited   bool // every citation has a field
		wantMarked bool // something was shortened with "…"
	}{
		{
			name: "classification",
			d: decision.Decision{
				Code: "I11", Name: "软件研发服务", Path: []string{"ITO", "I1", "I11"}, Confidence: 0.82,
				Candidates: []decision.Candidate{{Code: "I11", Score: 0.82}, {Code: "I14", Score: 0.31}},
				Checks:     []decision.Check{{Rule: "exclusion", Status: "redirected", From: "I13", To: "I11", Ref: "I13.exclude.2"}},
				Citations:  []decision.Citation{{Ref: "I13.exclude.2", Section: "二、业务分类 › I13 测试服务 › 不包括", Quote: "软件产品测试服务，应纳入 I11 软件研发服务。"}},
				Answer:     "归入 I11 软件研发服务。", Engine: "offline",
			},
			inContent: []string{"**I11 软件研发服务**", "ITO › I1 › I11", "82%", "归入 I11 软件研发服务。"},
			inEmbeds:  []string{"软件产品测试服务，应纳入 I11 软件研发服务。", "— I13.exclude.2", "I14 31%", "I13 → I11", "engine: offline"},
			allCited:  true,
		},
		{
			name:      "out without a name",
			d:         decision.Decision{Code: "OUT", Answer: "劳务派遣不属于服务外包。"},
			inContent: []string{"**OUT 不属于服务外包统计范围", "劳务派遣不属于服务外包。"},
			allCited:  true,
		},
		{
			name:      "clarify",
			d:         decision.Decision{Question: "是为境外客户提供的吗？", Kind: decision.KindClarify},
			inContent: []string{"需要补充信息", "❓ 是为境外客户提供的吗？"},
			allCited:  true,
		},
		{
			name: "guidance question",
			d: decision.Decision{Answer: "需要提交营业执照。", Kind: decision.KindGuidance,
				Citations: []decision.Citation{{Ref: "platform.3", Quote: "应提交营业执照副本。"}}},
			inContent: []string{"需要提交营业执照。"},
			inEmbeds:  []string{"platform.3\n应提交营业执照副本。\n— platform.3"},
			allCited:  true,
		},
		{
			name:       "60 long citations",
			d:          decision.Decision{Code: "I11", Name: "软件研发服务", Answer: strings.Repeat("很长的回答。", 1000), Citations: citations(60, long)},
			inContent:  []string{"**I11 软件研发服务**"},
			inEmbeds:   []string{"第0条：软件研发服务", "— I00.typical.0", "条引文未显示"},
			wantMarked: true,
		},
		{
			name:       "300 short citations need several embeds",
			d:          decision.Decision{Code: "I11", Name: "软件研发服务", Citations: citations(300, func(i int) string { return "短" })},
			inEmbeds:   []string{"条引文未显示"},
			wantMarked: true,
		},
		{
			name: "astral characters count double",
			d: decision.Decision{Code: "I11", Name: "软件研发服务", Answer: strings.Repeat("😀", 3000),
				Citations: citations(3, func(int) string { return strings.Repeat("𠀀", 2000) })},
			allCited:   true,
			wantMarked: true,
		},
		{
			name:     "empty citation fields",
			d:        decision.Decision{Code: "I11", Citations: []decision.Citation{{}}},
			inEmbeds: []string{blank},
			allCited: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := RenderDecision(tc.d)
			checkLimits(t, m)
			embeds := strings.TrimPrefix(allText(m), m.Content)
			for _, w := range tc.inContent {
				if !strings.Contains(m.Content, w) {
					t.Errorf("content %.300q lacks %q", m.Content, w)
				}
			}
			for _, w := range tc.inEmbeds {
				if !strings.Contains(embeds, w) {
					t.Errorf("embeds %.500q lack %q", embeds, w)
				}
			}
			shown := countFields(m)
			hidden := 0
			if sm := notShown.FindStringSubmatch(embeds); sm != nil {
				hidden, _ = strconv.Atoi(sm[1])
			}
			if shown+hidden != len(tc.d.Citations) {
				t.Errorf("%d citations shown + %d counted as not shown, want %d", shown, hidden, len(tc.d.Citations))
			}
			if tc.allCited && hidden != 0 {
				t.Errorf("%d citations not shown, want all", hidden)
			}
			if got := strings.Contains(allText(m), ellipsis); got != tc.wantMarked {
				t.Errorf("marked with … = %v, want %v", got, tc.wantMarked)
			}
		})
	}
}

// TestRenderDecision60 pins down what the 60-citation case keeps: several citations with a
// marked prefix of each quote, and their refs whole.
func TestRenderDecision60(t *testing.T) {
	long := strings.Repeat("软件研发服务是指为用户提供的软件开发服务。", 120)
	m := RenderDecision(decision.Decision{Code: "I11", Name: "软件研发服务", Citations: citations(60, func(int) string { return long })})
	checkLimits(t, m)
	if n := countFields(m); n < 10 {
		t.Errorf("only %d citations shown; the budget should fit at least 10 shortened ones", n)
	}
	for _, e := range m.Embeds {
		for _, f := range e.Fields {
			quote, ref, ok := strings.Cut(f.Value, "\n— ")
			if !ok || !strings.HasPrefix(ref, "I") || !strings.HasSuffix(quote, ellipsis) || !strings.HasPrefix(long, strings.TrimSuffix(quote, ellipsis)) {
				t.Errorf("field value %q: want a marked verbatim prefix and the ref", f.Value)
			}
			if !strings.HasSuffix(f.Name, ellipsis) || len16(f.Name) != maxFieldName {
				t.Errorf("field name %d long, want cut to %d and marked", len16(f.Name), maxFieldName)
			}
		}
	}
}

func TestRenderCategory(t *testing.T) {
	c := corpus.Class{Code: "I1", Name: "软件研发服务", NameEN: "Software R&D", Level: corpus.Middle, Parent: "ITO"}
	var passages []corpus.Passage
	passages = append(passages, corpus.Passage{Ref: "I1.def", Kind: corpus.KindDefinition, Text: "软件研发服务的定义。"})
	for i := range 60 {
		passages = append(passages, corpus.Passage{Ref: fmt.Sprintf("I1.typical.%d", i), Kind: corpus.KindTypical, Title: fmt.Sprintf("典型业务 %d", i), Text: strings.Repeat("典型业务说明。", 50)})
	}
	passages = append(passages, corpus.Passage{Ref: "I1.exclude.1", Kind: corpus.KindExclude, Text: "不包括硬件销售。"})
	m := RenderCategory(c, []string{"ITO", "I1"}, []corpus.Class{{Code: "I11", Name: "软件研发"}, {Code: "I12", Name: "软件技术服务"}}, passages)
	checkLimits(t, m)
	text := allText(m)
	for _, w := range []string{"**I1 软件研发服务** (Software R&D) · ITO › I1", "软件研发服务的定义。", "I11 软件研发\nI12 软件技术服务",
		"不包括硬件销售。\n— I1.exclude.1", "典型业务 0", "— I1.typical.0", "项未显示", "I1.def"} {
		if !strings.Contains(text, w) {
			t.Errorf("category message lacks %q", w)
		}
	}
}

// TestRenderCategoryGuidance renders /category for every class of the real guidance: all within
// limits, the definition quoted verbatim (a marked prefix at worst), every exclusion shown.
func TestRenderCategoryGuidance(t *testing.T) {
	g, err := corpus.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Classes) == 0 {
		t.Skip("the corpus parser returns no classes yet")
	}
	for _, c := range g.Classes {
		m := RenderCategory(c, g.Path(c.Code), g.Children(c.Code), g.PassagesOf(c.Code))
		checkLimits(t, m)
		if len(m.Embeds) == 0 {
			t.Errorf("%s: no embeds", c.Code)
			continue
		}
		if d := strings.TrimSuffix(m.Embeds[0].Description, ellipsis); d != "" && !g.Verbatim(d) {
			t.Errorf("%s: description %q is not verbatim guidance", c.Code, d)
		}
		text := allText(m)
		for _, p := range g.PassagesOf(c.Code) {
			if p.Kind == corpus.KindExclude && !strings.Contains(text, "— "+p.Ref) {
				t.Errorf("%s: exclusion %s not shown", c.Code, p.Ref)
			}
		}
	}
}

func TestClamp(t *testing.T) {
	big := func(n int) string { return strings.Repeat("长", n) }
	var oversize []*discordgo.MessageEmbed
	for range 12 {
		e := &discordgo.MessageEmbed{Title: big(300), Description: big(5000), Footer: &discordgo.MessageEmbedFooter{Text: big(3000)}, Author: &discordgo.MessageEmbedAuthor{Name: big(300)}}
		for range 30 {
			e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: big(300), Value: big(2000)})
		}
		oversize = append(oversize, e)
	}
	manyFields := &discordgo.MessageEmbed{}
	for range 30 {
		manyFields.Fields = append(manyFields.Fields, &discordgo.MessageEmbedField{Name: "n", Value: "v"})
	}
	// 4,096 + (256 + 1,024) + (256 + 366) = 5,998: two units left, too few for the third field.
	exact := &discordgo.MessageEmbed{Description: big(4096), Fields: []*discordgo.MessageEmbedField{
		{Name: big(256), Value: big(1024)}, {Name: big(256), Value: big(366)}, {Name: "third", Value: "v"},
	}}
	// 4,096 + (256 + 1,024) = 5,376: the second value is cut to the 624 - 256 = 368 left.
	cutValue := &discordgo.MessageEmbed{Description: big(4096), Fields: []*discordgo.MessageEmbedField{
		{Name: big(256), Value: big(1024)}, {Name: big(256), Value: big(1024)},
	}}
	eleven := make([]*discordgo.MessageEmbed, 11)
	for i := range eleven {
		eleven[i] = &discordgo.MessageEmbed{Title: fmt.Sprint("t", i)}
	}
	tests := []struct {
		name       string
		in         Message
		wantEmbeds int
		wantFields int // in the last embed, -1 to skip
		wantMarked bool
	}{
		{"within limits untouched", Message{Content: "ok", Embeds: []*discordgo.MessageEmbed{{Title: "t", Fields: []*discordgo.MessageEmbedField{{Name: "n", Value: "v"}}}}}, 1, 1, false},
		{"content", Message{Content: big(2500)}, 0, -1, true},
		{"oversize everything", Message{Content: big(10), Embeds: oversize}, 1, -1, true},
		{"26+ fields become 24 and a count", Message{Embeds: []*discordgo.MessageEmbed{manyFields}}, 1, 25, true},
		{"total budget hit at a field name", Message{Embeds: []*discordgo.MessageEmbed{exact, {Title: "next"}}}, 1, 2, true},
		{"total budget hit in a value", Message{Embeds: []*discordgo.MessageEmbed{cutValue, {Title: "next"}}}, 1, 2, true},
		{"11 embeds", Message{Embeds: eleven}, 10, 0, true},
		{"empty field name and value", Message{Embeds: []*discordgo.MessageEmbed{{Fields: []*discordgo.MessageEmbedField{{}}}}}, 1, 1, false},
		{"nil embed skipped", Message{Embeds: []*discordgo.MessageEmbed{nil, {Title: "t"}}}, 1, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := fmt.Sprintf("%+v", tc.in.Embeds)
			m := Clamp(tc.in)
			checkLimits(t, m)
			if after := fmt.Sprintf("%+v", tc.in.Embeds); after != before {
				t.Error("Clamp modified its input")
			}
			if len(m.Embeds) != tc.wantEmbeds {
				t.Fatalf("%d embeds, want %d", len(m.Embeds), tc.wantEmbeds)
			}
			if tc.wantFields >= 0 && len(m.Embeds) > 0 {
				if got := len(m.Embeds[len(m.Embeds)-1].Fields); got != tc.wantFields {
					t.Errorf("%d fields in the last embed, want %d", got, tc.wantFields)
				}
			}
			if got := strings.Contains(allText(m), ellipsis); got != tc.wantMarked {
				t.Errorf("marked with … = %v, want %v:\n%.400s", got, tc.wantMarked, allText(m))
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"软件研发服务", 4, "软件研…"},
		{"ab cd", 4, "ab…"}, // trailing space before the mark is trimmed
		{"😀😀😀", 4, "😀…"},    // 2 units each
		{"😀😀", 4, "😀😀"},
		{"abc", 1, "…"},
		{"abc", 0, ""},
		{"", 0, ""},
	}
	for _, tc := range tests {
		if got := truncate(tc.in, tc.max); got != tc.want || len16(got) > max(tc.max, 0) {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestRenderError(t *testing.T) {
	m := RenderError(strings.Repeat("x", 3000))
	checkLimits(t, m)
	if !strings.HasPrefix(m.Content, "⚠️ ") || len(m.Embeds) != 0 {
		t.Errorf("RenderError = %+v", m)
	}
}
