// Package prompts holds fenlei's LLM prompts as text/template files (prompts/*.tmpl), embedded in
// the binary and parsed once, when the package is initialised (a template that does not parse is a
// build-time bug: the package panics on load and every test fails). They are filled from the typed
// structs below; golden tests in testdata/ show the exact bytes sent (go test ./prompts -update
// rewrites them).
//
// It promises:
//   - The system prompt of Classify holds only the fixed part (instructions, the 45-class list, the
//     scope clauses, the section 三 rules): it is the same bytes for every request of the same
//     guidance, so nothing in a description can change it, and providers' prompt caches hit. It
//     comes first; the user prompt holds what depends on the description.
//   - The description is placed last in the user prompt, between the lines <<<DESCRIPTION and
//     DESCRIPTION>>>, and any run of three or more angle brackets inside it is neutralised, so a
//     description cannot close the block early or open a new one.
//   - Both prompts ask for the JSON object that the classifier's reply parser reads and contain the word JSON
//     (OpenAI's json_object mode requires it).
//
// Nothing here is HTML-escaped: text/template writes the guidance's quotes and the description as
// they are.
package prompts

import (
	"bytes"
	"embed"
	"fmt"
	"regexp"
	"strings"
	"text/template"
	"unicode/utf8"
)

//go:embed *.tmpl
var files embed.FS

// tmpl holds every prompt template, parsed once.
var tmpl = template.Must(template.New("prompts").Option("missingkey=error").ParseFS(files, "*.tmpl"))

// Delimiters of the description block in the user prompt.
const (
	OpenDelim  = "<<<DESCRIPTION"
	CloseDelim = "DESCRIPTION>>>"
)

// ClassifyData fills the classification prompts.
type ClassifyData struct {
	// Lang is the language of the description, "zh" or "en"; the reason is asked for in it.
	// Anything else is treated as "zh".
	Lang string
	// Text is the user's description: data, never instructions.
	Text string
	// Classes are the 45 sub-classes (fixed part).
	Classes []ClassLine
	// Scope are the clauses that put activities outside service outsourcing (fixed part).
	Scope []Clause
	// Rules are the section 三 clauses (mixed and product-sale contracts; fixed part).
	Rules []Clause
	// Candidates are the best candidate sub-classes, best first.
	Candidates []Candidate
	// Exclusions are retrieved redirecting exclusions not already shown with a candidate.
	Exclusions []Clause
}

// ClassLine is one sub-class of the class list.
type ClassLine struct {
	Code, Name, Definition string
}

// fixedView is what the system template sees: the fixed part only.
type fixedView struct {
	Classes []ClassLine
	Scope   []Clause
	Rules   []Clause
}

// Candidate is one candidate sub-class with its clauses from the guidance.
type Candidate struct {
	Code          string // "I11"
	Name          string // "软件研发服务"
	NameEN        string // may be empty
	Definition    string // the class's definition, verbatim
	DefinitionRef string // its passage ref ("I11.def"); may be empty
	Typical       []Clause
	Exclusions    []Clause
}

// Clause is one passage of the guidance with its ref, which the LLM cites.
type Clause struct {
	Ref   string // "I13.exclude.2"
	Title string // optional heading, e.g. "典型业务 1：定制软件研发"
	Text  string // verbatim text
}

// classifyView is what the user template sees: the data with the description made safe.
type classifyView struct {
	ClassifyData
	Language    string
	Description string
	Open, Close string
}

// Classify renders the system and user prompts of one classification.
func Classify(data ClassifyData) (system, user string, err error) {
	const op = "prompts.Classify"
	if system, err = render("classify_system.tmpl", fixedView{Classes: data.Classes, Scope: data.Scope, Rules: data.Rules}); err != nil {
		return "", "", fmt.Errorf("%s: %w", op, err)
	}
	v := classifyView{
		ClassifyData: data,
		Language:     language(data.Lang),
		Description:  Neutralize(strings.TrimSpace(data.Text)),
		Open:         OpenDelim,
		Close:        CloseDelim,
	}
	if user, err = render("classify_user.tmpl", v); err != nil {
		return "", "", fmt.Errorf("%s: %w", op, err)
	}
	return system, user, nil
}

// RepairData fills the repair prompts: one short follow-up when a reply was not the JSON asked for.
type RepairData struct {
	Lang  string // language of the reason, as in ClassifyData
	Reply string // the reply that did not parse; it is clipped to MaxRepairRunes
}

// MaxRepairRunes bounds how much of a bad reply the repair prompt carries.
const MaxRepairRunes = 4000

// Delimiters of the previous reply in the repair prompt.
const (
	ReplyOpen  = "<<<REPLY"
	ReplyClose = "REPLY>>>"
)

type repairView struct {
	Language    string
	Reply       string
	Open, Close string
}

// Repair renders the prompts of the repair call: a system prompt asking only for the JSON object,
// and a user prompt carrying the bad reply between <<<REPLY and REPLY>>>.
func Repair(data RepairData) (system, user string, err error) {
	const op = "prompts.Repair"
	if system, err = render("repair_system.tmpl", nil); err != nil {
		return "", "", fmt.Errorf("%s: %w", op, err)
	}
	reply := strings.TrimSpace(data.Reply)
	if r := []rune(reply); len(r) > MaxRepairRunes {
		reply = string(r[:MaxRepairRunes]) + "…"
	}
	v := repairView{Language: language(data.Lang), Reply: Neutralize(reply), Open: ReplyOpen, Close: ReplyClose}
	if user, err = render("repair_user.tmpl", v); err != nil {
		return "", "", fmt.Errorf("%s: %w", op, err)
	}
	return system, user, nil
}

// reBrackets matches a run of three or more opening or closing angle brackets, ASCII, full-width
// ‹ or ≪, with optional spaces between them.
var reBrackets = regexp.MustCompile(`[<＜‹≪](?:\s*[<＜‹≪]){2,}|[>＞›≫](?:\s*[>＞›≫]){2,}`)

// Neutralize makes text safe to put between the prompt's delimiters: every run of three or more
// angle brackets becomes a single guillemet (« or »), so neither delimiter can occur in it.
func Neutralize(text string) string {
	return reBrackets.ReplaceAllStringFunc(text, func(m string) string {
		if r, _ := utf8.DecodeRuneInString(m); strings.ContainsRune("<＜‹≪", r) {
			return "«"
		}
		return "»"
	})
}

func language(lang string) string {
	if lang == "en" {
		return "English"
	}
	return "Chinese (简体中文)"
}

func render(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := tmpl.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return b.String(), nil
}
