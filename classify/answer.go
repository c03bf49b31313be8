package classify

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/retrieval"
)

var (
	// Questions about the guidance itself: its definitions, rules, platforms and the differences between classes.
	reGuidanceTopic = re(`交易平台|撮合|政府采购网|注册(条件|材料|信息表)|提交.{0,6}材料|哪些材料|报送|每年.{0,6}(报|填)|1\s*月\s*10\s*日|统计范围|统计口径|什么是|是什么|是指什么|指什么|怎么定义|如何定义|是怎么定义|的定义|定义是|内涵|(新|基本)?特征|有多少(个)?(大|中|小)?类|几个(大|中|小)类|分类判断|判断原则|交叉服务|怎么区分|如何区分|怎么区别|区别|有什么不同|有何不同|分别指|合同.{0,30}(怎么|如何|按哪|要不要|该不该|能不能|是否|吗)|(怎么|如何|按哪个?)(填报|归类|分类)|归类方向|服务价值|扣(掉|除)|计入|differ|difference|distinguish|trading platform|registration|register|documents? (must|to)|materials|report (their|its|the)? ?(annual )?data|deadline|definition|define|what (is|counts as) (service )?outsourcing|how many (categories|classes)|features of|contract (covers|spans|lists|with)|how (is|should|are) .{0,40}(classified|reported|counted)|deduct|government procurement`)
	// A question about a concrete service is a classification even when it mentions a rule word.
	reStrongTopic  = re(`交易平台|撮合|政府采购网|注册|材料|报送|1\s*月\s*10\s*日|定义|内涵|特征|有多少|几个(大|中|小)类|怎么区分|如何区分|区别|有什么不同|有何不同|分别指|trading platform|regist|documents|definition|define|difference|distinguish|features|how many`)
	reAsksCategory = re(`算(哪|什么|啥)|属于(哪|什么|啥)|归(哪|到哪|入哪|什么)|(哪|什么)(一)?(类|个类别|个分类|种)|which (category|class|code)|how (do|should|would) (we|i) classify|what (category|class|code)`)
	reCodeMention  = regexp.MustCompile(`(?i)\b?([IBK]\d{1,2})\b?`)
)

// generalBoost favours sections 一, 三 and 四 and table 1 for questions that name no class.
const generalBoost = 1.8

// reQuestionWords are the words of a question that carry no content.
var reQuestionWords = re(`是什么|什么是|有哪些|哪些|是怎么|怎么|如何|为什么|吗|呢|请问|\b(what|which|how|why|is|are|does|do|the|a|an|of|to|must|should|be)\b`)

// namesClass reports whether the text names a sub-class by its Chinese name.
func (e *Engine) namesClass(text string) bool {
	for _, c := range e.g.Subclasses() {
		if strings.Contains(text, c.Name) || strings.Contains(text, strings.TrimSuffix(c.Name, "服务")) {
			return true
		}
	}
	return false
}

// isGuidanceQuestion tells a question about the guidance from a description of a service.
func isGuidanceQuestion(text string) bool {
	t := strings.ToLower(text)
	if reAsksCategory.MatchString(t) && !reStrongTopic.MatchString(t) {
		return false
	}
	if reGuidanceTopic.MatchString(t) {
		return true
	}
	// "K13 和 B33 …？" — two codes in a question.
	return len(codesIn(t)) >= 2 && strings.ContainsAny(t, "？?")
}

func codesIn(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range reCodeMention.FindAllStringSubmatch(strings.ToUpper(text), -1) {
		c := m[1]
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// Guidance answers a question about the guidance from its passages: the best retrieved passages, whole
// numbered lists where one item answers, and the definitions of the classes it names.
func (e *Engine) Guidance(ctx context.Context, text string) (decision.Decision, error) {
	if err := e.Validate(text); err != nil {
		return decision.Decision{}, err
	}
	lang := Lang(text)
	q := reQuestionWords.ReplaceAllString(text, " ")
	if !hasLetters(q) {
		q = text
	}
	res, err := e.s.Search(ctx, q, 5)
	if err != nil && !errors.Is(err, retrieval.ErrEmptyQuery) {
		return decision.Decision{}, fmt.Errorf("classify.Guidance: %w", err)
	}
	// A question that names no class is about the guidance's general sections: prefer them.
	if len(codesIn(text)) == 0 && !e.namesClass(text) {
		for i := range res.Passages {
			switch res.Passages[i].Kind {
			case corpus.KindScope, corpus.KindRule, corpus.KindPlatform, corpus.KindTable:
				res.Passages[i].Score *= generalBoost
			}
		}
		sort.SliceStable(res.Passages, func(i, j int) bool { return res.Passages[i].Score > res.Passages[j].Score })
	}
	var refs []string
	add := func(r string) {
		for _, x := range refs {
			if x == r {
				return
			}
		}
		if _, ok := e.g.Passage(r); ok {
			refs = append(refs, r)
		}
	}
	// Classes named by code: their definitions (and what separates them).
	for _, c := range codesIn(text) {
		if cl, ok := e.g.Class(c); ok {
			add(cl.Code + ".def")
			for _, p := range e.g.PassagesOf(cl.Code) {
				if p.Kind == corpus.KindExclude && len(p.Targets) > 0 {
					for _, t := range p.Targets {
						for _, other := range codesIn(text) {
							if t == other {
								add(p.Ref)
							}
						}
					}
				}
			}
		}
	}
	top := 0.0
	for i, h := range res.Passages {
		if i == 0 {
			top = h.Score
		}
		if len(refs) >= 6 || h.Score < 0.5*top {
			break
		}
		if h.Kind == corpus.KindHeading || h.Kind == corpus.KindTitle {
			continue
		}
		add(h.Ref)
		for _, sib := range e.siblings(h.Ref) {
			add(sib)
		}
		for _, next := range e.listAfter(h.Ref) {
			add(next)
		}
	}
	d := decision.Decision{Kind: decision.KindGuidance, Lang: lang, Engine: "offline", Path: []string{},
		Candidates: []decision.Candidate{}, Checks: []decision.Check{}, Citations: []decision.Citation{}}
	var b strings.Builder
	if lang == "en" {
		b.WriteString("The guidance says:\n")
	} else {
		b.WriteString("指引原文：\n")
	}
	for _, r := range refs {
		p, _ := e.g.Passage(r)
		d.Citations = append(d.Citations, decision.Citation{Ref: p.Ref, Section: p.Section, Quote: p.Text, Line: p.Line})
		fmt.Fprintf(&b, "- 「%s」（%s）\n", p.Text, p.Section)
	}
	if len(refs) == 0 {
		if lang == "en" {
			b.Reset()
			b.WriteString("I found nothing in the guidance on that. Try naming the topic (trading platforms, mixed contracts, a class code).")
		} else {
			b.Reset()
			b.WriteString("指引中没有找到相关内容。可以换个说法，或写明主题（交易平台、交叉服务合同、某个分类代码）。")
		}
	}
	d.Answer = strings.TrimSpace(b.String())
	return d, nil
}

// siblings returns the other items of the numbered list or multi-sentence paragraph a passage belongs to:
// "platform.material.2" → platform.material.1 … 5; "rule.2.2" → rule.2.1.
func (e *Engine) siblings(ref string) []string {
	i := strings.LastIndex(ref, ".")
	if i < 0 {
		return nil
	}
	stem := ref[:i+1]
	if !(strings.HasPrefix(ref, "platform.") || strings.HasPrefix(ref, "rule.") || strings.HasPrefix(ref, "scope.")) {
		return nil
	}
	var out []string
	for _, p := range e.g.Passages {
		if strings.HasPrefix(p.Ref, stem) && !strings.Contains(p.Ref[len(stem):], ".") {
			out = append(out, p.Ref)
		}
	}
	if len(out) > 6 {
		return nil
	}
	return out
}

// listAfter returns the items that follow a passage ending with "：" (a list's introduction).
func (e *Engine) listAfter(ref string) []string {
	p, _ := e.g.Passage(ref)
	if !strings.HasSuffix(p.Text, "：") && !strings.HasSuffix(p.Text, ":") {
		return nil
	}
	var out []string
	for i, q := range e.g.Passages {
		if q.Ref != ref {
			continue
		}
		for _, n := range e.g.Passages[i+1:] {
			if len(out) == 8 || n.Kind == corpus.KindHeading || strings.HasSuffix(n.Text, "：") {
				break
			}
			out = append(out, n.Ref)
		}
		break
	}
	return out
}

// WhyNot explains why last's code was chosen rather than other: the clauses that separate the two classes
// (bot.Engine). other is a code ("I13") or words ("testing", "测试服务").
func (e *Engine) WhyNot(ctx context.Context, last decision.Decision, other string) (decision.Decision, error) {
	lang := last.Lang
	if lang == "" {
		lang = Lang(other)
	}
	code := e.resolveClass(ctx, other)
	if code == "" {
		return decision.Decision{}, fmt.Errorf("classify.WhyNot: %q names no class", other)
	}
	d := decision.Decision{Kind: decision.KindExplain, Lang: lang, Engine: "offline", Code: last.Code, Name: last.Name,
		NameEN: last.NameEN, Path: last.Path, Candidates: last.Candidates, Checks: []decision.Check{}, Citations: []decision.Citation{}}
	if d.Path == nil {
		d.Path = []string{}
	}
	if d.Candidates == nil {
		d.Candidates = []decision.Candidate{}
	}
	var refs []string
	addRef := func(r string) {
		for _, x := range refs {
			if x == r {
				return
			}
		}
		if _, ok := e.g.Passage(r); ok {
			refs = append(refs, r)
		}
	}
	// Exclusions of the other class that send to the chosen one, or that the chosen one cited.
	for _, c := range last.Checks {
		if c.Ref != "" && (c.From == code || c.To == code) {
			addRef(c.Ref)
		}
	}
	for _, p := range e.g.PassagesOf(code) {
		if p.Kind == corpus.KindExclude {
			for _, t := range p.Targets {
				if t == last.Code || (len(t) == 3 && t[1] > '9' && strings.HasPrefix(last.Code, t[:1])) {
					addRef(p.Ref)
				}
			}
		}
	}
	for _, p := range e.g.PassagesOf(last.Code) {
		if p.Kind == corpus.KindExclude {
			for _, t := range p.Targets {
				if t == code {
					addRef(p.Ref)
				}
			}
		}
	}
	addRef(code + ".def")
	if last.Code != "" && last.Code != decision.OUT {
		addRef(last.Code + ".def")
	}
	for _, c := range last.Citations {
		if len(refs) >= 6 {
			break
		}
		addRef(c.Ref)
	}
	oc, _ := e.g.Class(code)
	for _, r := range refs {
		p, _ := e.g.Passage(r)
		d.Citations = append(d.Citations, decision.Citation{Ref: p.Ref, Section: p.Section, Quote: p.Text, Line: p.Line})
	}
	if lang == "en" {
		d.Answer = fmt.Sprintf("Why %s and not %s %s: compare the clauses below — the definition of %s, and any exclusion that separates the two.",
			orOut(last.Code), oc.Code, nameEN(oc), oc.Code)
	} else {
		d.Answer = fmt.Sprintf("为什么是 %s 而不是 %s %s：请对照下列条款——%s 的定义，以及区分两者的不包括条款。", orOut(last.Code), oc.Code, oc.Name, oc.Code)
	}
	return d, nil
}

func orOut(code string) string {
	if code == "" {
		return "(no code yet)"
	}
	return code
}

// resolveClass reads a class from a code or from words, by name or by search.
func (e *Engine) resolveClass(ctx context.Context, s string) string {
	s = strings.TrimSpace(strings.Trim(s, "？?。.!！ "))
	if cs := codesIn(s); len(cs) > 0 {
		if c, ok := e.g.Class(cs[0]); ok {
			return c.Code
		}
	}
	for _, c := range e.g.Subclasses() {
		if strings.Contains(s, c.Name) || (c.NameEN != "" && strings.EqualFold(s, c.NameEN)) {
			return c.Code
		}
	}
	if s == "" {
		return ""
	}
	res, err := e.s.Search(ctx, s, 1)
	if err != nil || len(res.Categories) == 0 {
		return ""
	}
	return res.Categories[0].Code
}
