package classify

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/retrieval"
)

// state is one classification as it passes through the rule layer.
type state struct {
	g      *corpus.Guidance
	text   string
	norm   string          // normalised text plus lexicon expansions, for pattern and clause matching
	grams  map[string]bool // bigrams of norm
	res    retrieval.Result
	lang   string
	code   string
	conf   float64
	reason string
	checks []decision.Check
	cites  []string
	usage  *decision.Usage
	// question is set when the engine needs one more fact.
	question string
	fixed    bool // a scope or contract rule decided; later rules only add citations
	items    itemClassifier
}

func newState(g *corpus.Guidance, text string, res retrieval.Result) *state {
	norm := retrieval.Normalize(text)
	if r := []rune(norm); len(r) > retrieval.MaxQueryRunes {
		norm = string(r[:retrieval.MaxQueryRunes])
	}
	full := norm + " " + strings.Join(res.Expanded, " ")
	return &state{g: g, text: text, norm: full, grams: bigrams(full), res: res}
}

func (s *state) check(c decision.Check) { s.checks = append(s.checks, c) }

func (s *state) cite(refs ...string) {
	for _, r := range refs {
		if _, ok := s.g.Passage(r); !ok {
			continue
		}
		dup := false
		for _, c := range s.cites {
			dup = dup || c == r
		}
		if !dup {
			s.cites = append(s.cites, r)
		}
	}
}

// offlineSuggestion takes the retrieval's best category.
func (s *state) offlineSuggestion() {
	cats := s.res.Categories
	if len(cats) == 0 {
		s.code = ""
		s.conf = 0
		return
	}
	s.code = cats[0].Code
	s.conf = calibrate(cats)
	// An exclusion of another class that sends here is part of the reason: report and cite it.
	if len(cats[0].Hits) == 0 {
		return
	}
	top := cats[0].Hits[0].Score
	for _, h := range cats[0].Hits {
		if h.Kind == corpus.KindExclude && h.Code != s.code && h.Score >= 0.5*top {
			if cov, n := s.coverage(subject(s.passageText(h.Ref))); cov >= 0.25 && n >= 2 {
				if follow, ok := contradictions[h.Ref]; ok && cov >= 0.5 {
					s.code = follow.code
					s.cite(follow.ref)
				}
				s.check(decision.Check{Rule: "exclusion", Status: "redirected", From: h.Code, To: s.code, Ref: h.Ref})
				s.cite(h.Ref)
				return
			}
		}
	}
}

func (s *state) passageText(ref string) string {
	p, _ := s.g.Passage(ref)
	return p.Text
}

// applyRules runs the rule layer in order: scope, section 三 contracts, exclusions, clarification,
// evidence and citations.
func (s *state) applyRules() {
	s.scopeRule()
	if !s.fixed {
		s.contractRules()
	}
	if !s.fixed {
		s.repairRule()
	}
	if !s.fixed {
		s.specificRule()
	}
	if !s.fixed {
		s.exclusionRule()
	}
	if !s.fixed {
		s.clarifyRule()
	}
	s.citeDeciding()
}

// ---- rule 1: validity (LLM suggestions) -------------------------------------------------------

func (s *state) llmSuggestion(sug Suggestion) {
	code := corpus.NormCode(sug.Code)
	offline := ""
	if len(s.res.Categories) > 0 {
		offline = s.res.Categories[0].Code
	}
	c, ok := s.g.Class(code)
	switch {
	case code == decision.OUT:
		s.code = code
	case ok && c.Level == corpus.Sub:
		s.code = code
	default:
		s.check(decision.Check{Rule: "validity", Status: "rejected", From: sug.Code, To: offline,
			Detail: "the LLM's code is not one of the 45 sub-classes or OUT; the offline suggestion replaces it"})
		s.offlineSuggestion()
		return
	}
	s.reason = sug.Reason
	s.conf = calibrate(s.res.Categories)
	if sug.HasConf {
		s.conf = math.Min(sug.Confidence, 0.5+0.5*s.conf)
	}
	// Rule 5, evidence: an LLM code that retrieval does not support, against a strong offline alternative.
	if s.code != decision.OUT && offline != "" && offline != s.code {
		supported := false
		for _, cat := range s.res.Categories {
			if cat.Code == s.code && cat.Score >= 0.3 {
				supported = true
			}
		}
		for i, h := range s.res.Passages { // its own definition or typical business is among the best hits
			if i < 10 && h.Code == s.code && (h.Kind == corpus.KindDefinition || h.Kind == corpus.KindTypical) &&
				h.Score >= 0.5*s.res.Passages[0].Score {
				supported = true
			}
		}
		if _, excluded := s.matchedExclusion(s.code); excluded {
			supported = true // the exclusion rule moves it, citing the clause
		}
		if !supported && calibrate(s.res.Categories) >= 0.6 {
			// The LLM's code has no support in the guidance and the offline engine has a strong answer:
			// the supported answer stands, flagged, with the disagreement showing in a low confidence.
			s.check(decision.Check{Rule: "evidence", Status: "flagged", From: s.code, To: offline,
				Detail: "no retrieved passage supports the LLM's code while the offline engine has a strong alternative; the offline code is kept"})
			s.code = offline
			s.reason = ""
			s.conf = math.Min(s.conf, 0.35)
		}
	}
	// Rule 6: LLM citations must be passages of the guidance.
	for _, c := range sug.Citations {
		if p, ok := s.g.Passage(strings.TrimSpace(c)); ok {
			s.cite(p.Ref)
			continue
		}
		if p, ok := s.g.FindQuote(c); ok && s.g.Verbatim(strings.ReplaceAll(c, "*", "")) {
			s.cite(p.Ref)
			continue
		}
		s.check(decision.Check{Rule: "citation", Status: "dropped", Detail: "not a passage of the guidance: " + clip(c, 80)})
	}
}

// ---- rule 2: exclusions -------------------------------------------------------------------------

// exclusionRule follows an exclusion clause of the suggested sub-class or its middle class that the
// description matches: to its target, or OUT / lower confidence when it sends nowhere.
func (s *state) exclusionRule() {
	if s.code == "" || s.code == decision.OUT {
		return
	}
	for hop := 0; hop < 3; hop++ {
		p, ok := s.matchedExclusion(s.code)
		if !ok {
			return
		}
		to := s.resolveTargets(p.Targets)
		if len(p.Targets) == 0 {
			to = s.bestNamed(p)
		}
		if follow, ok := contradictions[p.Ref]; ok {
			to = follow.code
			s.cite(follow.ref)
		}
		switch {
		case to != "" && to != s.code:
			s.check(decision.Check{Rule: "exclusion", Status: "redirected", From: s.code, To: to, Ref: p.Ref})
			s.cite(p.Ref)
			s.code = to
			continue
		case len(p.Targets) == 0 && selfService(p.Text):
			// "企业自主开展的…" and the like: in-house work is not outsourcing when the description says so.
			if s.has(inHouse) {
				s.check(decision.Check{Rule: "exclusion", Status: "out", From: s.code, To: decision.OUT, Ref: p.Ref})
				s.cite(p.Ref, "scope.feature.3.2")
				s.code = decision.OUT
				s.fixed = true
				return
			}
			return
		case len(p.Targets) == 0:
			s.check(decision.Check{Rule: "exclusion", Status: "lowered", From: s.code, Ref: p.Ref,
				Detail: "the description matches a clause this class excludes"})
			s.cite(p.Ref)
			s.conf = math.Min(s.conf, 0.4)
		}
		return
	}
}

// matchedExclusion returns the exclusion of code (or of its middle class) that the description matches
// best; a clause that redirects wins over one that sends nowhere. A clause listing several services
// ("金融领域的呼叫中心服务、数据处理服务、…") matches when one of them does.
func (s *state) matchedExclusion(code string) (corpus.Passage, bool) {
	var best corpus.Passage
	bestCov, found := 0.0, false
	c, _ := s.g.Class(code)
	for _, owner := range []string{code, c.Parent} {
		for _, p := range s.g.PassagesOf(owner) {
			if p.Kind != corpus.KindExclude {
				continue
			}
			cov, n := s.clauseCoverage(subject(p.Text))
			need := 0.6
			if s.retrieved(p.Ref) {
				need = 0.45
			}
			if cov < need || n < 2 || s.explains(p.Text) <= s.ownCoverage(code) {
				continue // a typical business of the class explains the description better than the clause
			}
			if len(p.Targets) > 0 || s.bestNamed(p) != "" {
				cov += 1 // a clause that sends somewhere beats one that does not
			}
			if cov > bestCov {
				best, bestCov, found = p, cov, true
			}
		}
	}
	return best, found
}

// ownCoverage is how much of the description the class's best typical business explains.
func (s *state) ownCoverage(code string) float64 {
	best := 0.0
	for _, p := range s.g.PassagesOf(code) {
		if p.Kind == corpus.KindTypical {
			best = math.Max(best, s.explains(p.Title+p.Text))
		}
	}
	return best
}

// explains is the share of the description's own bigrams (without lexicon expansions) found in text.
func (s *state) explains(text string) float64 {
	q := bigrams(retrieval.Normalize(s.text))
	p := bigrams(text)
	total, hit := 0, 0
	for g := range q {
		if stopGrams[g] {
			continue
		}
		total++
		if p[g] {
			hit++
		}
	}
	if total == 0 {
		return 0
	}
	return float64(hit) / float64(total)
}

// clauseCoverage is the coverage of a clause, or of its best item when it lists several services
// ("金融领域的呼叫中心服务、数据处理服务、…", "基于电子商务渠道的营销推广服务、电子商务代运营服务").
func (s *state) clauseCoverage(clause string) (float64, int) {
	cov, n := s.coverage(clause)
	items := strings.Split(strings.TrimRight(clause, "等。"), "、")
	if len(items) < 2 {
		return cov, n
	}
	for _, it := range items {
		if !strings.HasSuffix(it, "服务") {
			return cov, n // a list of objects ("呼叫中心软件、系统、平台的研发"), not of services
		}
	}
	prefix := ""
	if i := strings.Index(items[0], "的"); i > 0 {
		prefix = items[0][:i+len("的")] // "金融领域的" qualifies every item
	}
	for i, it := range items {
		cands := []string{it}
		if i > 0 && prefix != "" {
			cands = append(cands, prefix+it)
		}
		for _, x := range cands {
			if c, m := s.coverage(x); c > cov && m >= 2 {
				cov, n = c, m
			}
		}
	}
	return cov, n
}

// namedClasses are the other sub-classes a listing exclusion names without a code:
// "金融领域的呼叫中心服务、数据处理服务…" (B24) names B23 and B21.
func (s *state) namedClasses(p corpus.Passage) []string {
	if !strings.Contains(p.Text, "、") {
		return nil
	}
	var out []string
	for _, c := range s.g.Subclasses() {
		core := strings.TrimSuffix(strings.TrimSuffix(c.Name, "服务"), "管理")
		if c.Code != p.Code && len([]rune(core)) >= 3 && strings.Contains(p.Text, core) {
			out = append(out, c.Code)
		}
	}
	return out
}

// bestNamed picks, among the classes a listing exclusion names, the one the description matches best.
func (s *state) bestNamed(p corpus.Passage) string {
	best, bestCov := "", 0.0
	for _, code := range s.namedClasses(p) {
		c, _ := s.g.Class(code)
		if cov, n := s.coverage(c.Name); n >= 2 && cov > bestCov {
			best, bestCov = code, cov
		}
	}
	return best
}

// looseExclusion returns an ITO-redirecting exclusion of code whose subject the description half-matches.
func (s *state) looseExclusion(code string) (corpus.Passage, bool) {
	for _, p := range s.g.PassagesOf(code) {
		if p.Kind != corpus.KindExclude || len(p.Targets) == 0 {
			continue
		}
		if cov, n := s.coverage(subject(p.Text)); cov >= 0.3 && n >= 2 {
			return p, true
		}
	}
	return corpus.Passage{}, false
}

// retrieved reports whether a passage is among the strongest retrieved hits.
func (s *state) retrieved(ref string) bool {
	if len(s.res.Passages) == 0 {
		return false
	}
	top := s.res.Passages[0].Score
	for i, h := range s.res.Passages {
		if i >= 8 {
			break
		}
		if h.Ref == ref && h.Score >= 0.5*top {
			return true
		}
	}
	return false
}

// contradictions records where the guidance contradicts itself and which clause fenlei follows:
// K31 sends 医疗诊断服务 to BPO, while K13 lists 医学诊断服务 by independent laboratories as its typical
// business. The more specific K13 clause is followed, and both are cited.
var contradictions = map[string]struct{ code, ref string }{
	"K31.exclude.1": {code: "K13", ref: "K13.typical.1"},
}

// resolveTargets picks one sub-class for an exclusion's targets: the code itself, or for a major class or
// several codes the best retrieved candidate among them (a major's first development class otherwise).
func (s *state) resolveTargets(targets []string) string {
	if len(targets) == 0 {
		return ""
	}
	if len(targets) == 1 {
		if c, ok := s.g.Class(targets[0]); ok && c.Level == corpus.Sub {
			return c.Code
		}
	}
	in := func(code string) bool {
		for _, t := range targets {
			if t == code || strings.HasPrefix(code, t[:1]) && len(t) == 3 && t[1] > '9' {
				return true
			}
		}
		return false
	}
	for _, cat := range s.res.Categories {
		if in(cat.Code) && cat.Code != s.code {
			return cat.Code
		}
	}
	// No candidate of the target class was retrieved: its first sub-class stands for it.
	for _, t := range targets {
		for _, c := range s.g.Subclasses() {
			if c.Code == t || (len(t) == 3 && t[1] > '9' && c.Code[:1] == t[:1]) {
				return c.Code
			}
		}
	}
	return ""
}

// subject is the part of an exclusion before its redirect ("软件产品测试服务，应纳入 I11 …" → "软件产品测试服务").
func subject(text string) string {
	for _, sep := range []string{"，应纳入", "应纳入", "，纳入", "纳入相应"} {
		if i := strings.Index(text, sep); i > 0 {
			return text[:i]
		}
	}
	return text
}

func selfService(text string) bool {
	for _, w := range []string{"自主", "自身", "为自己", "内部", "组织内部"} {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}

// ---- B3: repair and maintenance ----------------------------------------------------------------

var (
	reRepair        = re(`维修|维护保养|保养|维保|(大|中|小|检|级|翻)修|修理|改造服务|repair|overhaul|maintenance|mro\b`)
	reMedical       = re(`医|诊断|病|b超|ct\b|核磁|x光|x射线|超声|透析|呼吸机|监护仪|medical|hospital|clinic|mri|ultrasound|x-ray|diagnos|patient`)
	reNotRepairWork = re(`开发|研发|设计|搭建|检测|测试|软件|develop|design|software|testing`)
)

// repairDomains are the equipment of B31–B34's definitions.
var repairDomains = map[string]*regexp.Regexp{
	"B31": anchors["B31"],
	"B32": anchors["B32"],
	"B33": reMedical,
	"B34": re(`智能制造|数控|机器人|自动化|生产线|产线|智能装备|plc|cnc|robot|automation|production line|smart manufactur`),
}

// repairRule: B3 covers the repair and maintenance of specialised equipment. A description that is about
// repairing equipment goes to the best B3 candidate; B33 needs medical equipment, otherwise the precise
// equipment falls to B39 ("其他未列明精密设备").
func (s *state) repairRule() {
	if !reRepair.MatchString(s.text) || reNotRepairWork.MatchString(s.text) {
		return
	}
	// The equipment named decides among B31–B34 when exactly one of their domains matches.
	var named []string
	for _, c := range []string{"B31", "B32", "B33", "B34"} {
		if repairDomains[c].MatchString(s.norm) {
			named = append(named, c)
		}
	}
	if len(named) == 1 && s.code != named[0] {
		s.check(decision.Check{Rule: "scope.b3", Status: "redirected", From: s.code, To: named[0], Ref: named[0] + ".def",
			Detail: "the equipment repaired belongs to this class's definition"})
		s.cite(named[0] + ".def")
		s.code = named[0]
		return
	}
	if !strings.HasPrefix(s.code, "B3") {
		if b3 := s.bestOf("B3"); b3 != "" {
			s.check(decision.Check{Rule: "scope.b3", Status: "redirected", From: s.code, To: b3, Ref: "B3.def",
				Detail: "the service is the repair and maintenance of equipment"})
			s.cite("B3.def")
			s.code = b3
		}
	}
	if s.code == "B33" && !reMedical.MatchString(s.text) {
		s.check(decision.Check{Rule: "scope.b3", Status: "redirected", From: "B33", To: "B39", Ref: "B39.def",
			Detail: "B33 covers medical equipment; other precise equipment is B39"})
		s.cite("B33.def", "B39.def")
		s.code = "B39"
	}
}

// ---- domain anchors and catch-alls --------------------------------------------------------------

// anchors are the domains that some sub-classes' definitions are confined to: 金融机构 for B24, 医疗设备 for
// B33, 交通工具 for B31 and so on. A class confined to a domain cannot win on generic words alone ("前台",
// "后台", "资料整理") when the description names nothing of its domain.
var anchors = map[string]*regexp.Regexp{
	"B24": re(`金融|银行|保险|证券|基金|信托|信用卡|银行卡|清算|理赔|定损|支付|信贷|贷款|bank|insur|financ|card|clearing|claims|securities|payment|loan|credit`),
	"B33": reMedical,
	"B31": re(`船|舰|海洋|海工|钻井平台|飞机|航空|航天|起落架|发动机|高铁|动车|列车|机车|地铁|轨道|汽车|车辆|车队|交通|ship|vessel|marine|offshore|aircraft|aviation|airline|engine|rail|train|metro|vehicle|fleet|car|truck|bus`),
	"B32": re(`挖掘|铲|起重|吊车|叉车|工业车辆|压实|压路|桩|混凝土|钢筋|凿岩|气动|电梯|扶梯|工程机械|盾构|excavat|crane|forklift|loader|bulldozer|concrete|elevator|escalator|construction machinery|drill`),
	"I36": re(`地理|地图|测绘|遥感|导航|定位|gis|北斗|gps|卫星|航测|测量|geo|map|survey|remote sensing|satellite|navigation|lidar`),
	"I34": re(`区块链|链上|分布式账本|共识|智能合约|溯源|数字藏品|nft|blockchain|ledger|smart contract|web3|crypto`),
	"K31": re(`药|医|生物|基因|临床|测序|疫苗|抗体|细胞|化合物|器械|中医|cro|drug|pharma|bio|gene|clinical|medical|vaccine|antibod|cell|molecul|genom`),
	"K32": re(`新能源|核电|太阳能|光伏|风电|风能|生物质|储能|电池|智能电网|氢|充电|solar|wind|nuclear|energy|battery|grid|hydrogen|photovoltaic|pv\b`),
	"K33": re(`材料|合金|复合|涂层|高分子|纳米|陶瓷|碳纤维|石墨烯|material|alloy|composite|coating|polymer|nano|ceramic|carbon[- ]fib|graphene`),
}

// specificRule applies the anchors, and lets a catch-all sub-class ("其他…", code ending in 9) yield to a
// specific sibling that the search also supports.
func (s *state) specificRule() {
	if p, ok := anchors[s.code]; ok && !p.MatchString(s.norm) {
		for _, c := range s.res.Categories {
			if c.Code == s.code {
				continue
			}
			if q, ok := anchors[c.Code]; ok && !q.MatchString(s.norm) {
				continue
			}
			s.check(decision.Check{Rule: "domain", Status: "redirected", From: s.code, To: c.Code, Ref: s.code + ".def",
				Detail: "the description names nothing of the domain this class's definition is confined to"})
			s.cite(c.Code + ".def")
			s.code = c.Code
			break
		}
	}
	if strings.HasSuffix(s.code, "9") {
		for _, c := range s.res.Categories {
			if c.Code != s.code && strings.HasPrefix(c.Code, s.code[:2]) && c.Score >= catchAllYield {
				if q, ok := anchors[c.Code]; ok && !q.MatchString(s.norm) {
					continue
				}
				s.check(decision.Check{Rule: "catch-all", Status: "redirected", From: s.code, To: c.Code, Ref: s.code + ".def",
					Detail: "a catch-all class yields to a listed class the description also fits"})
				s.code = c.Code
				break
			}
		}
	}
}

// catchAllYield: the score (relative to the best) a specific sibling needs to take over from a catch-all.
const catchAllYield = 0.6

// ---- clarification ------------------------------------------------------------------------------

// clarifyRule asks one question when the two best candidates are too close to call.
func (s *state) clarifyRule() {
	cats := s.res.Categories
	if s.code == "" {
		s.question = clarifyQuestion(s.g, s.lang, nil)
		return
	}
	if len(cats) < 2 || cats[0].Code != s.code {
		return
	}
	if cats[1].Score >= clarifyRatio && cats[0].Raw < weakRaw {
		a, _ := s.g.Class(cats[0].Code)
		b, _ := s.g.Class(cats[1].Code)
		s.question = clarifyQuestion(s.g, s.lang, []corpus.Class{a, b})
		s.check(decision.Check{Rule: "clarify", Status: "flagged", From: a.Code, To: b.Code,
			Detail: fmt.Sprintf("the two best candidates score %.2f and %.2f", cats[0].Score, cats[1].Score)})
		s.code = ""
	}
}

// Clarification thresholds, tuned on the dev set: ask only when the runner-up is within 3% of the best
// and the evidence is weak overall.
const (
	clarifyRatio = 0.97
	weakRaw      = 6.0
)

func clarifyQuestion(g *corpus.Guidance, lang string, cs []corpus.Class) string {
	if len(cs) < 2 {
		if lang == "en" {
			return "Could you describe the service in more detail: what do you deliver, to which kind of client, and how (developing a system, operating a process for them, consulting, testing, repairing equipment…)?"
		}
		return "能否再具体描述一下这项服务：交付的是什么、为哪类客户提供、以什么方式提供（开发系统、代为运营流程、咨询、检测、设备维修等）？"
	}
	a, b := cs[0], cs[1]
	if lang == "en" {
		return fmt.Sprintf("Is the service closer to %s %s or to %s %s? What exactly is delivered to the client, and how?",
			a.Code, nameEN(a), b.Code, nameEN(b))
	}
	return fmt.Sprintf("这项服务更接近「%s %s」还是「%s %s」？请说明交付给客户的具体是什么、以什么方式提供。", a.Code, a.Name, b.Code, b.Name)
}

func nameEN(c corpus.Class) string {
	if c.NameEN != "" {
		return c.NameEN
	}
	return c.Name
}

// ---- rule 6: citations --------------------------------------------------------------------------

// citeDeciding cites the chosen class's deciding passage: its best retrieved own passage, else its
// definition.
func (s *state) citeDeciding() {
	if s.code == "" || s.code == decision.OUT {
		return
	}
	// A user who names another class ("是I23还是B22？") gets the clause that separates the two.
	for _, other := range codesIn(s.text) {
		for _, p := range s.g.PassagesOf(other) {
			if p.Kind != corpus.KindExclude {
				continue
			}
			for _, t := range p.Targets {
				if t == s.code || (len(t) == 3 && t[1] > '9' && strings.HasPrefix(s.code, t[:1])) {
					s.cite(p.Ref)
				}
			}
		}
	}
	for _, h := range s.res.Passages {
		if h.Code == s.code && (h.Kind == corpus.KindDefinition || h.Kind == corpus.KindTypical) {
			s.cites = append([]string{h.Ref}, without(s.cites, h.Ref)...)
			s.reason = s.reasonFor(h.Ref)
			return
		}
	}
	s.cites = append([]string{s.code + ".def"}, without(s.cites, s.code+".def")...)
	s.reason = s.reasonFor(s.code + ".def")
}

func (s *state) reasonFor(ref string) string {
	if s.reason != "" {
		return s.reason
	}
	return s.ownReason(ref) + s.movedReason()
}

// movedReason says which exclusion or rule moved the answer, if any.
func (s *state) movedReason() string {
	for _, c := range s.checks {
		if c.Status != "redirected" || c.Ref == "" {
			continue
		}
		p, _ := s.g.Passage(c.Ref)
		if follow, ok := contradictions[c.Ref]; ok && c.To == follow.code {
			if s.lang == "en" {
				return fmt.Sprintf(" The guidance contradicts itself here: %s sends this to BPO (“%s”), while %s lists it as a typical business (%s); fenlei follows the more specific %s clause.", c.From, p.Text, follow.code, follow.ref, follow.code)
			}
			return fmt.Sprintf("指引在此前后不一：%s 的不包括条款「%s」将其归入 BPO，而 %s 将其列为典型业务（%s）；fenlei 依从更具体的 %s 条款。", c.From, p.Text, follow.code, follow.ref, follow.code)
		}
		if s.lang == "en" {
			return fmt.Sprintf(" %s does not apply: the guidance says “%s” (%s).", c.From, p.Text, c.Ref)
		}
		return fmt.Sprintf("不归 %s：指引规定「%s」（%s）。", c.From, p.Text, c.Ref)
	}
	return ""
}

func (s *state) ownReason(ref string) string {
	p, _ := s.g.Passage(ref)
	c, _ := s.g.Class(s.code)
	if s.lang == "en" {
		what := "its definition"
		if p.Kind == corpus.KindTypical {
			what = "its typical business “" + p.Title + "”"
		}
		return fmt.Sprintf("The description matches %s %s: %s.", c.Code, nameEN(c), what)
	}
	what := "定义"
	if p.Kind == corpus.KindTypical {
		what = "典型业务「" + p.Title + "」"
	}
	return fmt.Sprintf("描述与 %s %s 的%s相符。", c.Code, c.Name, what)
}

func without(xs []string, x string) []string {
	var out []string
	for _, v := range xs {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

// ---- the Decision -------------------------------------------------------------------------------

func (s *state) decision() decision.Decision {
	d := decision.Decision{Code: s.code, Lang: s.lang, Question: s.question, Reason: s.reason, Usage: s.usage,
		Checks: s.checks, Citations: []decision.Citation{}, Candidates: []decision.Candidate{}, Path: []string{}}
	if d.Checks == nil {
		d.Checks = []decision.Check{}
	}
	d.Kind = decision.KindClassification
	switch {
	case s.code == "":
		d.Kind = decision.KindClarify
		if len(s.res.Categories) >= 2 {
			a, b := s.res.Categories[0].Code, s.res.Categories[1].Code
			if a[:2] == b[:2] {
				d.Path = s.g.Path(a[:2])
			} else if a[:1] == b[:1] {
				d.Path = s.g.Path(a[:1] + map[byte]string{'I': "TO", 'B': "PO", 'K': "PO"}[a[0]])
			}
		}
	case s.code == decision.OUT:
		d.Name = "不属于服务外包"
		d.NameEN = "Not service outsourcing"
		d.Path = []string{decision.OUT}
	default:
		c, _ := s.g.Class(s.code)
		d.Name, d.NameEN, d.Path = c.Name, c.NameEN, s.g.Path(s.code)
	}
	d.Confidence = round2(s.conf)
	if s.code == "" {
		d.Confidence = 0
	}
	for i, c := range s.res.Categories {
		if i == 5 {
			break
		}
		cl, _ := s.g.Class(c.Code)
		d.Candidates = append(d.Candidates, decision.Candidate{Code: c.Code, Name: cl.Name, Score: round2(c.Score)})
	}
	if s.code != "" {
		// Candidates are ranked best first: the decided code leads with its confidence, and the others
		// share what is left of the probability in the retrieval's order.
		for i := range d.Candidates {
			if d.Candidates[i].Code == s.code {
				d.Candidates[i].Score = d.Confidence
			} else {
				d.Candidates[i].Score = round2(math.Min(d.Candidates[i].Score*(1-d.Confidence), d.Confidence))
			}
		}
	}
	if s.code != "" && (len(d.Candidates) == 0 || d.Candidates[0].Code != s.code) {
		// The decided code leads the candidates, with the decision's confidence.
		cl, _ := s.g.Class(s.code)
		name := cl.Name
		if s.code == decision.OUT {
			name = d.Name
		}
		var rest []decision.Candidate
		for _, c := range d.Candidates {
			if c.Code != s.code {
				rest = append(rest, c)
			}
		}
		d.Candidates = append([]decision.Candidate{{Code: s.code, Name: name, Score: d.Confidence}}, rest...)
		if len(d.Candidates) > 5 {
			d.Candidates = d.Candidates[:5]
		}
	}
	d.Candidates = withCatchAll(s.g, d.Candidates)
	for _, ref := range s.cites {
		p, _ := s.g.Passage(ref)
		d.Citations = append(d.Citations, decision.Citation{Ref: p.Ref, Section: p.Section, Quote: p.Text, Line: p.Line})
	}
	d.Answer = s.answerText(d)
	return d
}

// withCatchAll adds the catch-all sub-class ("其他…") of a middle class as the third alternative when the
// two best candidates are listed classes of that middle class: what fits the middle class but neither
// listed class is the catch-all's.
func withCatchAll(g *corpus.Guidance, cs []decision.Candidate) []decision.Candidate {
	if len(cs) < 2 || cs[0].Code == decision.OUT || cs[0].Code[:2] != cs[1].Code[:2] {
		return cs
	}
	other, ok := g.Class(cs[0].Code[:2] + "9")
	if !ok {
		return cs
	}
	for _, c := range cs {
		if c.Code == other.Code {
			return cs
		}
	}
	score := cs[1].Score
	if len(cs) > 2 {
		score = cs[2].Score
	}
	out := append(append(append([]decision.Candidate{}, cs[:2]...), decision.Candidate{Code: other.Code, Name: other.Name, Score: score}), cs[2:]...)
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}

func (s *state) answerText(d decision.Decision) string {
	en := s.lang == "en"
	switch {
	case d.Code == "":
		return d.Question
	case d.Code == decision.OUT:
		if en {
			return "This activity is not counted as service outsourcing under the guidance."
		}
		return "根据《中国服务外包统计操作指引》，该活动不纳入服务外包统计。"
	}
	if en {
		return fmt.Sprintf("%s %s (%s). %s", d.Code, d.NameEN, strings.Join(d.Path, " › "), d.Reason)
	}
	return fmt.Sprintf("%s %s（%s）。%s", d.Code, d.Name, strings.Join(d.Path, " › "), d.Reason)
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// ---- matching helpers ---------------------------------------------------------------------------

// stopGrams are bigrams too common in the guidance to show that a clause matches.
var stopGrams = map[string]bool{"服务": true, "相关": true, "活动": true, "提供": true, "进行": true, "以及": true,
	"系列": true, "等服": true, "务，": true, "类别": true, "相应": true, "的服": true, "等。": true}

// bigrams returns the CJK bigrams and Latin words of s.
func bigrams(s string) map[string]bool {
	out := map[string]bool{}
	var run []rune
	flush := func() {
		for i := 0; i+1 < len(run); i++ {
			out[string(run[i:i+2])] = true
		}
		run = run[:0]
	}
	for _, w := range strings.Fields(latinOnly(s)) {
		out[w] = true
	}
	for _, r := range s {
		if r >= 0x3400 && r <= 0x9FFF {
			run = append(run, r)
			continue
		}
		flush()
	}
	flush()
	return out
}

func latinOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return r
		}
		return ' '
	}, strings.ToLower(s))
}

// coverage is the share of a clause's content bigrams that occur in the description, and their count.
func (s *state) coverage(clause string) (float64, int) {
	gs := bigrams(clause)
	total, hit := 0, 0
	for g := range gs {
		if stopGrams[g] || len([]rune(g)) < 2 {
			continue
		}
		total++
		if s.grams[g] {
			hit++
		}
	}
	if total == 0 {
		return 0, 0
	}
	return float64(hit) / float64(total), hit
}

// calibrate maps the retrieval's evidence (the margin between the two best categories and the strength of
// the best) to a probability of being right: a logistic model fitted by maximum likelihood on the offline
// answers of the dev set that no rule moved (eval/testdata/cases.jsonl; `go test ./eval -run
// TestDevSetGate -v` reports the resulting ECE and the coverage–accuracy curve).
func calibrate(cats []retrieval.Category) float64 {
	if len(cats) == 0 {
		return 0
	}
	margin := 1.0
	if len(cats) > 1 {
		margin = 1 - cats[1].Score
	}
	strength := math.Min(cats[0].Raw/20, 1)
	z := calA + calB*margin + calC*strength
	return 1 / (1 + math.Exp(-z))
}

// Calibration parameters (see calibrate).
var calA, calB, calC = -0.80, 3.24, 2.42

// sortedCodes is used by tests and the guidance answers.
func sortedCodes(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
