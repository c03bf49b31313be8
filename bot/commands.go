package bot

import (
	"strings"
	"unicode"

	"fenlei/decision"
)

// trimPunct removes surrounding whitespace and trailing question marks, full stops and
// exclamation marks (ASCII and full-width).
func trimPunct(s string) string {
	return strings.TrimRightFunc(strings.TrimSpace(s), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("?？.。!！", r)
	})
}

var helpWords = map[string]bool{
	"help": true, "/help": true, "!help": true, "帮助": true, "/帮助": true,
	"怎么用": true, "如何使用": true, "?": true, "？": true,
}

// IsHelp reports whether a message asks for usage help: "help", "/help", "帮助", "怎么用", "?".
func IsHelp(text string) bool {
	t := strings.ToLower(strings.TrimSpace(text))
	if helpWords[t] {
		return true
	}
	return t != "" && helpWords[trimPunct(t)]
}

var (
	whyNotEN = []string{
		"/whynot ", "/why-not ", "why not ", "why isn't it ", "why isnt it ", "why is it not ",
		"why isn't this ", "why is this not ", "why isn't ", "why not in ",
	}
	whyNotZH = []string{"为什么不是", "为啥不是", "为什么不算", "为什么不属于", "为什么不归入", "为什么不归"}
)

// ParseWhyNot recognizes "why not X", "why isn't it X", "为什么不是X", "为啥不是X" (and a few
// variants) and returns X without surrounding quotes or trailing punctuation.
func ParseWhyNot(text string) (other string, ok bool) {
	t := strings.TrimSpace(text)
	lower := strings.ToLower(t)
	rest := ""
	for _, p := range whyNotEN {
		if strings.HasPrefix(lower, p) {
			rest = t[len(p):] // ASCII prefixes: byte offsets agree
			ok = true
			break
		}
	}
	if !ok {
		for _, p := range whyNotZH {
			if strings.HasPrefix(t, p) {
				rest, ok = t[len(p):], true
				break
			}
		}
	}
	if !ok {
		return "", false
	}
	rest = trimPunct(rest)
	rest = strings.TrimSpace(strings.Trim(rest, "\"'“”‘’「」『』《》()（）"))
	if rest == "" {
		return "", false
	}
	return rest, true
}

// Help returns the usage Decision in lang.
func Help(lang string) decision.Decision {
	d := decision.Decision{Kind: decision.KindHelp, Lang: lang, Path: []string{},
		Candidates: []decision.Candidate{}, Citations: []decision.Citation{}, Checks: []decision.Check{}}
	if lang == "zh" {
		d.Answer = "用一两句话描述您提供的服务（做什么、为谁做、交付什么），我会按《中国服务外包统计调查制度操作指引（2022）》给出分类代码（如 I11），并逐字引用指引原文作为依据。\n" +
			"也可以直接问关于指引的问题，例如“交易平台注册要交哪些材料？”。\n" +
			"对结果有疑问时，问“为什么不是 I13？”或“为什么不是测试服务？”。\n" +
			"如果我反问一个问题，直接回答即可，我会结合您之前的描述。"
	} else {
		d.Answer = "Describe the service you provide in a sentence or two (what you do, for whom, what you deliver). " +
			"I will give its category under the Operation Guidance on China Outsourcing Statistics (2022), such as I11, " +
			"quoting the guidance word for word as the reason.\n" +
			"You can also ask a question about the guidance itself.\n" +
			"To question a result, ask \"why not I13?\" or \"why not testing?\".\n" +
			"If I ask you a question back, just answer it: I will read it together with your earlier description."
	}
	return d
}

// noEarlier is the answer to "why not X" when the conversation has no classification yet.
func noEarlier(lang string) decision.Decision {
	d := Help(lang)
	if lang == "zh" {
		d.Answer = "还没有可以比较的分类结果：请先描述您的服务。"
	} else {
		d.Answer = "There is no earlier classification to compare with: describe your service first."
	}
	return d
}
