package classify

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"fenlei/decision"
)

// A scopeClause is an activity that the guidance puts outside service outsourcing, with the clauses that
// say so. It fires when the description names the activity as what is delivered (When) and does not
// describe a service around it that the guidance does count (Unless: building a system for a property
// company is software development, not property management).
type scopeClause struct {
	Name   string
	When   *regexp.Regexp
	Unless *regexp.Regexp
	Refs   []string
}

// devWork describes building, designing or consulting on something: the deliverable is then that work.
const devWork = `开发|研发|搭建|定制|设计|编写|软件|系统|小程序|平台|规划|方案|咨询|\b(app|apps|develop\w*|build|builds|built|design\w*|software|systems?|platforms?|consult\w*|plan|planning)\b`

var scopeClauses = []scopeClause{
	{Name: "劳务派遣", When: re(`劳务派遣|派遣.{0,4}(员工|工人|人员|劳务|普工|司机|临时工|工)|临时工|派遣工|派.{0,6}(普工|工人)|人力派遣|劳务外包|labou?r dispatch|staffing agenc|dispatch(ed|ing)? (workers|staff|labou?r)|temp(orary)? (staff|workers|labou?r)`),
		Unless: re(`驻场开发|软件|系统|平台|开发|搭建|招聘流程|rpo|recruitment process|software|system|platform|payroll|薪酬|社保`), Refs: []string{"B11.exclude.1", "B11.typical.1.exclude.1"}},
	{Name: "生产车间承包", When: re(`车间承包|承包.{0,10}车间|生产线承包|来料加工|代工生产|\boem (production|manufactur\w*|services?|orders?)|(as|for) an? oem supplier|contract manufactur|委托.{0,8}生产|代为生产|生产一批|加工.{0,4}原材料|原材料.{0,6}(生产|加工)`),
		Unless: re(`设计|研发|develop|design|测试|检测`), Refs: []string{"B11.exclude.1", "rule.5.step1.3"}},
	{Name: "外部审计", When: re(`外部审计|年报审计|年度审计|财务报表审计|法定审计|审计报告|出具.{0,4}审计|(statutory|external|annual|financial[- ]statement) audit|audit (of|the) (annual|financial)|audit opinion`),
		Unless: re(`安全审计|数据安全|信息安全|网络安全|审计软件|审计系统|security audit`), Refs: []string{"scope.feature.3.2", "B12.exclude.2"}},
	{Name: "工程监理", When: re(`工程监理|施工监理|监理服务|建设监理|监理公司|construction supervision|project supervision|site supervision`),
		Unless: re(`安全监理|监理系统|监理软件`), Refs: []string{"scope.feature.3.2"}},
	{Name: "强制检测", When: re(`强制(性)?.{0,4}(检测|检验|认证)|法定检测|法定检验|强检|3c认证|ccc认证|(mandatory|statutory|compulsory|legally required)[a-z ,-]{0,30}(testing|inspection|certification)`),
		Refs: []string{"K13.exclude.1", "scope.feature.3.2"}},
	{Name: "律师服务", When: re(`律师|诉讼|打官司|出庭|代理.{0,4}案件|仲裁代理|lawyer|attorney|litigation|court (case|representation)|represent.{0,20}in court`),
		Unless: re(`合同(起草|审查|审核|管理|模板)|合规|法律研究|案例研究|文书处理|法律流程|数据库|系统|软件|contract (drafting|management|review)|compliance|legal research|e-?discovery|document review`), Refs: []string{"B13.exclude.1"}},
	{Name: "物业保安保洁食堂", When: re(`物业管理|物业服务|保安|安保|停车场管理|保洁|清洁|打扫|食堂|餐饮|团餐|绿化|园林养护|property management|security guards?|janitor|\bclean(s|ing)?\b|canteen|cafeteria|catering|gardening`),
		Unless: re(`电梯|扶梯|elevator|escalator|` + devWork + `|数据|data`), Refs: []string{"B19.exclude.1"}},
	{Name: "展位租赁", When: re(`展位(租赁|出租)|租.{0,4}展位|booth rental|rent(ing)? (an? )?(exhibition )?booth`), Refs: []string{"B19.exclude.2"}},
	{Name: "仓储运输货代", When: re(`仓储|(管|代管|租赁|出租|运营)仓库|仓库(管理|运营|租赁|出租|代管)|运输|货运|货代|货物代理|快递|配送|拉货|送货|搬运|物流服务|freight|forward(ing|er)|warehousing|warehouse (space|storage|operations|management)|trucking|transport(ation)? (of|service)|shipping goods|courier|deliver(y|ing) (goods|parcels)`),
		Unless: re(`方案|设计|规划|优化|咨询|系统|软件|供应链(方案|设计|规划|优化)|报关|维修|保养|repair|maint|\b(plan\w*|design\w*|consult\w*|optimi[sz]\w*|software|systems?)\b|supply chain (design|planning)`), Refs: []string{"B25.exclude.1"}},
	{Name: "一次性采购", When: re(`代购|代(客户)?采购.{0,6}(服务器|电脑|设备|硬件|办公用品)|一次性(的)?(采购|购买)|帮.{0,8}(买|采购|购买)|替.{0,6}(买|采购)|(buy|purchas)(e|es|ing)? .{0,30}(for|on behalf of)|one-?off purchas`),
		Unless: re(`规划|方案|供应商(选择|筛选|管理)|议价|谈判|长期|持续|采购流程|sourcing strateg|supplier selection|negotiat|procurement (plan|process)`), Refs: []string{"B26.exclude.1"}},
	{Name: "节日礼品代购", When: re(`代购年货|节日礼品|年货|festival gifts?`), Unless: re(`福利管理|福利平台|benefits? (management|administration)`), Refs: []string{"B11.typical.3.exclude.1"}},
	{Name: "代垫工资", When: re(`代垫|垫付.{0,6}(工资|薪酬|社保|差旅)|advance.{0,20}(salar|wages|payroll)`), Refs: []string{"B11.exclude.4"}},
	{Name: "消费品维修", When: re(`(手机|电脑|笔记本|家电|电视|冰箱|洗衣机|空调|平板|ipad|iphone|phone|laptop|tv|appliance|washing machine|fridge|refrigerator|microwave|air[- ]condition\w*|耳机|相机)s?.{0,10}(维修|修理|换屏|修|repair|fix)|(维修|修理|repair(ing)?|fix(ing)?).{0,10}(手机|电脑|笔记本|家电|电视|冰箱|洗衣机|空调|phone|laptop|appliance|washing machine|fridge|refrigerator|consumer)|(repair|fix)\w* .{0,40}for (households|homeowners|families|consumers|residents)`),
		Unless: re(`医疗|飞机|船舶|高铁|工程机械|智能制造|数控|工业机器人|机床|生产线|medical|aircraft|ship|industrial|cnc|机房|服务器|server|数据中心`), Refs: []string{"B3.def.exclude.1"}},
	{Name: "私家车维修", When: re(`私家车|车主.{0,6}(修|保养)|4s店|汽修店|private (car|vehicle) owners?`), Unless: re(`车队|fleet|飞机|船舶|高铁|动车`), Refs: []string{"B3.def.exclude.1", "rule.5.step1.2"}},
	{Name: "版权代理销售", When: re(`(代理|销售|出售|卖).{0,10}版权|版权.{0,6}(代理销售|销售|出售)|sell(ing)? .{0,20}(rights|licen[cs]es) to`), Unless: re(`知识产权(管理|战略|商业化)|专利|商标|版权登记`), Refs: []string{"K23.exclude.2"}},
	{Name: "设计生产一体", When: re(`设计(并|和|与|及)?(生产|制造)|(生产|制造).{0,4}一体|odm|design and manufactur|design(s|ed)? and (build|produce|make)s? .{0,20}(units|products)`), Unless: re(`生产线设计|产线设计|工艺|production line`), Refs: []string{"K21.exclude.3", "rule.5.step1.3"}},
	{Name: "法定年检", When: re(`年检|法定.{0,4}(检验|检测|商检)|定期检验|商检|安全技术检验|特种设备检验`), Unless: re(`非强制|非法定|不是(国家)?强制|自愿`), Refs: []string{"K13.exclude.1"}},
	{Name: "工程施工", When: re(`工程施工|施工队|施工总包|盖楼|建房|土建|装修工程|装修施工|铺设管道|construction work|building contractor|construct(ing)? (the|a) (building|road|bridge|house)`),
		Unless: re(`设计|规划|咨询|可行性|勘察|造价|design|planning|consult|feasibility`), Refs: []string{"K22.exclude.1", "K22.def.exclude.1"}},
	{Name: "自有软件产品销售", When: re(`(自己|自有|自研|自主研发|我们)(的)?.{0,6}(软件产品|标准化软件|通用软件|软件|app|产品|游戏).{0,12}(卖给|销售给|出售|售卖|对外销售|上架|卖)|(卖|销售|出售|售卖|发行).{0,6}(自己|自有|自研|自家)(开发|研发|发行)?的?.{0,8}(软件|产品|游戏|app)|通用(财务|管理)?软件.{0,10}(卖|销售|按套)|按套(卖|销售)|面向市场.{0,8}(软件|产品)|(sell|selling|license|licensing) (our|its) own .{0,20}(software|product|app)|off-the-shelf`),
		Unless: re(`定制|为客户开发|根据客户需求|customi[sz]ed|bespoke|按需|订阅|saas|云服务`), Refs: []string{"I11.exclude.1"}},
	{Name: "销售给个人", When: re(`卖.{0,4}给(个人|消费者|老百姓|散户|居民)|(给|为)(个人|家庭|住户|居民|业主)(客户)?(做|提供|装修|设计)|\bfor (households|homeowners|families|private individuals)\b|(向|对|给)(个人|消费者|个人消费者|散户|居民).{0,8}(销售|出售|售卖|卖)|(个人|居民|家庭)(学员|用户|客户)?.{0,10}(买|购买|上门)|给(附近)?居民|面向(个人|消费者|c端)|个人用户|c端用户|to (individual|private) (customers|consumers|buyers)|to consumers|b2c|sell(ing)? .{0,30}to (the public|individuals)`),
		Unless: re(`交易平台|众包|撮合`), Refs: []string{"rule.5.step1.2", "rule.5.step1.3"}},
	{Name: "组织内部自我服务", When: re(`(给|为)(我们)?(自己|本公司|本企业|本集团)(的)?(公司|企业|产品)?(做|开发|搭建|使用|用|维护|研发)|(我们|我司|本公司|公司|集团|企业|药企|厂)(的)?(信息部|it部门|研发中心|内部)?.{0,2}(自己|自主|自身)(的)?(立项|研发|开发|做|用|维护)|自己的(研发中心|研发部门|it部门|信息部|团队)|内部自用|自家|本公司的|for (our|its) own (use|company|internal)|in-house (team|department|use)|internal use only`),
		Unless: re(`客户|委托|外包给|为客户|甲方|乙方|client|customer|outsourc`), Refs: []string{"scope.feature.3.2", "I21.exclude.1"}},
}

// reNegation ends a text that negates what follows: "（不包括展位出租）", "非强制", "not a statutory audit".
var reNegation = re(`((不|非|无|未|没有|不含|不包括|不是|并非|不属于|不出|不做|除)[^，。；,;、不仅只]{0,5}|\b(excluding|without|not|no|non-?)\s*(an?|the)?\s*)$`)

// affirmed reports whether p matches text somewhere that is not negated just before, outside a remark
// beside the point (an aside such as "…，食堂伙食还不错" describes nothing delivered).
func affirmed(p *regexp.Regexp, text string) bool {
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
var reAside = re(`不错|很好|挺好|还行|满意|好吃|热情|方便|舒服|顺便|题外话|\b(nice|good|great|lovely|by the way)\b`)

// reClause splits a text into clauses.
var reClause = re(`[。！!？?；;，,\n]|\.\s`)

// reActivity: a clause that says what is done or offered.
var reActivity = re(`做|提供|负责|承接|承包|运营|管理|派遣|外包|从事|代理|代|帮|给|为|维修|修|卖|销售|出售|检测|检验|审计|监理|施工|租|买|采购|是|算|报|\b(we|our|run|runs|provide|provides|operate|operates|manage|manages|handle|handles|do|does|supply|supplies|repair|repairs|sell|sells|is|are|dispatch|place|places)\b`)

func re(s string) *regexp.Regexp { return regexp.MustCompile(`(?i)` + s) }

type pattern = *regexp.Regexp

var inHouse = re(`自主|自己|自身|自用|内部|in-house|own use|internal`)

func (s *state) has(p pattern) bool { return p.MatchString(s.text) }

// scopeRule: section 一 and the exclusion lists name activities that are not service outsourcing at all.
func (s *state) scopeRule() {
	for _, c := range scopeClauses {
		if !affirmed(c.When, s.text) || (c.Unless != nil && c.Unless.MatchString(focus(s.text))) {
			continue
		}
		s.check(decision.Check{Rule: "scope", Status: "out", From: s.code, To: decision.OUT, Ref: c.Refs[0], Detail: c.Name})
		s.cite(c.Refs...)
		s.code = decision.OUT
		s.conf = 0.85
		s.fixed = true
		if s.lang == "en" {
			s.reason = "The guidance does not count this activity as service outsourcing (" + c.Name + ")."
		} else {
			s.reason = "指引不将此类活动（" + c.Name + "）纳入服务外包统计。"
		}
		return
	}
}

// ---- section 三: mixed and product-sale contracts ----------------------------------------------

var (
	reAmount    = re(`(\d+(?:\.\d+)?)\s*(万元|万|千元|元|亿|k|m|million|thousand|rmb|yuan|usd|美元|dollars?)`)
	reEssence   = re(`(用|通过|依托|基于|利用|借助|在)(我们|自己|自有|自建|自研|我方)?(的)?.{0,10}(系统|平台|软件|saas|云平台).{0,16}(为|给|帮|替)?.{0,12}(提供|代|负责|处理|做|运营|管理|办理)|(using|on|through|via) (our|its) own .{0,20}(system|platform|software)`)
	reBuildSys  = re(`(搭建|搭一?套|搭个|开发|建设|定制|研发|编写|做一套|做个|build|develop|implement).{0,12}(系统|平台|软件|app|system|platform|software)|(系统|平台|软件|app|system|platform|software).{0,4}(开发|研发|搭建|定制|development)`)
	reFreeHW    = re(`免费(提供|赠送|送|配套|附送).{0,12}(设备|硬件|终端|摄像头|传感器)|(free|free of charge|at no cost).{0,20}(hardware|equipment|devices|cameras|sensors)|(hardware|equipment|devices).{0,12}(free|at no cost)`)
	reSale      = re(`(销售|卖|出售|售出|sell|selling|sold|sale of).{0,12}(设备|产品|机器|机床|机械|车辆|终端|软硬件|硬件|整机|仪器|服务器|电脑|软件许可|许可|授权|(一|两|二|三|四|五|六|七|八|九|十|几|多|\d+)\s*(台|套|批)|licen[cs]es?|equipment|vehicles?|machines?|products?|hardware|devices?|servers?)`)
	reWithSvc   = re(`(附带|含|包含|包括|附送|捆绑|连同|送|赠|免费|with|including|plus|bundl).{0,32}(安装|调试|培训|维护|维保|运维|售后|服务|监测|installation|training|maintenance|service|monitoring|support)`)
	reSeparate  = re(`单独(计价|报价|列明|收费)|分别(计价|报价|列明|收费)|服务费.{0,6}\d|separately (priced|invoiced|listed)|service fee of|\d+\s*(万元|万|元|%).{0,6}(服务|service)|(服务|service).{0,8}\d+\s*(万元|万|元|%)`)
	reTwoThings = re(`同时|以及|并且|并|和|及|还|plus|as well as|and also|\band\b`)
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
		switch strings.ToLower(m[2]) {
		case "万", "万元":
			v *= 1e4
		case "亿":
			v *= 1e8
		case "千元", "k", "thousand":
			v *= 1e3
		case "m", "million":
			v *= 1e6
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

var reItemSep = re(`[；;。\n]|，|,|、`)

func splitItems(text string) []string {
	var out []string
	for _, p := range reItemSep.Split(text, -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
