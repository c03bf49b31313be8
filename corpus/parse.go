package corpus

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrMalformed is returned when the text does not have the shape of the guidance.
var ErrMalformed = errors.New("corpus: malformed guidance")

var (
	// "1. **信息技术外包（ITO）**。指…" and "2. 业务流程外包（BPO）。指…": BPO/KPO headings are not bold.
	reMajor = regexp.MustCompile(`^\d\.\s*(?:\*\*)?\s*([^*（(]+?)\s*[（(]\s*(IT[O0]|BPO|KPO)\s*[)）]\s*(?:\*\*)?。(?:\*\*)?(.*)$`)
	// "(1) **I1 信息技术研发服务**。指…", "（1）B1 内部管理服务。指…", "(1) **K1 商务服务。**指…"
	reMiddle = regexp.MustCompile(`^[（(]\d[)）]\s*(?:\*\*)?\s*([IBK]\d)\s+([^*。]+?)\s*(?:\*\*)?。(?:\*\*)?(.*)$`)
	// "➤ **I11 软件研发服务**。指…", "➤ **I12 …服务。**指…", and the trap "- **K23 …**。指…"
	reSub = regexp.MustCompile(`^(?:➤|-)\s*\*\*\s*([IBK]\d\d)\s+([^*]+?)\s*(?:。)?\*\*\s*(?:。)?(.*)$`)
	// "- **典型业务 1：定制软件研发**，指…", "- **典型业务 1：知识产权资产管理，**指…", I36's bare "典型业务 1：地理遥感信息服务，指…"
	reTypical   = regexp.MustCompile(`^(?:-\s*)?(?:\*\*)?(典型业务\s*(\d+)[：:]\s*[^*，,]+?)\s*(?:\*\*)?[，,](?:\*\*)?(.*)$`)
	reBullet    = regexp.MustCompile(`^-\s+(.*)$`)
	reNumItem   = regexp.MustCompile(`^(\d+)\.\s*(.*)$`)
	reSubsec    = regexp.MustCompile(`^[（(]([一二三四五六七八九十]+)[)）]\s*(.*)$`)
	reSection   = regexp.MustCompile(`^([一二三四五六七八九十]+)、(.*)$`)
	reTableCell = regexp.MustCompile(`^(.*?)\s*[（(]\s*(IT[O0]|BPO|KPO|[IBK]\d{1,2})\s*[)）]\s*$`)
	reCode      = regexp.MustCompile(`[IBK]\d\d`)
	reMajorRef  = regexp.MustCompile(`纳入\s*([IBK])\s*(信息技术外包|业务流程外包|知识流程外包)`)
	reInlineEx  = regexp.MustCompile(`(?:但)?不包括[^。]*`)
	reSpaces    = regexp.MustCompile(`[ \t\x{3000}]+`)
)

var majorByLetter = map[string]string{"I": "ITO", "B": "BPO", "K": "KPO"}

// Parse parses the guidance text into a taxonomy and passages. It never panics; text that lacks the
// taxonomy of table 1 returns ErrMalformed.
func Parse(src string) (*Guidance, error) {
	if !utf8.ValidString(src) {
		return nil, fmt.Errorf("corpus.Parse: %w: invalid UTF-8", ErrMalformed)
	}
	p := &parser{g: &Guidance{source: src, byCode: map[string]int{}, byRef: map[string]int{}}}
	p.lines = strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	p.run()
	g := p.g
	g.squashd = squash(src)
	g.addEnglish()
	if err := g.check(); err != nil {
		return nil, fmt.Errorf("corpus.Parse: %w", err)
	}
	return g, nil
}

type parser struct {
	g     *Guidance
	lines []string
	i     int // index of the current line

	section    string // readable section, e.g. "二、业务分类"
	sectionKey string // "title", "scope", "table", "class", "rule", "platform"
	subsec     string // "（二）服务外包交易平台注册条件"
	code       string // current class in section 二
	block      string // "def", "typical", "exclude" inside a class
	counters   map[string]int
	lastNum    int    // last numbered item seen in the current subsection
	listName   string // name of the current numbered list in section 四
	tableNames map[string]string
	tableOrder []string
	heads      map[string]string // class heading names from section 二, for the consistency check
}

func (p *parser) run() {
	p.counters = map[string]int{}
	p.tableNames = map[string]string{}
	p.heads = map[string]string{}
	p.section, p.sectionKey = "封面", "title"
	for p.i = 0; p.i < len(p.lines); p.i++ {
		line := strings.TrimSpace(p.lines[p.i])
		if line == "" {
			continue
		}
		p.line(line)
	}
	p.buildClasses()
}

// next counts refs within a key: next("I11.typical") → 1, 2, …
func (p *parser) next(key string) int {
	p.counters[key]++
	return p.counters[key]
}

// joinBreaks joins the page-broken continuation of a prose line: the line does not end a sentence and the
// next non-blank line is plain prose. It returns the joined text and advances p.i past what it consumed.
func (p *parser) joinBreaks(text string) string {
	for !endsSentence(text) {
		j := p.i + 1
		for j < len(p.lines) && strings.TrimSpace(p.lines[j]) == "" {
			j++
		}
		if j >= len(p.lines) {
			break
		}
		nxt := strings.TrimSpace(p.lines[j])
		if structural(nxt) {
			break
		}
		text += nxt
		p.i = j
	}
	return text
}

func endsSentence(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return strings.ContainsRune("。：:；;！？!?”」)）>", r)
}

// structural reports whether a line starts a new unit rather than continuing prose.
func structural(s string) bool {
	switch {
	case strings.HasPrefix(s, "➤"), strings.HasPrefix(s, "-"), strings.HasPrefix(s, "<"),
		strings.HasPrefix(s, "主要包括"), strings.HasPrefix(s, "不包括"), strings.HasPrefix(s, "典型业务"),
		strings.HasPrefix(s, "第一步"), strings.HasPrefix(s, "第二步"),
		reNumItem.MatchString(s), reSubsec.MatchString(s), reSection.MatchString(s),
		strings.Contains(s, "\t"):
		return true
	}
	return false
}

func (p *parser) add(ps Passage) {
	if ps.Text == "" {
		return
	}
	if _, dup := p.g.byRef[ps.Ref]; dup {
		ps.Ref = fmt.Sprintf("%s~%d", ps.Ref, ps.Line)
	}
	p.g.byRef[ps.Ref] = len(p.g.Passages)
	p.g.Passages = append(p.g.Passages, ps)
}

// addProse adds a prose paragraph as one passage per sentence: ref, ref.2, ref.3 … when it has several.
func (p *parser) addProse(ref, section string, line int, kind Kind, code, text string) {
	sents := sentences(text)
	for n, s := range sents {
		r := ref
		if len(sents) > 1 {
			r = fmt.Sprintf("%s.%d", ref, n+1)
		}
		p.add(Passage{Ref: r, Section: section, Line: line, Text: s, Kind: kind, Code: code})
	}
}

// sentences splits text after each 。 (keeping a closing quote with its sentence).
func sentences(text string) []string {
	var out []string
	rs := []rune(text)
	start := 0
	for i := 0; i < len(rs); i++ {
		if rs[i] != '。' {
			continue
		}
		end := i + 1
		for end < len(rs) && strings.ContainsRune("”」’）)", rs[end]) {
			end++
		}
		if s := strings.TrimSpace(string(rs[start:end])); s != "" {
			out = append(out, s)
		}
		start, i = end, end-1
	}
	if s := strings.TrimSpace(string(rs[start:])); s != "" {
		out = append(out, s)
	}
	return out
}

func (p *parser) line(line string) {
	ln := p.i + 1
	if m := reSection.FindStringSubmatch(line); m != nil && !strings.Contains(line, "\t") {
		p.section, p.subsec, p.code, p.block, p.lastNum, p.listName = line, "", "", "", 0, ""
		switch m[1] {
		case "一":
			p.sectionKey = "scope"
		case "二":
			p.sectionKey = "class"
		case "三":
			p.sectionKey = "rule"
		case "四":
			p.sectionKey = "platform"
		default:
			p.sectionKey = "other"
		}
		p.add(Passage{Ref: fmt.Sprintf("heading.%d", p.next("heading")), Section: line, Line: ln, Text: line, Kind: KindHeading})
		return
	}
	switch p.sectionKey {
	case "title":
		p.add(Passage{Ref: fmt.Sprintf("title.%d", p.next("title")), Section: "封面", Line: ln, Text: line, Kind: KindTitle})
	case "scope":
		p.scopeLine(line, ln)
	case "class":
		p.classLine(line, ln)
	case "rule":
		p.ruleLine(line, ln)
	default:
		p.platformLine(line, ln)
	}
}

func (p *parser) scopeLine(line string, ln int) {
	text := p.joinBreaks(line)
	switch {
	case reNumItem.MatchString(text):
		m := reNumItem.FindStringSubmatch(text)
		p.addProse("scope.feature."+m[1], p.section+" › 新特征 "+m[1], ln, KindScope, "", m[2])
	case strings.Contains(text, "定义为"):
		p.addProse("scope.def", p.section+" › 定义", ln, KindScope, "", text)
	default:
		p.addProse(fmt.Sprintf("scope.p%d", p.next("scope.p")), p.section, ln, KindScope, "", text)
	}
}

func (p *parser) classLine(line string, ln int) {
	sec := func(parts ...string) string {
		return strings.Join(append([]string{"二、业务分类"}, parts...), " › ")
	}
	if m := reSubsec.FindStringSubmatch(line); m != nil && !strings.Contains(line, "\t") && reMiddle.FindStringSubmatch(line) == nil {
		p.subsec, p.code, p.block = line, "", ""
		p.add(Passage{Ref: fmt.Sprintf("heading.%d", p.next("heading")), Section: sec(line), Line: ln, Text: line, Kind: KindHeading})
		return
	}
	if strings.HasPrefix(line, "表 1") {
		p.block = "table"
	}
	if p.block == "table" || strings.HasPrefix(line, "服务外包业务统计分类包括") {
		p.tableLine(line, ln)
		return
	}
	if m := reMajor.FindStringSubmatch(line); m != nil {
		code := NormCode(m[2])
		p.startClass(code, strings.TrimSpace(m[1]), ln, p.joinBreaks(m[3]), titleOf(line, m[3]))
		return
	}
	if m := reMiddle.FindStringSubmatch(line); m != nil {
		p.startClass(m[1], strings.TrimSpace(m[2]), ln, p.joinBreaks(m[3]), titleOf(line, m[3]))
		return
	}
	if m := reSub.FindStringSubmatch(line); m != nil {
		p.startClass(m[1], strings.TrimSpace(m[2]), ln, p.joinBreaks(m[3]), titleOf(line, m[3]))
		return
	}
	head := p.code + " " + p.heads[p.code]
	switch {
	case p.code == "":
		p.add(Passage{Ref: fmt.Sprintf("class.p%d", p.next("class.p")), Section: sec(), Line: ln, Text: p.joinBreaks(line), Kind: KindHeading})
	case strings.HasPrefix(line, "主要包括"):
		p.block = "typical"
		p.add(Passage{Ref: p.code + ".includes", Section: sec(head), Line: ln, Text: line, Kind: KindHeading, Code: p.code})
	case strings.HasPrefix(line, "不包括"):
		p.block = "exclude"
		p.add(Passage{Ref: p.code + ".excludes", Section: sec(head), Line: ln, Text: line, Kind: KindHeading, Code: p.code})
	case reTypical.MatchString(line):
		m := reTypical.FindStringSubmatch(line)
		title := strings.ReplaceAll(m[1], "**", "")
		text := p.joinBreaks(strings.TrimSpace(m[3]))
		ref := fmt.Sprintf("%s.typical.%s", p.code, m[2])
		p.add(Passage{Ref: ref, Section: sec(head, title), Line: ln, Title: title, Text: text, Kind: KindTypical, Code: p.code})
		p.inlineExclusions(ref, sec(head, title), ln, text)
	case p.block == "exclude" && reBullet.MatchString(line):
		text := p.joinBreaks(reBullet.FindStringSubmatch(line)[1])
		p.add(Passage{Ref: fmt.Sprintf("%s.exclude.%d", p.code, p.next(p.code+".exclude")), Section: sec(head, "不包括"),
			Line: ln, Text: text, Kind: KindExclude, Code: p.code, Targets: p.targets(text)})
	default:
		text := p.joinBreaks(strings.TrimPrefix(line, "- "))
		p.add(Passage{Ref: fmt.Sprintf("%s.p%d", p.code, p.next(p.code+".p")), Section: sec(head), Line: ln, Text: text, Kind: KindDefinition, Code: p.code})
	}
}

func (p *parser) startClass(code, name string, ln int, def, title string) {
	p.code, p.block = code, "def"
	p.heads[code] = normName(name)
	head := code + " " + normName(name)
	if Level(levelOf(code)) == Major {
		head = normName(name) + "（" + code + "）"
	}
	section := "二、业务分类 › " + head
	ref := code + ".def"
	p.add(Passage{Ref: ref, Section: section + " › 定义", Line: ln, Title: title, Text: strings.TrimSpace(def), Kind: KindDefinition, Code: code})
	p.inlineExclusions(ref, section+" › 定义", ln, def)
}

var reHeadPrefix = regexp.MustCompile(`^(?:➤|-|\d\.|[（(]\d[)）])\s*`)

// titleOf is the verbatim heading of a class line: the line without its text, markup, bullet and final 。.
func titleOf(line, text string) string {
	t := strings.ReplaceAll(strings.TrimSuffix(line, text), "**", "")
	t = reHeadPrefix.ReplaceAllString(strings.TrimSpace(t), "")
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(t), "。"))
}

// inlineExclusions files the "（但）不包括…" clauses inside a definition or typical business as exclusions too.
func (p *parser) inlineExclusions(ref, section string, ln int, text string) {
	for n, m := range reInlineEx.FindAllString(text, -1) {
		p.add(Passage{Ref: fmt.Sprintf("%s.exclude.%d", ref, n+1), Section: section + " › 不包括", Line: ln,
			Text: m, Kind: KindExclude, Code: p.code, Targets: p.targets(m)})
	}
}

// targets reads the redirect of an exclusion: codes ("应纳入 I11"), a class letter ("应纳入 I 信息技术外包"),
// several codes, or a class name without a code ("应纳入工程技术服务").
func (p *parser) targets(text string) []string {
	at := strings.Index(text, "纳入")
	if at < 0 {
		return nil
	}
	rest := text[at:]
	if codes := reCode.FindAllString(rest, -1); len(codes) > 0 {
		return codes
	}
	if m := reMajorRef.FindStringSubmatch(rest); m != nil {
		return []string{majorByLetter[m[1]]}
	}
	// A name without a code: the longest table name that occurs after 纳入.
	best, bestLen := "", 0
	for code, name := range p.tableNames {
		if strings.Contains(rest, name) && len(name) > bestLen {
			best, bestLen = code, len(name)
		}
	}
	if best != "" {
		return []string{best}
	}
	return nil
}

func (p *parser) tableLine(line string, ln int) {
	cells := strings.Split(line, "\t")
	var kept []string
	for _, c := range cells {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		kept = append(kept, c)
		if m := reTableCell.FindStringSubmatch(c); m != nil {
			code := NormCode(m[2])
			if _, seen := p.tableNames[code]; !seen {
				p.tableOrder = append(p.tableOrder, code)
			}
			p.tableNames[code] = normName(m[1])
		}
	}
	if len(kept) == 0 {
		return
	}
	p.add(Passage{Ref: fmt.Sprintf("table.%d", p.next("table")), Section: "二、业务分类 › 表 1 服务外包业务统计分类", Line: ln,
		Text: strings.Join(kept, " "), Kind: KindTable})
}

func (p *parser) ruleLine(line string, ln int) {
	text := p.joinBreaks(line)
	switch {
	case reNumItem.MatchString(text):
		m := reNumItem.FindStringSubmatch(text)
		p.lastNum, _ = strconv.Atoi(m[1])
		p.addProse("rule."+m[1], p.section+" › "+m[1], ln, KindRule, "", m[2])
	case strings.HasPrefix(text, "第一步"):
		p.addProse("rule.5.step1", p.section+" › 5 › 第一步", ln, KindRule, "", text)
	case strings.HasPrefix(text, "第二步"):
		p.addProse("rule.5.step2", p.section+" › 5 › 第二步", ln, KindRule, "", text)
	default:
		p.addProse(fmt.Sprintf("rule.p%d", p.next("rule.p")), p.section, ln, KindRule, "", text)
	}
}

func (p *parser) platformLine(line string, ln int) {
	if m := reSubsec.FindStringSubmatch(line); m != nil {
		p.subsec, p.lastNum, p.listName = line, 0, ""
		p.add(Passage{Ref: fmt.Sprintf("heading.%d", p.next("heading")), Section: p.section + " › " + line, Line: ln, Text: line, Kind: KindHeading})
		return
	}
	sec := p.section
	if p.subsec != "" {
		sec += " › " + p.subsec
	}
	if strings.HasPrefix(line, "服务外包交易平台注册信息表") && !strings.Contains(line, "（") {
		p.subsec, p.listName = line, "form"
		p.add(Passage{Ref: "platform.form", Section: p.section + " › " + line, Line: ln, Text: line, Kind: KindPlatform})
		return
	}
	if p.listName == "form" {
		p.add(Passage{Ref: fmt.Sprintf("platform.form.%d", p.next("platform.form")), Section: sec, Line: ln,
			Text: reSpaces.ReplaceAllString(line, " "), Kind: KindPlatform})
		return
	}
	text := p.joinBreaks(line)
	if m := reNumItem.FindStringSubmatch(text); m != nil {
		n, _ := strconv.Atoi(m[1])
		if n <= p.lastNum || p.listName == "" {
			p.listName = fmt.Sprintf("list%d", p.next("platform.list"))
		}
		p.lastNum = n
		name := map[string]string{"list1": "condition", "list2": "material"}[p.listName]
		if name == "" {
			name = p.listName
		}
		p.add(Passage{Ref: fmt.Sprintf("platform.%s.%d", name, n), Section: sec + " › " + m[1], Line: ln, Text: m[2], Kind: KindPlatform})
		return
	}
	p.lastNum, p.listName = 0, ""
	key := "platform.p"
	p.addProse(fmt.Sprintf("%s%d", key, p.next(key)), sec, ln, KindPlatform, "", text)
}

// buildClasses makes the taxonomy from table 1: the table's rows are shifted across its page break, so
// parents come from the codes' structure (I11 → I1 → ITO), names from the table's cells.
func (p *parser) buildClasses() {
	codes := append([]string(nil), p.tableOrder...)
	sort.SliceStable(codes, func(a, b int) bool { return classOrder(codes[a]) < classOrder(codes[b]) })
	for _, code := range codes {
		c := Class{Code: code, Name: p.tableNames[code], Level: Level(levelOf(code))}
		switch c.Level {
		case Sub:
			c.Parent = code[:2]
		case Middle:
			c.Parent = majorByLetter[code[:1]]
		}
		p.g.byCode[code] = len(p.g.Classes)
		p.g.Classes = append(p.g.Classes, c)
	}
}

// classOrder sorts codes as the guidance lists them: ITO, I1, I11 … I39, BPO, B1 … K39.
func classOrder(code string) string {
	letter := map[byte]string{'I': "1", 'B': "2", 'K': "3"}
	switch code {
	case "ITO":
		return "1"
	case "BPO":
		return "2"
	case "KPO":
		return "3"
	}
	return letter[code[0]] + code[1:]
}

func levelOf(code string) string {
	switch {
	case len(code) == 3 && code[1] >= '0' && code[1] <= '9':
		return string(Sub)
	case len(code) == 2:
		return string(Middle)
	}
	return string(Major)
}

// normName normalises a class name: full-width brackets, no spaces around them.
func normName(s string) string {
	s = strings.NewReplacer("(", "（", ")", "）", "**", "").Replace(strings.TrimSpace(s))
	s = strings.TrimSuffix(s, "。")
	s = regexp.MustCompile(`\s*([（）])\s*`).ReplaceAllString(s, "$1")
	return strings.TrimSpace(s)
}

// check verifies the shape: 3/9/45 classes and every redirect resolving to an existing code.
func (g *Guidance) check() error {
	counts := map[Level]int{}
	for _, c := range g.Classes {
		counts[c.Level]++
	}
	if counts[Major] != 3 || counts[Middle] != 9 || counts[Sub] != 45 {
		return fmt.Errorf("%w: %d major, %d middle, %d sub classes (want 3, 9, 45)", ErrMalformed, counts[Major], counts[Middle], counts[Sub])
	}
	for _, ps := range g.Passages {
		for _, t := range ps.Targets {
			if _, ok := g.byCode[t]; !ok {
				return fmt.Errorf("%w: %s redirects to unknown code %q", ErrMalformed, ps.Ref, t)
			}
		}
	}
	return nil
}
