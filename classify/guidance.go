package classify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"

	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/retrieval"
)

// qa is the compiled answer data (corpus/answers.yaml).
type qa struct {
	pats       map[string]*pat
	msgs       map[string]corpus.Message
	answers    []corpus.PlainAnswer
	notCovered []string
	title      *regexp.Regexp // the guidance's own title, as a question may name it (titlePattern)
	defs       []definedTerm  // the terms the guidance defines in its own words (definedTerms)
}

// sectionProse reports whether a passage of kind k is prose of sections 一, 三 or 四 (what counts as
// outsourcing, the contract rules, trading platforms) rather than the title page or a class's passages.
func sectionProse(k corpus.Kind) bool {
	return k == corpus.KindScope || k == corpus.KindRule || k == corpus.KindPlatform
}

// definedTerm is a term the guidance defines outside the class table ("交叉服务是指…"), and the passage
// that defines it.
type definedTerm struct{ term, ref string }

// definedTerms finds the terms that passages define: the run of Han characters right before a
// definition marker (corpus/clauses.yaml terms.definition_markers: "是指", "定义为"), every length from two
// characters up ("我们将服务外包定义为" defines 服务外包, and also 将服务外包, which no question names).
// Class definitions are left to the class path. Longest first, so that 服务外包交易平台 wins over 服务外包.
func definedTerms(g *corpus.Guidance, markers []string) []definedTerm {
	var out []definedTerm
	for _, p := range g.Passages {
		if !sectionProse(p.Kind) {
			continue
		}
		for _, m := range markers {
			for rest := p.Text; ; {
				i := strings.Index(rest, m)
				if i < 0 {
					break
				}
				before := []rune(rest[:i])
				start := len(before)
				for start > 0 && unicode.Is(unicode.Han, before[start-1]) && len(before)-start < 12 {
					start--
				}
				for k := start; k <= len(before)-2; k++ {
					out = append(out, definedTerm{string(before[k:]), p.Ref})
				}
				rest = rest[i+len(m):]
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].term) > len(out[j].term) })
	return out
}

// definition returns the passage that defines the longest defined term a definitional question names
// ("交叉服务在指引里是怎么定义的？" → the passage "交叉服务是指…"), or "".
func (q *qa) definition(text string) string {
	if !reDefinitional.MatchString(text) {
		return ""
	}
	for _, d := range q.defs {
		if strings.Contains(text, d.term) {
			return d.ref
		}
	}
	return ""
}

func newQA(g *corpus.Guidance) (*qa, error) {
	a, err := g.LoadAnswers()
	if err != nil {
		return nil, err
	}
	q := &qa{pats: map[string]*pat{}, msgs: a.Messages, answers: a.Answers, notCovered: a.NotCovered, title: titlePattern(g),
		defs: definedTerms(g, voc.clauses.Terms["definition_markers"])}
	for name, p := range a.Patterns {
		q.pats[name] = compile(p)
	}
	for _, name := range []string{"class_intent", "typical", "excludes", "parent", "members", "self_reference"} {
		if q.pats[name] == nil {
			return nil, fmt.Errorf("corpus/answers.yaml: no pattern %s", name)
		}
	}
	for _, name := range []string{"uncovered", "not_covered", "quotes", "nearest", "defined", "typical", "excludes", "parent", "children",
		"compare", "deciding", "no_exclusion", "already", "is_under", "not_under"} {
		if _, ok := q.msgs[name]; !ok {
			return nil, fmt.Errorf("corpus/answers.yaml: no message %s", name)
		}
	}
	return q, nil
}

// titlePattern matches the guidance's title as a question names it, built from the title page's passages
// (title.1 and title.2 in Chinese, title.3 and title.4 in English): in book-title marks or quotes or not,
// with the year in brackets or not, English words in any case and spacing. Nil when the title page does
// not have those passages.
func titlePattern(g *corpus.Guidance) *regexp.Regexp {
	var parts [4]string
	for i := range parts {
		p, ok := g.Passage(fmt.Sprintf("title.%d", i+1))
		if !ok {
			return nil
		}
		parts[i] = strings.TrimSpace(p.Text)
	}
	year := strings.TrimFunc(parts[1], func(r rune) bool { return !unicode.IsDigit(r) })
	words := strings.Fields(parts[2] + " " + parts[3])
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(`(?i)[《<"“'‘]?\s*(?:` + regexp.QuoteMeta(parts[0]) + `|(?:the\s+)?` + strings.Join(words, `\s+`) + `)` +
		`(?:\s*[(（]?\s*` + regexp.QuoteMeta(year) + `\s*年?\s*[)）]?)?\s*[》>"”'’]?`)
}

// withoutTitle is text with the guidance's title taken out, when something a question asks remains: a
// question that names the document ("《中国服务外包统计操作指引（2022年）》对服务外包是如何定义的？") asks about
// what is in it, and the title's words would draw the title page. A question about the document itself
// keeps its words ("指引是哪个部门发布的？" does not name the title; what remains of "中国服务外包统计操作指引
// 是哪年的版本？" still asks for the title page through the nearest questions).
func (q *qa) withoutTitle(text string) string {
	if q.title == nil {
		return text
	}
	rest := q.title.ReplaceAllString(text, " ")
	if rest == text || !hasLetters(reQuestionWords.ReplaceAllString(rest, " ")) {
		return text
	}
	return strings.TrimSpace(rest)
}

func (q *qa) msg(key, lang string, args ...any) string {
	m := q.msgs[key]
	return fmt.Sprintf(pick2(lang, m.ZH, m.EN), args...)
}

// written returns the plain answer written for the best passages of a question (best first): an answer
// qualifies when its first passage is one of the two best, or when one of the two best and at least half
// of its passages are among the best. Of those, the answer whose first passage (the one that calls for
// it) ranks highest wins; ties go to the larger share of passages among the best, then to the first
// written.
func (q *qa) written(primary []string) (corpus.PlainAnswer, bool) {
	var found corpus.PlainAnswer
	ok, best, bestAt := false, 0.0, 0
	for _, ans := range q.answers {
		in, top := 0, false
		for _, r := range ans.Refs {
			if i := slices.Index(primary, r); i >= 0 {
				in++
				top = top || i < 2
			}
		}
		share := float64(in) / float64(len(ans.Refs))
		at := slices.Index(primary, ans.Refs[0])
		if at < 0 {
			at = math.MaxInt // not among the best at all (len(primary) would pass for "one of the two best" when it is 1)
		}
		if !(at < 2 || top && share >= 0.5) {
			continue
		}
		if !ok || at < bestAt || (at == bestAt && share > best) {
			found, ok, best, bestAt = ans, true, share, at
		}
	}
	return found, ok
}

// topicNotCovered returns the first topic of the text that the guidance does not cover, or "".
func (q *qa) topicNotCovered(text string) string {
	t := strings.ToLower(text)
	for _, term := range q.notCovered {
		if termIn(t, strings.ToLower(term)) {
			return term
		}
	}
	return ""
}

// Guidance answers a question about the guidance: a short answer in plain words in the asker's language
// first, then the passages that prove it, quoted verbatim. The passages are found by association with the
// question index (its nearest questions vote for the passages their answers needed, see votes) and by
// BM25. A question about one class gets its definition (and its typical businesses or exclusions when
// asked); a question about two or three classes gets their definitions, typical businesses and the
// exclusion that separates them; a question the guidance does not cover (a topic listed in
// corpus/answers.yaml, or one the nearest questions and the kind model call outside) says so and quotes
// the nearest passages; any other question gets the best passages — whole lists where one item or the
// list's introduction answers — and the plain answer written for them.
func (e *Engine) Guidance(ctx context.Context, text string) (decision.Decision, error) {
	if err := e.Validate(text); err != nil {
		return decision.Decision{}, err
	}
	lang := Lang(text)
	d := decision.Decision{Kind: decision.KindGuidance, Lang: lang, Engine: "offline", Path: []string{},
		Candidates: []decision.Candidate{}, Checks: []decision.Check{}, Citations: []decision.Citation{}}
	topic := e.qa.topicNotCovered(text)
	text = e.qa.withoutTitle(text)
	votes, err := e.votes(ctx, text)
	if err != nil {
		return decision.Decision{}, err
	}
	hits, err := e.rankPassages(ctx, text)
	if err != nil {
		return decision.Decision{}, err
	}
	if topic != "" || votes.outside >= e.qp.outside {
		d.Uncovered = true
		d.Citations = citations(e.g, best(hits))
		plain := e.qa.msg("not_covered", lang)
		if topic != "" {
			plain = e.qa.msg("uncovered", lang, topic)
		}
		d.Answer = e.withQuotes(plain, d.Citations, lang)
		return d, nil
	}
	var classes []string
	// A question that names a class is about the class, unless the nearest questions of the question
	// index say it is of another kind ("合同里既有 BPO 又有 KPO，按哪个大类报？" is about section 三).
	if len(votes.kinds) == 0 || votes.kinds[corpus.QClass]+votes.kinds[corpus.QDifference]+votes.kinds[corpus.QMeta] >= e.qp.classGate {
		classes = e.mentionedClasses(ctx, text)
	}
	if len(classes) > 0 {
		var plain string
		var refs []string
		if len(classes) == 1 {
			plain, refs = e.about(classes[0], text, lang)
		} else {
			plain, refs = e.compare(classes[:min(len(classes), 3)], lang)
		}
		// The item asked about ("清算服务指什么？") and what the nearest questions needed.
		refs = append(refs, e.classHits(hits, classes)...)
		d.Citations = citations(e.g, e.qp.withVotes(e.g, refs, votes))
		d.Answer = e.withQuotes(plain, d.Citations, lang)
		return d, nil
	}
	primary := e.qp.combine(votes, hits)
	if def := e.qa.definition(text); def != "" {
		// A term the guidance defines, asked for its definition: the defining passage answers first.
		primary = append([]string{def}, slices.DeleteFunc(primary, func(r string) bool { return r == def })...)
	}
	refs := &refList{g: e.g}
	var plain string
	// The plain answer written for the best passages; its passages come first, all of them.
	if ans, ok := e.qa.written(primary); ok {
		plain = pick2(lang, ans.ZH, ans.EN)
		for _, ar := range ans.Refs {
			refs.add(ar)
		}
	}
	keep := max(len(refs.refs), 12)
	for _, r := range primary {
		refs.add(r)
	}
	for _, r := range primary {
		for _, sib := range e.siblings(r) {
			refs.add(sib)
		}
		for _, next := range e.listAfter(r) {
			refs.add(next)
		}
	}
	if len(refs.refs) > keep {
		refs.refs = refs.refs[:keep]
	}
	if len(refs.refs) == 0 {
		d.Answer = msg("guidance_nothing", lang)
		return d, nil
	}
	d.Citations = citations(e.g, refs.refs)
	if plain == "" {
		plain = e.selectSentence(d.Citations[0], lang)
	}
	d.Answer = e.withQuotes(plain, d.Citations, lang)
	return d, nil
}

// withQuotes puts the plain answer first and the verbatim quotes with their places after it.
func (e *Engine) withQuotes(plain string, cs []decision.Citation, lang string) string {
	var b strings.Builder
	b.WriteString(plain)
	if len(cs) > 0 {
		b.WriteString("\n\n" + e.qa.msg("quotes", lang) + "\n")
	}
	for _, c := range cs {
		fmt.Fprintf(&b, "- 「%s」（%s，%s）\n", c.Quote, c.Section, c.Ref)
	}
	return strings.TrimSpace(b.String())
}

// selectSentence is the plain answer when none is written for the best passage: that passage itself, or
// for an English question, where it stands and what it says.
func (e *Engine) selectSentence(c decision.Citation, lang string) string {
	if lang == "en" {
		return e.qa.msg("nearest", lang, c.Section, "「"+c.Quote+"」")
	}
	return e.qa.msg("nearest", lang, c.Section, c.Quote)
}

// rankPassages ranks the guidance's passages for a question (its words translated by the question
// vocabulary) by BM25, sections 一, 三, 四 and the title page favoured, best first.
func (e *Engine) rankPassages(ctx context.Context, text string) ([]scoredRef, error) {
	q := reQuestionWords.ReplaceAllString(e.qa.pats["self_reference"].ReplaceAllString(text, " "), " ")
	if !hasLetters(q) {
		q = text
	}
	terms := e.questionTerms(text)
	hits, err := e.s.Passages(ctx, q, terms, 40)
	if len(hits) == 0 && q != text && (err == nil || errors.Is(err, retrieval.ErrEmptyQuery)) {
		// Nothing but the document's own words matched: the nearest passages are those they find
		// (an uncovered question is still answered with the nearest passages).
		hits, err = e.s.Passages(ctx, text, terms, 40)
	}
	if err != nil && !errors.Is(err, retrieval.ErrEmptyQuery) {
		return nil, fmt.Errorf("classify.Guidance: %w", err)
	}
	definitional := reDefinitional.MatchString(text)
	out := make([]scoredRef, len(hits))
	for i, h := range hits {
		p, _ := e.g.Passage(h.Ref)
		switch p.Kind {
		case corpus.KindScope, corpus.KindRule, corpus.KindPlatform, corpus.KindTable:
			h.Score *= generalBoost
		case corpus.KindTitle:
			if p.Ref == "title.5" || p.Ref == "title.1" {
				h.Score *= generalBoost
			}
		case corpus.KindHeading:
			h.Score *= 0.3
		}
		if definitional && containsAny(p.Text, voc.clauses.Terms["definition_markers"]) {
			h.Score *= 1.5
		}
		out[i] = scoredRef{h.Ref, h.Score}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out, nil
}

// best keeps the few best of ranked passages: at most four, each at least half as good as the first.
func best(hits []scoredRef) []string {
	var out []string
	for i, h := range hits {
		if len(out) == 4 || (i > 0 && h.Score < 0.5*hits[0].Score) {
			break
		}
		out = append(out, h.Ref)
	}
	return out
}

// about answers a question about one class: its definition, its place in the taxonomy, its typical
// businesses or its exclusions when asked, its classes for a major or middle class.
func (e *Engine) about(code, text, lang string) (string, []string) {
	c, _ := e.g.Class(code)
	refs := &refList{g: e.g}
	refs.add(code + ".def")
	var b strings.Builder
	b.WriteString(e.defined(c, lang))
	if c.Level != corpus.Major {
		if p, ok := e.g.Class(c.Parent); ok {
			b.WriteString(" " + e.qa.msg("parent", lang, c.Code, className(c, lang), e.pathName(p, lang)))
		}
	}
	asksTypical, asksExcl := e.qa.pats["typical"].MatchString(text), e.qa.pats["excludes"].MatchString(text)
	if asksExcl {
		asksTypical = false
	}
	var typical, excl []string
	for _, p := range e.g.PassagesOf(code) {
		switch {
		case p.Kind == corpus.KindTypical:
			typical = append(typical, typicalName(p))
			if asksTypical {
				refs.add(p.Ref)
			}
		case p.Kind == corpus.KindExclude:
			excl = append(excl, "「"+p.Text+"」")
			if asksExcl || strings.HasPrefix(p.Ref, code+".def.") {
				refs.add(p.Ref)
			}
		}
	}
	if len(typical) > 0 {
		b.WriteString(" " + e.qa.msg("typical", lang, strings.Join(typical, pick2(lang, "、", "; "))))
	}
	if asksExcl && len(excl) > 0 {
		b.WriteString(" " + e.qa.msg("excludes", lang, strings.Join(excl, "")))
	}
	if c.Level != corpus.Sub {
		var kids []string
		for _, k := range e.g.Children(code) {
			kids = append(kids, k.Code+" "+className(k, lang))
			for _, p := range e.g.Passages {
				if p.Kind == corpus.KindTable && (strings.Contains(p.Text, "("+k.Code+")") || strings.Contains(p.Text, "（"+k.Code+"）")) {
					refs.add(p.Ref)
				}
			}
		}
		b.WriteString(" " + e.qa.msg("children", lang, strings.Join(kids, pick2(lang, "、", "; "))))
	}
	return b.String(), refs.refs
}

// defined says what a class is: its definition, quoted for Chinese, named for English (the definition
// follows in the quotes).
func (e *Engine) defined(c corpus.Class, lang string) string {
	p, ok := e.g.Passage(c.Code + ".def")
	def := ""
	if ok {
		def = upToStop(p.Text)
	}
	if lang == "en" {
		return e.qa.msg("defined", lang, c.Code, c.NameEN, c.Name, "「"+def+"」")
	}
	return e.qa.msg("defined", lang, c.Code, c.Name, "", def)
}

// pathName names a class with its code: "I1 信息技术研发服务".
func (e *Engine) pathName(c corpus.Class, lang string) string {
	return c.Code + " " + className(c, lang)
}

// typicalName is a typical business's name (its title without the "typical business N:" label), or its text.
func typicalName(p corpus.Passage) string {
	if i := strings.Index(p.Title, "："); i >= 0 {
		return p.Title[i+len("："):]
	}
	if p.Title != "" {
		return p.Title
	}
	return upToStop(p.Text)
}

// upToStop is the text up to its first full stop or semicolon: a definition's first sentence, whole.
func upToStop(s string) string {
	if i := strings.IndexAny(s, "。；"); i >= 0 {
		return s[:i]
	}
	return s
}

// compare answers "how do A and B (and C) differ": every class's definition and typical businesses, and
// the exclusion that separates them named as the deciding difference.
func (e *Engine) compare(codes []string, lang string) (string, []string) {
	var cs []corpus.Class
	var names []string
	refs := &refList{g: e.g}
	for _, code := range codes {
		c, _ := e.g.Class(code)
		cs = append(cs, c)
		names = append(names, e.pathName(c, lang))
		refs.add(code + ".def")
	}
	between := e.between(codes)
	for _, r := range between {
		refs.add(r)
	}
	var sb strings.Builder
	last := len(names) - 1
	sb.WriteString(e.qa.msg("compare", lang, strings.Join(names[:last], pick2(lang, "、", ", ")), names[last]))
	for _, c := range cs {
		sb.WriteString("\n" + e.defined(c, lang) + pick2(lang, "。", "."))
		var typical []string
		for _, p := range e.g.PassagesOf(c.Code) {
			if p.Kind == corpus.KindTypical {
				typical = append(typical, typicalName(p))
			}
		}
		if len(typical) > 0 {
			sb.WriteString(" " + e.qa.msg("typical", lang, strings.Join(typical, pick2(lang, "、", "; "))))
		}
	}
	deciding := ""
	for _, r := range between {
		p, _ := e.g.Passage(r)
		if len(p.Targets) > 0 {
			deciding = r
			break
		}
	}
	if deciding == "" && len(between) > 0 {
		deciding = between[0]
	}
	if deciding != "" {
		p, _ := e.g.Passage(deciding)
		sb.WriteString("\n" + e.qa.msg("deciding", lang, p.Code, p.Text))
	} else {
		sb.WriteString("\n" + e.qa.msg("no_exclusion", lang))
	}
	return sb.String(), refs.refs
}

// reBelongs: a follow-up asks whether the answer sits under a class.
var reBelongs = voc.re("belongs")

// Followup answers a follow-up to an earlier classification that asks whether its code sits under a
// major or middle class ("那它属于ITO吗？"): yes or no from the taxonomy, with both classes' definitions.
// ok is false when text is no such question.
func (e *Engine) Followup(ctx context.Context, last decision.Decision, text string) (d decision.Decision, ok bool, err error) {
	if last.Code == "" || last.Code == decision.OUT || !reBelongs.MatchString(text) {
		return decision.Decision{}, false, nil
	}
	chosen, found := e.g.Class(last.Code)
	if !found {
		return decision.Decision{}, false, nil
	}
	var target corpus.Class
	upper := strings.ToUpper(text)
	for _, c := range append(e.g.Majors(), e.g.Middles()...) {
		if regexp.MustCompile(`(^|[^A-Z0-9])`+c.Code+`($|[^A-Z0-9])`).MatchString(upper) || strings.Contains(text, c.Name) {
			target = c
			break
		}
	}
	if target.Code == "" {
		return decision.Decision{}, false, nil
	}
	lang := Lang(text)
	d = decision.Decision{Kind: decision.KindExplain, Lang: lang, Engine: "offline", Code: last.Code, Name: last.Name,
		NameEN: last.NameEN, Path: e.g.Path(last.Code), Confidence: last.Confidence, Candidates: last.Candidates,
		Checks: []decision.Check{}, Other: target.Code}
	if d.Candidates == nil {
		d.Candidates = []decision.Candidate{}
	}
	path := e.g.Path(last.Code)
	var plain string
	if slices.Contains(path, target.Code) {
		plain = e.qa.msg("is_under", lang, chosen.Code, className(chosen, lang), e.pathOf(path, lang))
	} else {
		plain = e.qa.msg("not_under", lang, chosen.Code, className(chosen, lang), e.pathOf(path, lang), e.pathName(target, lang))
	}
	d.Citations = citations(e.g, []string{chosen.Code + ".def", target.Code + ".def"})
	d.Answer = e.withQuotes(plain, d.Citations, lang)
	return d, true, nil
}

// pathOf names a taxonomy path: each class of it with its code and name, joined by " › ".
func (e *Engine) pathOf(path []string, lang string) string {
	var parts []string
	for _, code := range path {
		if c, ok := e.g.Class(code); ok {
			parts = append(parts, e.pathName(c, lang))
		}
	}
	return strings.Join(parts, " › ")
}
