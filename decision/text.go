package decision

import (
	"fmt"
	"strings"
)

// labels are the words Text uses, per language.
type labels struct {
	errorL, code, out, path, confidence, reason, need, citations, alternatives, checks, via, disclaimer string
	open, close                                                                                         string // quote marks
	sep                                                                                                 string // list separator
	status                                                                                              map[string]string
}

var zhLabels = labels{
	errorL: "错误", code: "分类", out: "（不属于服务外包统计范围）", path: "路径", confidence: "置信度",
	reason: "理由", need: "需要补充信息", citations: "依据", alternatives: "其他候选",
	checks: "规则调整", via: "依据", disclaimer: "仅供参考，不构成官方认定。",
	open: "「", close: "」", sep: "；",
	status: map[string]string{
		"redirected": "改归", "out": "不计入服务外包", "lowered": "降低置信度", "rejected": "驳回",
		"dropped": "删除", "split": "拆分", "flagged": "标记待查",
	},
}

var enLabels = labels{
	errorL: "Error", code: "Category", out: " (not counted as service outsourcing)", path: "Path",
	confidence: "Confidence", reason: "Reason", need: "More information needed", citations: "Sources",
	alternatives: "Alternatives", checks: "Rules applied", via: "per", disclaimer: "This is guidance, not an official ruling.",
	open: "\u201c", close: "\u201d", sep: "; ",
	status: map[string]string{
		"redirected": "redirected", "out": "not counted", "lowered": "confidence lowered", "rejected": "rejected",
		"dropped": "dropped", "split": "split", "flagged": "flagged",
	},
}

// Text renders the Decision for people, in English when d.Lang is "en" and in Chinese otherwise:
// the code with its name and path, the answer (and the reason when the answer does not already
// say it), the clarifying question when Code is "", the citations with their sections, the other
// candidates with their scores, every check that changed the answer (Status other than "ok"),
// and, last, a line saying that this is guidance, not an official ruling.
func (d Decision) Text() string {
	l := zhLabels
	if d.Lang == "en" {
		l = enLabels
	}
	colon := "："
	if d.Lang == "en" {
		colon = ": "
	}
	var b strings.Builder
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}

	if d.Error != "" {
		line("%s%s%s", l.errorL, colon, d.Error)
	}
	switch {
	case d.Code == OUT:
		line("%s%s%s%s", l.code, colon, OUT, l.out)
	case d.Code != "":
		name := d.name()
		if name != "" {
			line("%s%s%s %s", l.code, colon, d.Code, name)
		} else {
			line("%s%s%s", l.code, colon, d.Code)
		}
		if len(d.Path) > 0 {
			line("%s%s%s", l.path, colon, strings.Join(d.Path, " › "))
		}
		if d.Confidence > 0 {
			line("%s%s%.2f", l.confidence, colon, d.Confidence)
		}
	}

	answer := strings.TrimSpace(d.Answer)
	reason := strings.TrimSpace(d.Reason)
	// A clarifying question is printed once, however the engine split it between Answer and Question.
	question := strings.TrimSpace(d.Question)
	asks := d.Code == "" && question != ""
	showAnswer := answer != "" && !(asks && strings.Contains(question, answer))
	if showAnswer {
		line("%s", answer)
	}
	if reason != "" && !strings.Contains(answer, reason) {
		line("%s%s%s", l.reason, colon, reason)
	}
	if asks && !(showAnswer && strings.Contains(answer, question)) {
		line("%s%s%s", l.need, colon, question)
	}

	if len(d.Citations) > 0 && quotesAll(answer, d.Citations) {
		// The answer already quotes every citation (a guidance answer): list their refs only.
		var refs []string
		for _, c := range d.Citations {
			refs = append(refs, c.Ref)
		}
		line("%s%s%s", l.citations, colon, strings.Join(refs, ", "))
	} else if len(d.Citations) > 0 {
		line("%s%s", l.citations, strings.TrimRight(colon, " "))
		for i, c := range d.Citations {
			head := c.Section
			if c.Ref != "" {
				if head != "" {
					head += " (" + c.Ref + ")"
				} else {
					head = c.Ref
				}
			}
			line("  [%d] %s", i+1, head)
			if q := strings.TrimSpace(c.Quote); q != "" {
				line("      %s%s%s", l.open, q, l.close)
			}
		}
	}

	var alts []string
	for _, c := range d.Candidates {
		if c.Code == d.Code {
			continue
		}
		s := c.Code
		if c.Name != "" {
			s += " " + c.Name
		}
		alts = append(alts, fmt.Sprintf("%s (%.2f)", s, c.Score))
	}
	if len(alts) > 0 {
		line("%s%s%s", l.alternatives, colon, strings.Join(alts, l.sep))
	}

	var moved []string
	for _, c := range d.Checks {
		if c.Status == "" || c.Status == "ok" {
			continue
		}
		st := l.status[c.Status]
		if st == "" {
			st = c.Status
		}
		s := c.Rule + " (" + st
		switch {
		case c.From != "" && c.To != "":
			s += ": " + c.From + " → " + c.To
		case c.To != "":
			s += ": → " + c.To
		case c.From != "":
			s += ": " + c.From
		}
		s += ")"
		if c.Ref != "" {
			s += " " + l.via + " " + c.Ref
		}
		if c.Detail != "" {
			s += " — " + c.Detail
		}
		moved = append(moved, s)
	}
	if len(moved) > 0 {
		line("%s%s", l.checks, strings.TrimRight(colon, " "))
		for _, s := range moved {
			line("  - %s", s)
		}
	}

	b.WriteString(l.disclaimer)
	return b.String()
}

// name is the class name in the Decision's language.
func (d Decision) name() string {
	if d.Lang == "en" && d.NameEN != "" {
		return d.NameEN
	}
	return d.Name
}

// quotesAll reports whether text quotes every citation in 「」.
func quotesAll(text string, cs []Citation) bool {
	for _, c := range cs {
		if q := strings.TrimSpace(c.Quote); q == "" || !strings.Contains(text, "「"+q+"」") {
			return false
		}
	}
	return true
}
