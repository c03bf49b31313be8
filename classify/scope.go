package classify

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"fenlei/decision"
)

var scopeClauses = loadScope()

// reNegation ends a text that negates what follows: "（不包括展位出租）", "非强制", "not a statutory audit".
var reNegation = voc.re("negation")

// affirmed reports whether p matches text somewhere that is not negated just before, outside a remark
// beside the point (an aside such as "…，食堂伙食还不错" describes nothing delivered).
func affirmed(p *pat, text string) bool {
	for _, m := range p.FindAllStringIndex(text, -1) {
		before := []rune(text[:m[0]])
		if len(before) > 8 {
			before = before[len(before)-8:]
		}
		if reNegation.MatchString(string(before)) || isAside(text, m[0]) {
			continue
		}
		return true
	}
	return false
}

// isAside reports whether the clause of text around byte offset at is a remark beside the point.
func isAside(text string, at int) bool {
	start, end := 0, len(text)
	for _, b := range reClause.FindAllStringIndex(text, -1) {
		if b[1] <= at {
			start = b[1]
		} else if b[0] >= at {
			end = b[0]
			break
		}
	}
	clause := text[start:end]
	whole := start == 0 && end == len(text)
	return !whole && reAside.MatchString(clause) && !reActivity.MatchString(clause)
}

// reAside marks a remark beside the point ("食堂伙食还不错", "by the way").
var reAside = voc.re("aside")

// reClause splits a text into clauses.
var reClause = voc.re("clause")

// reActivity: a clause that says what is done or offered.
var reActivity = voc.re("activity")

type pattern = *pat

var inHouse = voc.re("in_house")

func (s *state) has(p pattern) bool { return p.MatchString(s.text) }

// scopeRule: section 一 and the exclusion lists name activities that are not service outsourcing at all.
func (s *state) scopeRule() {
	if s.code == decision.OUT {
		return
	}
	if c, ok := s.scopeMatch(); ok {
		s.check(decision.Check{Rule: "scope", Status: "out", From: s.code, To: decision.OUT, Ref: c.Refs[0], Detail: c.Name})
		s.cite(c.Refs...)
		s.code = decision.OUT
		s.conf = 0.85
		s.fixed = true
		s.reason = msg("out_scope", s.lang, pick2(s.lang, c.Name, c.NameEN))
	}
}

// scopeMatch returns the first scope clause the description affirms (not negated, not an aside) and does
// not describe a counted service around.
func (s *state) scopeMatch() (scopeClause, bool) {
	for _, c := range scopeClauses {
		if affirmed(c.When, s.text) && (c.Unless == nil || !c.Unless.MatchString(focus(s.text))) {
			return c, true
		}
	}
	return scopeClause{}, false
}

// ---- section 三: mixed and product-sale contracts ----------------------------------------------

var (
	reAmount    = voc.re("amount")
	reEssence   = voc.re("essence")
	reBuildSys  = voc.re("build_sys")
	reFreeHW    = voc.re("free_h_w")
	reSale      = voc.re("sale")
	reWithSvc   = voc.re("with_svc")
	reSeparate  = voc.re("separate")
	reTwoThings = voc.re("two_things")
)

// contractRules applies section 三 of the guidance.
func (s *state) contractRules() {
	if s.pricedItems() {
		return
	}
	// Rule 5: a product-sale contract counts only its separable service; an inseparable one is not counted.
	if reSale.MatchString(s.text) && reWithSvc.MatchString(s.text) && !reFreeHW.MatchString(s.text) {
		if !reSeparate.MatchString(s.text) {
			s.check(decision.Check{Rule: "contract.product_sale", Status: "out", From: s.code, To: decision.OUT, Ref: "rule.5.step2.3",
				Detail: "a product-sale contract whose service value is not separated is not counted"})
			s.cite("rule.5.step2.3", "rule.5.step1.2")
			s.code, s.conf, s.fixed = decision.OUT, 0.7, true
			return
		}
		s.check(decision.Check{Rule: "contract.product_sale", Status: "ok", Ref: "rule.5.step2.2", Detail: "only the separately priced service counts"})
		s.cite("rule.5.step2.2")
	}
	// Rule 3: free hardware given with a professional service: the whole contract is a service contract.
	if reFreeHW.MatchString(s.text) {
		s.check(decision.Check{Rule: "contract.free_hardware", Status: "ok", Ref: "rule.3.2", Detail: "the whole contract is a service contract"})
		s.cite("rule.3.2")
	}
	// Rule 2: the essence of the service decides. Running a business process for the client on one's own
	// system is BPO; building the system is ITO.
	if reEssence.MatchString(s.text) && !reBuildSys.MatchString(s.text) && strings.HasPrefix(s.code, "I") {
		if b := s.bestOf("B"); b != "" {
			s.check(decision.Check{Rule: "contract.essence", Status: "redirected", From: s.code, To: b, Ref: "rule.2.2",
				Detail: "a business process run for the client on the provider's system is BPO"})
			s.cite("rule.2.1", "rule.2.2")
			s.code = b
		}
	}
	// Rule 2, the other way: building a system for a business function is ITO, whatever the function
	// (B11, B12, B23 and B21 exclude the development of their systems).
	if reBuildSys.MatchString(s.text) && !reEssence.MatchString(s.text) && (strings.HasPrefix(s.code, "B") || strings.HasPrefix(s.code, "K1")) {
		to := "I11" // 软件研发, unless a more specific ITO class is a strong candidate
		if b := s.bestOf("I"); b != "" && s.score(b) >= 0.5 {
			to = b
		}
		s.check(decision.Check{Rule: "contract.essence", Status: "redirected", From: s.code, To: to, Ref: "rule.2.2",
			Detail: "building an information system is ITO, whatever business it serves"})
		if p, ok := s.looseExclusion(s.code); ok {
			s.cite(p.Ref)
		}
		s.cite("rule.2.2")
		s.code = to
	}
	if reEssence.MatchString(s.text) && strings.HasPrefix(s.code, "B") {
		s.cite("rule.2.2")
	}
	// Rule 4: a contract spanning BPO and KPO is classified as KPO.
	if strings.HasPrefix(s.code, "B") && reTwoThings.MatchString(s.text) {
		if k := s.bestOf("K"); k != "" && s.score(k) >= bpoKpoScore {
			s.check(decision.Check{Rule: "contract.bpo_kpo", Status: "redirected", From: s.code, To: k, Ref: "rule.4.2",
				Detail: "a contract spanning BPO and KPO goes to KPO"})
			s.cite("rule.4.2")
			s.code = k
		}
	}
}

// bpoKpoScore is the support (relative to the best) a KPO candidate needs for rule 4 to apply.
const bpoKpoScore = 0.6

// bestOf is the best retrieved candidate whose code starts with letter.
func (s *state) bestOf(letter string) string {
	for _, c := range s.res.Categories {
		if strings.HasPrefix(c.Code, letter) {
			return c.Code
		}
	}
	return ""
}

func (s *state) score(code string) float64 {
	for _, c := range s.res.Categories {
		if c.Code == code {
			return c.Score
		}
	}
	return 0
}

// ItemSearcher classifies one item of a priced contract (set by the Engine).
type itemClassifier func(text string) (string, float64)

// pricedItems implements rule 1: a contract that prices each service is split per item; the Decision lists
// each item's code in Checks and takes the largest item's code.
func (s *state) pricedItems() bool {
	if s.items == nil {
		return false
	}
	type item struct {
		text   string
		amount float64
		code   string
	}
	var items []item
	for _, part := range splitItems(s.text) {
		m := reAmount.FindStringSubmatch(part)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			continue
		}
		if f, ok := voc.clauses.Units[strings.ToLower(m[2])]; ok {
			v *= f
		}
		desc := strings.TrimSpace(reAmount.ReplaceAllString(part, " "))
		if !hasLetters(desc) {
			continue
		}
		items = append(items, item{text: desc, amount: v})
	}
	if len(items) < 2 {
		return false
	}
	if len(items) > maxItems {
		items = items[:maxItems] // a contract is not a list of thousands of priced services
	}
	for i := range items {
		if reSale.MatchString(items[i].text) && !reWithSvc.MatchString(items[i].text) {
			items[i].code = decision.OUT // the product itself is not a service
			continue
		}
		items[i].code, _ = s.items(items[i].text)
	}
	sort.SliceStable(items, func(a, b int) bool { return items[a].amount > items[b].amount })
	counted := 0
	for _, it := range items {
		if it.code == "" {
			continue
		}
		counted++
		s.check(decision.Check{Rule: "contract.priced", Status: "split", To: it.code, Ref: "rule.1",
			Detail: fmt.Sprintf("%s: %g", clip(it.text, 60), it.amount)})
	}
	if counted < 2 {
		s.checks = s.checks[:len(s.checks)-counted]
		return false
	}
	for _, it := range items {
		if it.code != "" && it.code != decision.OUT {
			s.code = it.code
			break
		}
	}
	s.cite("rule.1")
	return true
}

// maxItems bounds the priced items classified one by one.
const maxItems = 20

var reItemSep = voc.re("item_sep")

func splitItems(text string) []string {
	var out []string
	for _, p := range reItemSep.Split(text, -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
