package classify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// llmReply is the classifier's reading of an LLM reply: a code the rule layer will check, the
// model's reason, and what it cited.
type llmReply struct {
	Code          string  // normalized: trimmed, upper case, "I 11" → "I11"; not checked against the taxonomy
	Reason        string  // as given
	Confidence    float64 // in [0,1]; 0 when HasConfidence is false
	HasConfidence bool
	Citations     []string // passage refs or quotes, trimmed, without empties or duplicates
}

// Errors of parseReply, wrapped; test with errors.Is.
var (
	ErrNoJSON       = errors.New("no JSON object in the reply")
	ErrMissingField = errors.New("reply lacks a required field")
	ErrInvalidField = errors.New("reply field has the wrong type")
)

// parseReply reads the JSON object of a classifier reply. It needs "code" and "reason"
// strings ("reasoning" and "explanation" stand in for "reason", keys match case-insensitively);
// "confidence" (a number, numeric string or percentage, clamped to [0,1]) and "citations" (strings,
// or objects whose "ref" or else "quote" is taken) are optional and dropped when unreadable.
//
// It repairs what it can: a ```json fence, prose around the object, a <think> block, trailing
// commas, a JSON-encoded string holding the object, an object nested in a wrapper, and a code
// in lower case, with spaces, full-width or followed by the class name. The first object that
// has code and reason wins. Otherwise the error wraps ErrNoJSON (no complete object) or
// ErrMissingField / ErrInvalidField (for the first object found).
func parseReply(text string) (llmReply, error) {
	const op = "classify.parseReply"
	var first error
	for obj := range objects(text, 1) {
		s, err := decodeReply(obj)
		if err == nil {
			return s, nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = ErrNoJSON
	}
	return llmReply{}, fmt.Errorf("%s: %w", op, first)
}

// maxStarts bounds how many '{' parseReply tries as the start of an object, so that a
// hostile reply costs O(maxStarts·len) at most.
const maxStarts = 64

// objects yields the JSON objects found in text, best first: the whole text, then each balanced
// {...} in order of its opening brace. depth allows that many levels of JSON-string unwrapping.
func objects(text string, depth int) iter.Seq[map[string]json.RawMessage] {
	return func(yield func(map[string]json.RawMessage) bool) {
		text = stripThink(strings.TrimSpace(strings.TrimPrefix(text, "\ufeff")))
		b := []byte(text)
		if m, ok := object(b); ok {
			if !yield(m) {
				return
			}
		}
		var s string
		if depth > 0 && len(b) > 0 && b[0] == '"' && json.Unmarshal(b, &s) == nil {
			for m := range objects(s, depth-1) {
				if !yield(m) {
					return
				}
			}
			return
		}
		starts := 0
		for i := 0; i < len(b) && starts < maxStarts; i++ {
			if b[i] != '{' {
				continue
			}
			starts++
			end := balanced(b[i:])
			if end < 0 {
				continue
			}
			if m, ok := object(b[i : i+end]); ok {
				if !yield(m) {
					return
				}
			}
		}
	}
}

// stripThink removes <think>…</think> blocks that reasoning models put before the answer.
func stripThink(s string) string {
	for {
		i := strings.Index(s, "<think>")
		if i < 0 {
			return s
		}
		j := strings.Index(s[i:], "</think>")
		if j < 0 {
			return s
		}
		s = s[:i] + s[i+j+len("</think>"):]
	}
}

// object decodes b as a JSON object, removing trailing commas if that is what it takes.
func object(b []byte) (map[string]json.RawMessage, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) == nil {
		return m, true
	}
	if fixed, ok := dropTrailingCommas(b); ok && json.Unmarshal(fixed, &m) == nil {
		return m, true
	}
	return nil, false
}

// balanced returns the length of the {...} at the start of b, skipping braces inside JSON
// strings, or -1 if it does not close.
func balanced(b []byte) int {
	depth := 0
	var js jsonStrings
	for i, c := range b {
		if js.in(c) {
			continue
		}
		switch c {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// jsonStrings follows JSON text byte by byte and tells the bytes of its strings from the rest.
type jsonStrings struct{ inStr, esc bool }

// in reports whether c, the next byte, belongs to a string (its quotes included).
func (j *jsonStrings) in(c byte) bool {
	if j.inStr {
		switch {
		case j.esc:
			j.esc = false
		case c == '\\':
			j.esc = true
		case c == '"':
			j.inStr = false
		}
		return true
	}
	j.inStr = c == '"'
	return j.inStr
}

// dropTrailingCommas removes commas (outside strings) that are followed only by white space and
// a closing } or ]. It reports whether it removed any.
func dropTrailingCommas(b []byte) ([]byte, bool) {
	out := make([]byte, 0, len(b))
	changed := false
	var js jsonStrings
	for i, c := range b {
		if !js.in(c) && c == ',' {
			j := i + 1
			for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
				j++
			}
			if j < len(b) && (b[j] == '}' || b[j] == ']') {
				changed = true
				continue
			}
		}
		out = append(out, c)
	}
	return out, changed
}

// decodeReply reads a llmReply from one JSON object.
func decodeReply(m map[string]json.RawMessage) (llmReply, error) {
	var s llmReply
	code, err := stringField(m, "code")
	if err != nil {
		return s, err
	}
	reason, err := stringField(m, "reason", "reasoning", "explanation")
	if err != nil {
		return s, err
	}
	s.Code = normalizeCode(code)
	s.Reason = strings.TrimSpace(reason)
	if raw, ok := field(m, "confidence"); ok {
		s.Confidence, s.HasConfidence = confidence(raw)
	}
	if raw, ok := field(m, "citations"); ok {
		s.Citations = replyCitations(raw)
	}
	return s, nil
}

// field finds the first of names in m: the exact key, else a case-insensitive match.
func field(m map[string]json.RawMessage, names ...string) (json.RawMessage, bool) {
	for _, name := range names {
		if raw, ok := m[name]; ok && !isNull(raw) {
			return raw, true
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic when keys differ only in case
	for _, name := range names {
		for _, k := range keys {
			if strings.EqualFold(strings.TrimSpace(k), name) && !isNull(m[k]) {
				return m[k], true
			}
		}
	}
	return nil, false
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// stringField reads a required string field.
func stringField(m map[string]json.RawMessage, names ...string) (string, error) {
	raw, ok := field(m, names...)
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrMissingField, names[0])
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%w: %q is not a string", ErrInvalidField, names[0])
	}
	return s, nil
}

// confidence reads a number or numeric string ("0.8", "80", "80%"); values above 1 and up to 100
// are percentages. The result is clamped to [0,1].
func confidence(raw json.RawMessage) (float64, bool) {
	var v float64
	percent := false
	if err := json.Unmarshal(raw, &v); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		s = strings.TrimSpace(s)
		if t, ok := strings.CutSuffix(s, "%"); ok {
			s, percent = strings.TrimSpace(t), true
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false
		}
		v = f
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	if percent || (v > 1 && v <= 100) {
		v /= 100
	}
	return min(max(v, 0), 1), true
}

// replyCitations reads an array of strings or of {"ref", "quote"} objects, or a single string.
func replyCitations(raw json.RawMessage) []string {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		items = []json.RawMessage{raw}
	}
	var out []string
	for _, it := range items {
		var s string
		if json.Unmarshal(it, &s) != nil {
			var obj map[string]json.RawMessage
			if json.Unmarshal(it, &obj) != nil {
				continue
			}
			for _, name := range []string{"ref", "quote"} {
				if r, ok := field(obj, name); ok && json.Unmarshal(r, &s) == nil && strings.TrimSpace(s) != "" {
					break
				}
				s = ""
			}
		}
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// normalizeCode cleans a class code as an LLM may write it: it folds full-width characters,
// upper-cases ASCII letters, and reads a code at the start ("i11", "I 11", "I-11", "I11 软件研发服务",
// "【I11】" → "I11"; "out" → "OUT"). Anything else comes back upper-cased without white space,
// for the rule layer to reject.
func normalizeCode(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	c := strings.TrimSpace(b.String())
	c = strings.TrimLeft(c, "[(<\"'`【「《“‘ ")
	if p, ok := codePrefix(c); ok {
		return p
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, c)
}

// codePrefix reads "OUT" or a letter and two digits (with optional space, '-' or '_' between)
// at the start of s, when not followed by another letter or digit.
func codePrefix(s string) (string, bool) {
	boundary := func(rest string) bool {
		if rest == "" {
			return true
		}
		c := rest[0]
		return !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z')
	}
	if strings.HasPrefix(s, "OUT") && boundary(s[3:]) {
		return "OUT", true
	}
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return "", false
	}
	i := 1
	for i < len(s) && (s[i] == ' ' || s[i] == '-' || s[i] == '_') {
		i++
	}
	if i+2 > len(s) || !isDigit(s[i]) || !isDigit(s[i+1]) || !boundary(s[i+2:]) {
		return "", false
	}
	return s[:1] + s[i:i+2], true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
