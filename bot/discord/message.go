package discord

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/bwmarrin/discordgo"

	"fenlei/corpus"
	"fenlei/decision"
)

// Discord's message limits, in characters (counted here as UTF-16 code units, which is never
// fewer than Discord's own count). See https://discord.com/developers/docs/resources/message#embed-object-embed-limits.
const (
	maxContent     = 2000
	maxEmbeds      = 10
	maxEmbedTotal  = 6000 // title + description + field names and values + footer + author, all embeds together
	maxTitle       = 256
	maxDescription = 4096
	maxFields      = 25
	maxFieldName   = 256
	maxFieldValue  = 1024
	maxFooter      = 2048
	maxAuthor      = 256
)

// ellipsis marks every truncation.
const ellipsis = "…"

// blank is what Discord accepts as an "empty" field name or value (both must be non-empty).
const blank = "\u200b"

// Message is what fenlei sends to Discord for one answer: the plain content and the embeds.
// Every Message returned by this package's render functions is within Discord's limits.
type Message struct {
	Content string
	Embeds  []*discordgo.MessageEmbed
}

// noMentions is the allowed_mentions object sent with every message: parse nothing, so
// "@everyone", "@here", role and user mentions in echoed user text ping nobody.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// Colours of the first embed, by kind of answer.
const (
	colourClass   = 0x2f80ed
	colourOut     = 0x9b9b9b
	colourClarify = 0xf2c94c
	colourError   = 0xeb5757
)

// Sizes used to lay out citations so that many fit in the 6,000-character budget.
const (
	minQuote   = 120 // a citation is shown with at least this much of its quote, or not at all
	noteBudget = 80  // reserved for the "N more not shown" footer
)

// RenderDecision builds the Discord message for a Decision: the content carries the code, name,
// path, confidence and the answer (or the clarifying question); the embeds carry the candidates,
// the rule checks, the engine and the citations, one field per citation (section as the name,
// the verbatim quote and its ref as the value). Citations that do not fit Discord's limits are
// shortened (marked with "…") and, past the total budget, left out with a count in the footer.
func RenderDecision(d decision.Decision) Message {
	var head strings.Builder
	switch {
	case d.Code != "":
		name := d.Name
		if name == "" && d.Code == decision.OUT {
			name = "不属于服务外包统计范围 / not counted as service outsourcing"
		}
		fmt.Fprintf(&head, "**%s %s**", d.Code, name)
		if len(d.Path) > 0 {
			fmt.Fprintf(&head, " · %s", strings.Join(d.Path, " › "))
		}
		if d.Confidence > 0 {
			fmt.Fprintf(&head, " · 置信度 %.0f%%", d.Confidence*100)
		}
	case d.Question != "":
		head.WriteString("**需要补充信息 / More information needed**")
	}
	body := d.Answer
	if d.Question != "" && !strings.Contains(body, d.Question) {
		body = strings.TrimSpace(body + "\n\n❓ " + d.Question)
	}
	if head.Len() == 0 && strings.TrimSpace(body) == "" {
		body = d.Text()
	}
	content := head.String()
	if body != "" {
		if content != "" {
			content += "\n"
		}
		content += body
	}

	first := &discordgo.MessageEmbed{Color: colourClass}
	switch {
	case d.Code == decision.OUT:
		first.Color = colourOut
	case d.Code == "" && d.Question != "":
		first.Color = colourClarify
	}
	var desc []string
	if len(d.Candidates) > 0 {
		parts := make([]string, 0, len(d.Candidates))
		for _, c := range d.Candidates {
			parts = append(parts, fmt.Sprintf("%s %.0f%%", c.Code, c.Score*100))
		}
		desc = append(desc, "候选 Candidates: "+strings.Join(parts, " · "))
	}
	for _, c := range d.Checks {
		line := "规则 " + c.Rule + ": " + c.Status
		if c.From != "" || c.To != "" {
			line += " " + c.From + " → " + c.To
		}
		if c.Ref != "" {
			line += " (" + c.Ref + ")"
		}
		desc = append(desc, line)
	}
	first.Description = strings.Join(desc, "\n")
	if d.Engine != "" {
		first.Footer = &discordgo.MessageEmbedFooter{Text: "engine: " + d.Engine}
	}
	if len(d.Citations) > 0 {
		first.Title = "依据 Citations"
	}

	items := make([]item, 0, len(d.Citations))
	for _, c := range d.Citations {
		name := c.Section
		if name == "" {
			name = c.Ref
		}
		suffix := ""
		if c.Ref != "" {
			suffix = "\n— " + c.Ref
		}
		items = append(items, item{name: name, body: c.Quote, suffix: suffix})
	}
	m := Message{Content: content}
	if first.Title != "" || first.Description != "" || first.Footer != nil || len(items) > 0 {
		m.Embeds = layout(first, items, "条引文未显示 / citations not shown")
	}
	return Clamp(m)
}

// RenderCategory builds the message for /category: the class's code, name and path in the
// content; its definition as the embed description; its sub-classes, typical businesses and
// exclusions as fields, each quoted verbatim with its passage ref.
func RenderCategory(c corpus.Class, path []string, children []corpus.Class, passages []corpus.Passage) Message {
	var content strings.Builder
	fmt.Fprintf(&content, "**%s %s**", c.Code, c.Name)
	if c.NameEN != "" {
		fmt.Fprintf(&content, " (%s)", c.NameEN)
	}
	if len(path) > 0 {
		fmt.Fprintf(&content, " · %s", strings.Join(path, " › "))
	}

	first := &discordgo.MessageEmbed{Title: c.Code + " " + c.Name, Color: colourClass}
	var defs, refs []string
	var items, typical []item
	if len(children) > 0 {
		lines := make([]string, 0, len(children))
		for _, ch := range children {
			lines = append(lines, ch.Code+" "+ch.Name)
		}
		items = append(items, item{name: "下设类别 Classes", body: strings.Join(lines, "\n")})
	}
	// Exclusions come before typical businesses: they are what decides a borderline case,
	// so they are the last to be left out when the budget runs short.
	for _, p := range passages {
		switch p.Kind {
		case corpus.KindDefinition:
			defs = append(defs, p.Text)
			refs = append(refs, p.Ref)
		case corpus.KindTypical:
			name := p.Title
			if name == "" {
				name = "典型业务 Typical business"
			}
			typical = append(typical, item{name: name, body: p.Text, suffix: "\n— " + p.Ref})
		case corpus.KindExclude:
			items = append(items, item{name: "不包括 Excludes", body: p.Text, suffix: "\n— " + p.Ref})
		}
	}
	items = append(items, typical...)
	first.Description = truncate(strings.Join(defs, "\n\n"), maxDescription/2)
	if len(refs) > 0 {
		first.Footer = &discordgo.MessageEmbedFooter{Text: "— " + strings.Join(refs, ", ")}
	}
	return Clamp(Message{Content: content.String(), Embeds: layout(first, items, "项未显示 / items not shown")})
}

// RenderError builds the message for a failure that the user should see.
func RenderError(text string) Message {
	return Clamp(Message{Content: "⚠️ " + text})
}

// item is one field to lay out: body is shortened when needed, suffix (a ref) is kept whole.
type item struct{ name, body, suffix string }

// layout puts first and then the items, one field each, into as many embeds as Discord allows,
// sharing the 6,000-character budget among the items still to come so that short quotes leave
// room for more. Items that do not fit are counted in the last embed's footer ("… N <more>").
func layout(first *discordgo.MessageEmbed, items []item, more string) []*discordgo.MessageEmbed {
	first.Title = truncate(first.Title, maxTitle)
	first.Description = truncate(first.Description, maxDescription)
	if first.Footer != nil {
		first.Footer.Text = truncate(first.Footer.Text, maxFooter-noteBudget)
	}
	embeds := []*discordgo.MessageEmbed{first}
	budget := maxEmbedTotal - embedSize(first) - noteBudget
	cur := first
	shown := 0
	for i, it := range items {
		if len(cur.Fields) == maxFields {
			if len(embeds) == maxEmbeds {
				break
			}
			cur = &discordgo.MessageEmbed{Color: first.Color}
			embeds = append(embeds, cur)
		}
		name := truncate(nonEmpty(it.name), maxFieldName)
		suffix := it.suffix
		if len16(suffix) > maxFieldValue/4 {
			suffix = truncate(suffix, maxFieldValue/4)
		}
		fixed := len16(name) + len16(suffix)
		share := (budget / (len(items) - i)) - fixed
		limit := min(max(share, minQuote), maxFieldValue-len16(suffix))
		body := truncate(strings.TrimSpace(it.body), limit)
		if body == "" && suffix == "" {
			body = blank
		}
		value := body + suffix
		cost := len16(name) + len16(value)
		if cost > budget {
			break
		}
		budget -= cost
		cur.Fields = append(cur.Fields, &discordgo.MessageEmbedField{Name: name, Value: value})
		shown++
	}
	if left := len(items) - shown; left > 0 {
		last := embeds[len(embeds)-1]
		note := fmt.Sprintf("%s %d %s", ellipsis, left, more)
		if last.Footer == nil {
			last.Footer = &discordgo.MessageEmbedFooter{Text: note}
		} else {
			last.Footer.Text += " · " + note
		}
	}
	return embeds
}

// Clamp returns m cut to Discord's limits: content ≤ 2,000; at most 10 embeds; per embed title ≤ 256,
// description ≤ 4,096, at most 25 fields, field name ≤ 256 and value ≤ 1,024 (neither empty),
// footer ≤ 2,048, author ≤ 256; and 6,000 across all embeds. Whatever is cut is marked with "…".
// m is not modified.
func Clamp(m Message) Message {
	out := Message{Content: truncate(m.Content, maxContent)}
	embeds := m.Embeds
	cutEmbeds := len(embeds) > maxEmbeds
	if cutEmbeds {
		embeds = embeds[:maxEmbeds]
	}
	c := clamper{budget: maxEmbedTotal}
	for _, src := range embeds {
		if src == nil || c.done {
			continue
		}
		e := *src
		e.Fields = nil
		c.put(&e.Title, truncate(src.Title, maxTitle))
		c.put(&e.Description, truncate(src.Description, maxDescription))
		fields := make([]discordgo.MessageEmbedField, 0, len(src.Fields))
		for _, f := range src.Fields {
			if f != nil {
				fields = append(fields, *f)
			}
		}
		if len(fields) > maxFields {
			dropped := len(fields) - (maxFields - 1)
			fields = append(fields[:maxFields-1], discordgo.MessageEmbedField{Name: ellipsis, Value: fmt.Sprintf("+%d", dropped)})
		}
		for _, f := range fields {
			name := truncate(nonEmpty(f.Name), maxFieldName)
			if c.done || c.budget < len16(name)+2 {
				c.stop()
				break
			}
			nf := &discordgo.MessageEmbedField{Inline: f.Inline}
			c.put(&nf.Name, name)
			c.put(&nf.Value, truncate(nonEmpty(f.Value), maxFieldValue))
			e.Fields = append(e.Fields, nf)
		}
		e.Footer, e.Author = nil, nil
		if src.Footer != nil {
			f := *src.Footer
			if c.put(&f.Text, truncate(f.Text, maxFooter)); f.Text != "" {
				e.Footer = &f
			}
		}
		if src.Author != nil {
			a := *src.Author
			if c.put(&a.Name, truncate(a.Name, maxAuthor)); a.Name != "" {
				e.Author = &a
			}
		}
		if e.Title == "" && e.Description == "" && len(e.Fields) == 0 && e.Footer == nil && e.Author == nil {
			continue
		}
		out.Embeds = append(out.Embeds, &e)
	}
	if cutEmbeds {
		c.mark()
	}
	return out
}

// clamper shares the 6,000-character embed budget among strings in order.
type clamper struct {
	budget int
	done   bool    // the budget is spent: everything after is left out
	last   *string // the last string stored, to mark with "…" when what follows is left out
}

// put stores s (already within its own limit) in *dst if it fits the budget, else a marked prefix,
// else "" and marks the string before. It returns whether s was stored whole.
func (c *clamper) put(dst *string, s string) bool {
	switch n := len16(s); {
	case c.done:
		*dst = ""
		return false
	case n <= c.budget:
		*dst = s
		c.budget -= n
		if s != "" {
			c.last = dst
		}
		return true
	case c.budget >= 2:
		*dst = truncate(s, c.budget)
		c.budget = 0
		c.done = true
		c.last = dst
		return false
	default:
		*dst = ""
		c.stop()
		return false
	}
}

// stop leaves out everything from here on and marks the last string stored.
func (c *clamper) stop() {
	c.done = true
	c.mark()
}

// mark replaces the last rune of the last stored string with "…" (never longer), unless marked.
func (c *clamper) mark() {
	if c.last == nil || strings.HasSuffix(*c.last, ellipsis) {
		return
	}
	s := []rune(*c.last)
	if len(s) == 0 {
		return
	}
	*c.last = string(s[:len(s)-1]) + ellipsis
}

// embedSize is what an embed counts against the 6,000-character total.
func embedSize(e *discordgo.MessageEmbed) int {
	n := len16(e.Title) + len16(e.Description)
	for _, f := range e.Fields {
		n += len16(f.Name) + len16(f.Value)
	}
	if e.Footer != nil {
		n += len16(e.Footer.Text)
	}
	if e.Author != nil {
		n += len16(e.Author.Name)
	}
	return n
}

func nonEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return blank
	}
	return s
}

// len16 is the length of s in UTF-16 code units, the unit Discord's limits are checked in
// (never less than the number of characters).
func len16(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// truncate returns s if it fits in max UTF-16 units, else its longest prefix (on a rune boundary,
// trailing space trimmed) that fits with "…" appended. max ≤ 0 gives "".
func truncate(s string, max int) string {
	if len16(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	n, end := 0, 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if n+w > max-1 {
			break
		}
		n += w
		end = i + len(string(r))
	}
	return strings.TrimRightFunc(s[:end], unicode.IsSpace) + ellipsis
}
