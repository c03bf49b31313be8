package classify

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"fenlei/corpus"
	"fenlei/decision"
)

var reCodeMention = regexp.MustCompile(`(?i)\b?([IBK]\d{1,2})\b?`)

// generalBoost favours sections 一, 三 and 四 and table 1 for questions that name no class.
const generalBoost = 1.8

// reQuestionWords are the words of a question that carry no content.
var reQuestionWords = voc.re("question_words")

// namesClass reports whether the text names a sub-class by its Chinese name.
func (e *Engine) namesClass(text string) bool {
	for _, c := range e.g.Subclasses() {
		if strings.Contains(text, c.Name) || strings.Contains(text, trimSuffixes(c.Name, voc.clauses.Terms["service_suffix"])) {
			return true
		}
	}
	return false
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

// reContract: the question is about a contract (section 三).
var reContract = voc.re("contract")

var (
	reDefinitional = voc.re("definitional")
	reDifference   = voc.re("difference")
)

// questionTerms translates the words of a question about the guidance into the guidance's words.
func (e *Engine) questionTerms(text string) []string {
	t := strings.ToLower(text)
	seen := map[string]bool{}
	var out []string
	for _, s := range e.qv {
		for _, f := range s.From {
			if !termIn(t, f) {
				continue
			}
			for _, to := range s.To {
				if !seen[to] {
					seen[to] = true
					out = append(out, to)
				}
			}
			break
		}
	}
	return out
}

// termIn matches a Latin term on word boundaries and any other term as a substring.
func termIn(text, term string) bool {
	if term == "" {
		return false
	}
	if term[0] >= 0x80 || !regexp.MustCompile(`^[a-z0-9 ]+$`).MatchString(term) {
		if hasAnyPrefix(term, voc.clauses.Terms["what_is"]) {
			// "what is outsourcing" asks about outsourcing itself only when the subject ends there, not in
			// "what is an outsourcing trading platform".
			for i := 0; ; {
				k := strings.Index(text[i:], term)
				if k < 0 {
					return false
				}
				end := i + k + len(term)
				if r, _ := utf8.DecodeRuneInString(text[end:]); end == len(text) || !unicode.Is(unicode.Han, r) {
					return true
				}
				i = end
			}
		}
		return strings.Contains(text, term)
	}
	return regexp.MustCompile(`\b` + regexp.QuoteMeta(term) + `\b`).MatchString(text)
}

// mentionedClasses are the classes a question names: sub-classes by code, Chinese or English name; major
// and middle classes by code or name when the question is about them; and, for a question about the
// difference between two things, the two best categories for its words. A class named in passing (a
// question about a general rule that mentions one service) is not returned.
func (e *Engine) mentionedClasses(ctx context.Context, text string) []string {
	var out []string
	seen := map[string]bool{}
	addc := func(c string) {
		if cl, ok := e.g.Class(c); ok && !seen[cl.Code] {
			seen[cl.Code] = true
			out = append(out, cl.Code)
		}
	}
	lower := strings.ToLower(text)
	upper := strings.ToUpper(text)
	byCode := codesIn(text)
	for _, c := range byCode {
		addc(c)
	}
	members := e.qa.pats["members"].MatchString(text)
	intent := e.qa.pats["class_intent"].MatchString(text) || members
	difference := reDifference.MatchString(text)
	// "按哪个大类报" about a mixed contract asks for the section 三 rule, not for the major classes. A major
	// class is asked about when the question wants its definition, how it differs, or what it holds.
	if (reDefinitional.MatchString(text) || difference || members) && !reContract.MatchString(text) {
		for _, m := range e.g.Majors() {
			if regexp.MustCompile(`\b`+m.Code+`\b`).MatchString(upper) || strings.Contains(text, m.Name) ||
				(m.NameEN != "" && strings.Contains(lower, strings.ToLower(m.NameEN))) {
				addc(m.Code)
			}
		}
	}
	named := 0
	for _, c := range e.g.Subclasses() {
		if strings.Contains(text, c.Name) || (c.NameEN != "" && termIn(lower, strings.ToLower(c.NameEN))) ||
			(c.NameEN != "" && termIn(lower, strings.ToLower(strings.TrimSuffix(c.NameEN, " services")))) {
			named++
			addc(c.Code)
		}
	}
	if len(out) < 2 && difference {
		if res, err := e.s.Search(ctx, text, 3); err == nil {
			for _, c := range res.Categories {
				if len(out) == 2 {
					break
				}
				addc(c.Code)
			}
		}
	}
	if len(out) == 1 && len(byCode) == 0 && !intent {
		return nil // one class named in passing: the question is about the general rule
	}
	return out
}

// between returns the clauses that separate classes: exclusions of one that send to another, and the
// inline exclusions of their definitions.
func (e *Engine) between(classes []string) []string {
	var out []string
	for _, a := range classes {
		for _, p := range e.g.PassagesOf(a) {
			if p.Kind != corpus.KindExclude {
				continue
			}
			inline := strings.HasPrefix(p.Ref, a+".def.")
			for _, t := range p.Targets {
				for _, b := range classes {
					if b != a && sendsTo(t, b) {
						out = append(out, p.Ref)
					}
				}
			}
			if inline && len(classes) > 1 {
				out = append(out, p.Ref)
			}
		}
	}
	return out
}

// siblings returns the other items of the numbered list or multi-sentence paragraph a passage belongs to:
// "platform.material.2" → platform.material.1 … 5; "rule.2.2" → rule.2.1.
func (e *Engine) siblings(ref string) []string {
	i := strings.LastIndex(ref, ".")
	if i < 0 {
		return nil
	}
	stem := ref[:i+1]
	if !(strings.HasPrefix(ref, "platform.") || strings.HasPrefix(ref, "rule.") || strings.HasPrefix(ref, "scope.")) ||
		strings.Count(stem, ".") < 2 || !isNumber(ref[i+1:]) {
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

func isNumber(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
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
	if code == last.Code {
		// "为什么不是 I11？" after an I11 answer: it already is.
		c, _ := e.g.Class(code)
		d.Other = code
		d.Citations = citations(e.g, []string{code + ".def"})
		d.Answer = e.withQuotes(e.qa.msg("already", lang, c.Code, className(c, lang), e.defined(c, lang)), d.Citations, lang)
		return d, nil
	}
	refs := &refList{g: e.g}
	addRef := refs.add
	// Exclusions of the other class that send to the chosen one, or that the chosen one cited.
	for _, c := range last.Checks {
		if c.Ref != "" && (c.From == code || c.To == code) {
			addRef(c.Ref)
		}
	}
	for _, p := range e.g.PassagesOf(code) {
		if p.Kind == corpus.KindExclude {
			for _, t := range p.Targets {
				if sendsTo(t, last.Code) {
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
		if len(refs.refs) >= 6 {
			break
		}
		addRef(c.Ref)
	}
	oc, _ := e.g.Class(code)
	d.Citations = citations(e.g, refs.refs)
	d.Answer = msg("why_not", lang, orOut(last.Code), oc.Code, className(oc, lang), oc.Code)
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
