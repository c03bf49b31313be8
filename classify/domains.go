package classify

import (
	"strings"

	"fenlei/decision"
	"fenlei/retrieval"
)

// ---- B3: repair and maintenance ----------------------------------------------------------------

var (
	reRepair        = voc.re("repair")
	reMedical       = voc.re("medical")
	reNotRepairWork = voc.re("not_repair_work")
)

// repairDomains are the equipment of B31–B34's definitions.
var repairDomains = loadDomains(voc.Repair)

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
var anchors = loadDomains(voc.Anchors)

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
