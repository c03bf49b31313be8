package classify

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"

	"fenlei/corpus"
)

// A description often names the class its author supposes ("劳务派遣算人力资源管理服务吗？", "Are lawyers'
// services covered by B13 legal process services?", "电商代运营是I23还是B22？", "K22包不包括施工？"). The
// supposed class says nothing about the service, but its name is a strong word of that class for the
// coding index and the retrieval: "劳务派遣算人力资源管理服务吗？" read whole goes to B11, which the guidance
// excludes it from. suppose reads such a text without the classes named in the frame of a
// supposition (corpus/clauses.yaml patterns.hypothesis, ⓒ standing for a class); the rule layer then
// meets the supposed class's exclusions like any other. A class named as the service itself ("我们提供
// 呼叫中心服务，算哪类？") is kept.

// classMarks wraps every class code and name of a text in \x00…\x01.
type classMarks struct {
	zh    *strings.Replacer
	en    *regexp.Regexp
	frame *regexp.Regexp    // patterns.hypothesis with ⓒ as a marked class
	code  map[string]string // a name, lower-cased, or a code → the class's code
}

var hypothesisMarks = sync.OnceValue(func() *classMarks {
	m := &classMarks{zh: strings.NewReplacer(), en: regexp.MustCompile(`$^`), code: map[string]string{}}
	src := voc.clauses.Patterns["hypothesis"]
	m.frame = regexp.MustCompile(`(?i)` + strings.ReplaceAll(src, "ⓒ", `(?:\x00[^\x01]*\x01)`))
	g, err := corpus.Load()
	if err != nil {
		return m
	}
	var zh, en []string
	for _, c := range g.Classes {
		zh = append(zh, c.Name)
		m.code[c.Name] = c.Code
		m.code[strings.ToLower(c.Code)] = c.Code
		if c.NameEN != "" {
			en = append(en, regexp.QuoteMeta(c.NameEN))
			m.code[strings.ToLower(c.NameEN)] = c.Code
		}
	}
	for _, n := range []string{"ITO", "BPO", "KPO"} {
		en = append(en, n)
	}
	sort.SliceStable(zh, func(i, j int) bool { return len(zh[i]) > len(zh[j]) })
	sort.SliceStable(en, func(i, j int) bool { return len(en[i]) > len(en[j]) })
	var pairs []string
	for _, n := range zh {
		pairs = append(pairs, n, "\x00"+n+"\x01")
	}
	m.zh = strings.NewReplacer(pairs...)
	m.en = regexp.MustCompile(`(?i)\b(?:` + strings.Join(en, "|") + `|[ibk]\d{1,2})\b`)
	return m
})

// suppose returns text without the classes it names as a supposition, or text itself when it names none
// that way or nothing would be left of the description, and the codes of the classes left out, in the
// order named, each once (a major class by its code, ITO, BPO or KPO).
func suppose(text string) (string, []string) {
	m := hypothesisMarks()
	t := m.zh.Replace(text)
	if hasASCIILetter(t) {
		t = m.en.ReplaceAllString(t, "\x00$0\x01")
	}
	if !strings.Contains(t, "\x00") {
		return text, nil
	}
	dropped := false
	var codes []string
	drop := func(s string) string {
		dropped = true
		var b, name strings.Builder
		in := false
		for _, r := range s {
			switch {
			case r == '\x00':
				in = true
				name.Reset()
				b.WriteByte(' ')
			case r == '\x01':
				in = false
				if c := m.code[strings.ToLower(name.String())]; c != "" && !slices.Contains(codes, c) {
					codes = append(codes, c)
				}
			case in:
				name.WriteRune(r)
			default:
				b.WriteRune(r)
			}
		}
		if strings.HasPrefix(s, "\x00") {
			// A class named first ("K22包不包括施工？"): the frame's verb goes with it, lest "不包括" read
			// as a negation of what follows. (A verb after a class elsewhere may begin the next frame,
			// as 还是 in "是ⓒ还是ⓒ", and stays.)
			return " "
		}
		return b.String()
	}
	// Again while a frame is found: in "是ⓒ还是ⓒ" the first frame ends where the second begins. bare is
	// the text without the frames' words too, for what is left of the description.
	bare := t
	for range 3 {
		u := m.frame.ReplaceAllStringFunc(t, drop)
		if u == t {
			break
		}
		t = u
		bare = m.frame.ReplaceAllString(bare, " ")
	}
	if !dropped {
		return text, nil
	}
	t = strings.NewReplacer("\x00", "", "\x01", "").Replace(t)
	letters := 0
	for _, r := range reQuestionWords.ReplaceAllString(bare, " ") {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters < 2 {
		return text, nil // "算I11吗？", "K22包括哪些？": nothing is described
	}
	return t, codes
}
