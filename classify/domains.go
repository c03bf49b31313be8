package classify

import (
	"regexp"
	"strings"

	"fenlei/decision"
	"fenlei/retrieval"
)

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
		if repairDomains[c].MatchString(s.lower()) {
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
	"B32": re(`挖掘|铲|起重|吊车|塔吊|吊装|履带|叉车|工业车辆|压实|压路|桩|混凝土|钢筋|凿岩|气动|电梯|扶梯|工程机械|盾构|excavat|crane|forklift|loader|bulldozer|concrete|elevator|escalator|construction machinery|drill`),
	"I36": re(`地理|地图|测绘|遥感|导航|定位|gis|北斗|gps|卫星|航测|测量|摄影测量|倾斜摄影|实景|三维建模|激光点云|无人机航拍|geo|map|survey|remote sensing|satellite|navigation|lidar`),
	"I34": re(`区块链|链上|分布式账本|共识|智能合约|溯源|数字藏品|nft|blockchain|ledger|smart contract|web3|crypto`),
	"K31": re(`药|医|生物|基因|临床|测序|疫苗|抗体|细胞|化合物|器械|中医|cro|drug|pharma|bio|gene|clinical|medical|vaccine|antibod|cell|molecul|genom`),
	"K32": re(`新能源|核电|太阳能|光伏|风电|风能|生物质|储能|电池|智能电网|氢|充电|solar|wind|nuclear|energy|battery|grid|hydrogen|photovoltaic|pv\b`),
	"K33": re(`材料|合金|复合|涂层|高分子|纳米|陶瓷|碳纤维|石墨烯|material|alloy|composite|coating|polymer|nano|ceramic|carbon[- ]fib|graphene`),
}

// specificRule applies the anchors, and lets a catch-all sub-class ("其他…", code ending in 9) yield to a
// specific sibling that the search also supports.
func (s *state) specificRule() {
	if p, ok := anchors[s.code]; ok && !p.MatchString(s.lower()) {
		for _, c := range s.res.Categories {
			if c.Code == s.code {
				continue
			}
			if q, ok := anchors[c.Code]; ok && !q.MatchString(s.lower()) {
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
				if q, ok := anchors[c.Code]; ok && !q.MatchString(s.lower()) {
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

// lower is the description itself, normalised, without lexicon expansions: a domain is named by the
// user, not inferred from a synonym.
func (s *state) lower() string { return retrieval.Normalize(s.text) }
