// Package decision defines the Decision: the one JSON answer every fenlei channel returns
// (see docs/contract.md). It promises that the JSON field names are stable, and that Text renders
// a Decision for people in the language it was asked in. It depends on the standard library only.
package decision

import (
	"encoding/json"
	"strings"
)

// OUT is the code for an activity that is not counted as service outsourcing at all.
const OUT = "OUT"

// Kinds of Decision.
const (
	KindClassification = "classification" // code names a sub-class or OUT
	KindClarify        = "clarify"        // code is "" and Question asks one question
	KindGuidance       = "guidance"       // a question about the guidance; Answer + Citations answer it
	KindHelp           = "help"           // usage help
	KindExplain        = "explain"        // why one class and not another
)

// Decision is one answer. Fields are never renamed or removed; new ones may be added.
type Decision struct {
	ID         string      `json:"id,omitempty"`
	Code       string      `json:"code"`
	Name       string      `json:"name"`
	NameEN     string      `json:"name_en,omitempty"`
	Path       []string    `json:"path"`
	Confidence float64     `json:"confidence"`
	Candidates []Candidate `json:"candidates"`
	Citations  []Citation  `json:"citations"`
	Checks     []Check     `json:"checks"`
	Question   string      `json:"question"`
	Answer     string      `json:"answer"`
	Engine     string      `json:"engine"`
	Kind       string      `json:"kind,omitempty"`
	Lang       string      `json:"lang,omitempty"` // "zh" or "en": the language of the request
	Reason     string      `json:"reason,omitempty"`
	Other      string      `json:"other,omitempty"` // KindExplain: the class compared with Code ("why not Other?")
	Usage      *Usage      `json:"usage,omitempty"`
	Error      string      `json:"error,omitempty"`      // why this input got no answer, for people (classify --jsonl)
	ErrorCode  string      `json:"error_code,omitempty"` // the same for programs: "empty", "too_long", "bad_request"…
	RecordID   string      `json:"record_id,omitempty"`  // the id under which the answer was recorded; feedback refers to it
}

// RequestID reads the id of a request, to echo it as the Decision's ID: a JSON string as its
// value, a number as written, null or absent as "". Anything else (an object, an array, a
// boolean) is not an id: ok is false.
func RequestID(raw json.RawMessage) (id string, ok bool) {
	t := strings.TrimSpace(string(raw))
	switch {
	case t == "" || t == "null":
		return "", true
	case strings.HasPrefix(t, `"`):
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return "", false
	}
	return n.String(), true
}

// Candidate is one ranked alternative, score in [0,1].
type Candidate struct {
	Code  string  `json:"code"`
	Name  string  `json:"name,omitempty"`
	Score float64 `json:"score"`
}

// Citation is a verbatim quote of the guidance with its stable passage ref and readable section.
type Citation struct {
	Ref     string `json:"ref"`
	Section string `json:"section"`
	Quote   string `json:"quote"`
	Line    int    `json:"line,omitempty"`
}

// Check records one rule of the rule layer that looked at the answer.
// Status is one of "ok", "redirected", "out", "lowered", "rejected", "dropped", "split", "flagged".
type Check struct {
	Rule   string `json:"rule"`
	Status string `json:"status"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Ref    string `json:"ref,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// Usage is the LLM token usage of one Decision.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}
