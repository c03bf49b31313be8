package eval

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"fenlei/decision"
)

// LoadFile reads cases from path, choosing the format by extension:
//   - .jsonl: one JSON object per line; blank lines are skipped.
//   - .json: a JSON array of objects, or JSON lines.
//   - .csv: a header with at least id, text and expected (any order, case-insensitive); optional
//     columns accept and tags (values separated by ';' or '|'), lang, reason, question and cite
//     (cite separated by '|').
//
// A classification case has text and expected (a sub-class code such as I11, or OUT); a question case
// has question and at least one cite. Ids must be present and unique. Every problem is an error of
// the form "eval.LoadFile: FILE:LINE: what".
func LoadFile(path string) ([]Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval.LoadFile: %w", err)
	}
	var cases []Case
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".jsonl":
		cases, err = parseJSONL(data)
	case ".json":
		if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '[' {
			cases, err = parseJSONArray(data)
		} else {
			cases, err = parseJSONL(data)
		}
	case ".csv":
		cases, err = parseCSV(data)
	default:
		return nil, fmt.Errorf("eval.LoadFile: %s: unknown extension %q (want .jsonl, .json or .csv)", path, ext)
	}
	if err == nil {
		err = checkCases(cases)
	}
	if err != nil {
		return nil, fmt.Errorf("eval.LoadFile: %s:%w", path, err)
	}
	return cases, nil
}

// lineError is an error at a line of the input; it formats as "LINE: msg".
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("%d: %v", e.line, e.err) }
func (e *lineError) Unwrap() error { return e.err }

func atLine(line int, format string, args ...any) error {
	return &lineError{line: line, err: fmt.Errorf(format, args...)}
}

func parseJSONL(data []byte) ([]Case, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var cases []Case
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		c, err := decodeCase(text)
		if err != nil {
			return nil, &lineError{line: line, err: err}
		}
		c.Line = line
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		return nil, atLine(line+1, "%v", err)
	}
	return cases, nil
}

func decodeCase(text []byte) (Case, error) {
	var c Case
	dec := json.NewDecoder(bytes.NewReader(text))
	if err := dec.Decode(&c); err != nil {
		return Case{}, fmt.Errorf("bad JSON: %w", err)
	}
	if dec.More() {
		return Case{}, errors.New("bad JSON: more than one value on the line")
	}
	c.Line = 0
	return c, nil
}

func parseJSONArray(data []byte) ([]Case, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	lineAt := func(off int64) int { return bytes.Count(data[:min(int(off), len(data))], []byte("\n")) + 1 }
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return nil, atLine(1, "bad JSON: %v", err)
	}
	var cases []Case
	for dec.More() {
		// InputOffset is the end of the previous token; the element starts after the separator.
		start := dec.InputOffset()
		if rest := data[start:]; len(rest) > 0 {
			t := bytes.TrimLeft(rest, " \t\r\n,")
			start += int64(len(rest) - len(t))
		}
		var c Case
		if err := dec.Decode(&c); err != nil {
			return nil, atLine(lineAt(start), "bad JSON: %v", err)
		}
		c.Line = lineAt(start)
		cases = append(cases, c)
	}
	if _, err := dec.Token(); err != nil {
		return nil, atLine(lineAt(dec.InputOffset()), "bad JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, atLine(lineAt(dec.InputOffset()), "bad JSON: data after the array")
	}
	return cases, nil
}

func parseCSV(data []byte) ([]Case, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	rd := csv.NewReader(bytes.NewReader(data))
	rd.FieldsPerRecord = -1
	rd.TrimLeadingSpace = true
	header, err := rd.Read()
	if err == io.EOF {
		return nil, atLine(1, "empty CSV, want a header with id,text,expected")
	}
	if err != nil {
		return nil, csvError(err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"id", "text", "expected"} {
		if _, ok := col[need]; !ok {
			return nil, atLine(1, "CSV header lacks column %q (have %s)", need, strings.Join(header, ","))
		}
	}
	var cases []Case
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := rd.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(header) {
			return nil, atLine(line, "CSV row has %d fields, header has %d", len(rec), len(header))
		}
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		cases = append(cases, Case{
			ID: get("id"), Text: get("text"), Expected: get("expected"),
			Accept: splitList(get("accept"), ";|"), Tags: splitList(get("tags"), ";|"),
			Lang: get("lang"), Reason: get("reason"), Question: get("question"),
			Cite: splitList(get("cite"), "|"), Line: line,
		})
	}
	return cases, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &lineError{line: pe.Line, err: pe.Err}
	}
	return atLine(0, "%v", err)
}

func splitList(s, seps string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// checkCases normalises codes and validates every case.
func checkCases(cases []Case) error {
	seen := map[string]int{}
	for i := range cases {
		c := &cases[i]
		c.ID = strings.TrimSpace(c.ID)
		switch {
		case c.ID == "":
			return atLine(c.Line, "case has no id")
		case seen[c.ID] != 0:
			return atLine(c.Line, "duplicate id %q (first on line %d)", c.ID, seen[c.ID])
		}
		seen[c.ID] = c.Line
		hasText, hasQuestion := strings.TrimSpace(c.Text) != "", strings.TrimSpace(c.Question) != ""
		switch {
		case hasText && hasQuestion:
			return atLine(c.Line, "case %q has both text and question", c.ID)
		case hasQuestion:
			if len(c.Cite) == 0 && len(c.Needs) == 0 && c.QKind != KindOutside {
				return atLine(c.Line, "question case %q has no cite and no needs", c.ID)
			}
			for _, r := range c.Needs {
				if strings.TrimSpace(r) == "" {
					return atLine(c.Line, "question case %q has an empty need", c.ID)
				}
			}
			for _, s := range c.Cite {
				if squash(s) == "" {
					return atLine(c.Line, "question case %q has an empty cite", c.ID)
				}
			}
		case hasText:
			c.Expected = normCode(c.Expected)
			if !validCode(c.Expected) {
				return atLine(c.Line, "case %q: expected %q is not a sub-class code or OUT", c.ID, c.Expected)
			}
			for j, a := range c.Accept {
				c.Accept[j] = normCode(a)
				if !validCode(c.Accept[j]) {
					return atLine(c.Line, "case %q: accept %q is not a sub-class code or OUT", c.ID, a)
				}
			}
		default:
			return atLine(c.Line, "case %q has neither text nor question", c.ID)
		}
	}
	return nil
}

// validCode reports whether code has the shape of a sub-class code (letter I, B or K and two digits,
// the first 1–9) or is OUT.
func validCode(code string) bool {
	if code == decision.OUT {
		return true
	}
	return len(code) == 3 && strings.ContainsRune("IBK", rune(code[0])) &&
		code[1] >= '1' && code[1] <= '9' && code[2] >= '0' && code[2] <= '9'
}

// LoadReport reads a Report written as JSON (for Compare). Figures are taken as stored.
func LoadReport(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval.LoadReport: %w", err)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("eval.LoadReport: %s: %w", path, err)
	}
	return &r, nil
}
