package corpus

import (
	"regexp"
	"strings"
	"testing"
)

func load(t testing.TB) *Guidance {
	t.Helper()
	g, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return g
}

func TestTaxonomyCounts(t *testing.T) {
	g := load(t)
	if got := len(g.Majors()); got != 3 {
		t.Errorf("majors = %d, want 3", got)
	}
	if got := len(g.Middles()); got != 9 {
		t.Errorf("middles = %d, want 9", got)
	}
	if got := len(g.Subclasses()); got != 45 {
		t.Errorf("subs = %d, want 45", got)
	}
	for _, c := range g.Subclasses() {
		if len(g.Children(c.Parent)) == 0 || g.Path(c.Code)[0] != map[byte]string{'I': "ITO", 'B': "BPO", 'K': "KPO"}[c.Code[0]] {
			t.Errorf("%s: bad parent chain %v", c.Code, g.Path(c.Code))
		}
	}
}

// Names come from table 1; they must equal the section 二 headings once brackets are normalised.
func TestNamesMatchHeadings(t *testing.T) {
	g := load(t)
	for _, c := range g.Classes {
		def, ok := g.Passage(c.Code + ".def")
		if !ok {
			t.Errorf("%s: no definition passage", c.Code)
			continue
		}
		if !strings.Contains(normName(def.Title), c.Name) {
			t.Errorf("%s: table name %q not in heading %q", c.Code, c.Name, def.Title)
		}
		if strings.ContainsAny(c.Name, "()") {
			t.Errorf("%s: half-width bracket left in %q", c.Code, c.Name)
		}
	}
	if c, _ := g.Class("K31"); c.Name != "医药（中医药）和生物技术研发服务" {
		t.Errorf("K31 name = %q", c.Name)
	}
}

func TestTable(t *testing.T) {
	tests := []struct{ code, name, parent string }{
		{"I11", "软件研发服务", "I1"},
		{"I14", "信息技术解决方案服务", "I1"}, // after the table's page break
		{"I31", "云计算开发及应用服务", "I3"}, // row shifted into I2's block
		{"I32", "人工智能技术开发及应用服务", "I3"},
		{"K21", "工业设计服务", "K2"},
		{"B3", "维修维护服务", "BPO"},
		{"KPO", "知识流程外包", ""},
		{"it0", "信息技术外包", ""}, // IT0 with a zero reads as ITO
	}
	g := load(t)
	for _, tt := range tests {
		c, ok := g.Class(tt.code)
		if !ok || c.Name != tt.name || c.Parent != tt.parent {
			t.Errorf("Class(%q) = %+v, %v; want name %q parent %q", tt.code, c, ok, tt.name, tt.parent)
		}
	}
}

func TestEveryPassageVerbatim(t *testing.T) {
	g := load(t)
	src := squash(Source())
	for _, p := range g.Passages {
		if !strings.Contains(src, squash(p.Text)) {
			t.Errorf("%s: text not verbatim: %q", p.Ref, p.Text)
		}
		if strings.Contains(p.Text, "**") || strings.HasPrefix(p.Text, "- ") || strings.HasPrefix(p.Text, "➤") {
			t.Errorf("%s: markup left in text: %q", p.Ref, p.Text)
		}
		if p.Title != "" && !strings.Contains(src, squash(p.Title)) {
			t.Errorf("%s: title not verbatim: %q", p.Ref, p.Title)
		}
		if p.Ref == "" || p.Section == "" || p.Line <= 0 {
			t.Errorf("passage missing ref/section/line: %+v", p)
		}
	}
}

func TestEveryLineFindable(t *testing.T) {
	g := load(t)
	starts := map[int]bool{}
	var all strings.Builder
	for _, p := range g.Passages {
		starts[p.Line] = true
		all.WriteString(squash(p.Text))
	}
	joined := all.String()
	for i, line := range strings.Split(Source(), "\n") {
		if strings.TrimSpace(line) == "" || starts[i+1] {
			continue
		}
		if !strings.Contains(joined, squash(line)) {
			t.Errorf("line %d not in any passage: %q", i+1, line)
		}
	}
}

func TestRefsUniqueAndStable(t *testing.T) {
	g := load(t)
	seen := map[string]bool{}
	for _, p := range g.Passages {
		if seen[p.Ref] {
			t.Errorf("duplicate ref %s", p.Ref)
		}
		seen[p.Ref] = true
		if strings.Contains(p.Ref, "~") {
			t.Errorf("ref %s fell back to a line suffix", p.Ref)
		}
	}
	for _, ref := range []string{"I13.exclude.2", "I11.def", "I11.typical.4", "rule.2.2", "rule.4.2", "scope.def", "scope.feature.3.2",
		"platform.material.5", "platform.condition.3", "B3.def.exclude.1", "I23.def.exclude.1", "title.1"} {
		if _, ok := g.Passage(ref); !ok {
			t.Errorf("ref %s missing", ref)
		}
	}
}

func TestRedirects(t *testing.T) {
	tests := []struct {
		ref  string
		want string
	}{
		{"I13.exclude.2", "I11"},
		{"I13.exclude.4", "I23"},
		{"I14.exclude.1", "I11,I12,I13,I23"}, // several codes
		{"I21.exclude.2", "I31"},
		{"I21.exclude.3", "I36"},
		{"I23.exclude.3", "B22"},
		{"B11.exclude.3", "ITO"}, // a class letter: 应纳入 I 信息技术外包
		{"B23.exclude.1", "ITO"},
		{"K31.exclude.1", "BPO"},
		{"K21.exclude.2", "K22"}, // a name without a code: 应纳入工程技术服务
		{"K23.exclude.1", "K21"}, // 应纳入工业设计服务范畴
		{"I33.exclude.1", "B21"},
		{"B21.exclude.1", "I33"},
		{"B19.exclude.1", ""}, // sends nowhere
		{"I13.exclude.1", ""},
	}
	g := load(t)
	for _, tt := range tests {
		p, ok := g.Passage(tt.ref)
		if !ok {
			t.Errorf("%s missing", tt.ref)
			continue
		}
		if got := strings.Join(p.Targets, ","); got != tt.want || p.Kind != KindExclude {
			t.Errorf("%s targets = %q kind %s, want %q exclude", tt.ref, got, p.Kind, tt.want)
		}
	}
	for _, p := range g.Passages {
		for _, c := range p.Targets {
			if _, ok := g.Class(c); !ok {
				t.Errorf("%s: unknown target %s", p.Ref, c)
			}
		}
	}
}

func TestTraps(t *testing.T) {
	g := load(t)
	count := func(code string, kind Kind) int {
		n := 0
		for _, p := range g.PassagesOf(code) {
			if p.Kind == kind && !(kind == KindExclude && (strings.Contains(p.Ref, ".def.") || strings.Contains(p.Ref, ".typical."))) {
				n++
			}
		}
		return n
	}
	// "- **K23 …" right after an exclusion list starts a class, not an exclusion.
	for _, code := range []string{"K23", "K24", "K29", "K32", "K33", "K39"} {
		if _, ok := g.Passage(code + ".def"); !ok {
			t.Errorf("%s definition missing", code)
		}
	}
	for code, want := range map[string]int{"K22": 1, "K23": 2, "K31": 1, "K24": 0, "K32": 0} {
		if got := count(code, KindExclude); got != want {
			t.Errorf("%s exclusions = %d, want %d", code, got, want)
		}
	}
	// I36's typical businesses have no bullet and no 主要包括.
	if got := count("I36", KindTypical); got != 2 {
		t.Errorf("I36 typical = %d, want 2", got)
	}
	// Page breaks mid-word are joined with nothing in between.
	for ref, want := range map[string]string{
		"I22.def": "业务系统、应用系统", "B11.def": "人力资源管理工作或职能", "B32.def": "压实机械", "K22.def": "设计方案，如项目规划",
		"platform.p6.4": "平台报送的服务外包交易数据",
	} {
		if p, _ := g.Passage(ref); !strings.Contains(p.Text, want) {
			t.Errorf("%s = %q, want it to contain %q", ref, p.Text, want)
		}
	}
	// Middle classes carry definitions and exclusions; BPO/KPO headings are not bold.
	if p, _ := g.Passage("B3.def.exclude.1"); !strings.Contains(p.Text, "手机等消费产品的维修服务") {
		t.Errorf("B3 exclusion = %q", p.Text)
	}
	for _, code := range []string{"BPO", "KPO", "B1", "B2"} {
		if _, ok := g.Passage(code + ".def"); !ok {
			t.Errorf("%s definition missing", code)
		}
	}
	// 坐席 and 座席 both appear in B23.
	var b23 strings.Builder
	for _, p := range g.PassagesOf("B23") {
		b23.WriteString(p.Text)
	}
	if !strings.Contains(b23.String(), "坐席") || !strings.Contains(b23.String(), "座席") {
		t.Error("B23 should keep both 坐席 and 座席")
	}
	// The guidance contradicts itself: K31 sends 医疗诊断服务 to BPO, K13 lists 医学诊断服务. Both are kept.
	k31, _ := g.Passage("K31.exclude.1")
	k13, _ := g.Passage("K13.typical.1")
	if !strings.Contains(k31.Text, "医疗诊断服务") || !strings.Contains(k13.Text, "医学诊断服务") {
		t.Errorf("contradicting passages: %q / %q", k31.Text, k13.Text)
	}
	// "IT0" with a zero in section 三.
	if p, _ := g.Passage("rule.2.2"); !strings.Contains(p.Text, "IT0") {
		t.Errorf("rule.2.2 = %q", p.Text)
	}
}

func TestSectionsFindable(t *testing.T) {
	g := load(t)
	want := map[string]*regexp.Regexp{
		"title.1":              regexp.MustCompile(`中国服务外包统计操作指引`),
		"scope.def":            regexp.MustCompile(`生产性经济活动`),
		"scope.feature.3.2":    regexp.MustCompile(`外部审计、工程监理`),
		"rule.4.2":             regexp.MustCompile(`KPO 为主要归类方向`),
		"rule.5.step2.3":       regexp.MustCompile(`不予纳入系统`),
		"platform.p1.3":        regexp.MustCompile(`政府采购网不纳入统计范围`),
		"platform.material.1":  regexp.MustCompile(`注册信息表`),
		"platform.p6.3":        regexp.MustCompile(`1 月 10 日前`),
		"platform.condition.1": regexp.MustCompile(`独立法人资格`),
	}
	for ref, re := range want {
		p, ok := g.Passage(ref)
		if !ok || !re.MatchString(p.Text) {
			t.Errorf("%s = %q, want match %s", ref, p.Text, re)
		}
	}
}

func TestVerbatimAndFindQuote(t *testing.T) {
	g := load(t)
	tests := []struct {
		quote string
		want  bool
		ref   string
	}{
		{"软件产品测试服务，应纳入 I11 软件研发服务。", true, "I13.exclude.2"},
		{"软件产品测试服务，应纳入I11软件研发服务。", true, "I13.exclude.2"},
		{"业务系统", true, ""}, // across the page break
		{"软件产品测试服务应纳入K39", false, ""},
		{"", false, ""},
		{"   ", false, ""},
	}
	for _, tt := range tests {
		if got := g.Verbatim(tt.quote); got != tt.want {
			t.Errorf("Verbatim(%q) = %v, want %v", tt.quote, got, tt.want)
		}
		if tt.ref != "" {
			if p, ok := g.FindQuote(tt.quote); !ok || p.Ref != tt.ref {
				t.Errorf("FindQuote(%q) = %s, %v; want %s", tt.quote, p.Ref, ok, tt.ref)
			}
		}
	}
}

func TestParseRejectsWrongShape(t *testing.T) {
	for name, src := range map[string]string{
		"empty":     "",
		"no table":  "一、定义及内涵\n\n服务外包。\n",
		"bad utf-8": "\xff\xfe",
		"half":      Source()[:len(Source())/3],
	} {
		if _, err := Parse(src); err == nil {
			t.Errorf("%s: Parse succeeded, want ErrMalformed", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	src := Source()
	f.Add(src)
	f.Add(src[:2000])
	f.Add("➤ **I11 软件研发服务**。\n不包括：\n- **K23 x**。指\n典型业务 1：a，b")
	f.Add("- 应纳入\n(1) **I1 x**。\n1. **y（IT0）**。")
	f.Fuzz(func(t *testing.T, s string) {
		g, err := Parse(s)
		if err != nil {
			return
		}
		for _, p := range g.Passages {
			if !g.Verbatim(p.Text) {
				t.Errorf("%s not verbatim", p.Ref)
			}
		}
	})
}

func TestLexiconsParse(t *testing.T) {
	for name, load := range map[string]func() ([]Synonym, error){"lexicon": Lexicon, "questions": QuestionLexicon} {
		syn, err := load()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(syn) < 20 {
			t.Errorf("%s: %d rules", name, len(syn))
		}
		// Every one-way target is a word of the guidance, so expansions can match something.
		for _, s := range syn {
			if s.Equivalent {
				continue
			}
			for _, to := range s.To {
				if !strings.Contains(strings.ToLower(squash(Source())), squash(to)) {
					t.Errorf("%s line %d: target %q is not in the guidance", name, s.Line, to)
				}
			}
		}
	}
	if got := len(EnglishAliases()); got != 57 {
		t.Errorf("English aliases for %d classes, want 57", got)
	}
}
