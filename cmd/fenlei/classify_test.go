package main

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	"fenlei/decision"
)

// jsonLine marshals v as one JSON line (without HTML escaping, as a script would write it).
func jsonLine(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// outLine is what we expect of one output line.
type outLine struct {
	id      string // the echoed id ("" = none)
	code    string // expected code when no error; "*" = any valid code
	errHas  string // a substring of "error"; "" = no error
	lenient bool   // id check only (code may vary)
}

func TestClassifyJSONL(t *testing.T) {
	big := jsonLine(t, map[string]string{"id": "big", "text": strings.Repeat("软件开发", 512<<10)}) // 2 MiB of text
	tests := []struct {
		name string
		in   []string // input lines, joined with "\n"
		want []outLine
	}{
		{
			name: "string ids in order",
			in: []string{
				`{"id":"a","text":"我们给银行做手机APP"}`,
				`{"id":"b","text":"劳务派遣"}`,
				`{"id":"c","text":"we build mobile apps for banks"}`,
			},
			want: []outLine{{id: "a", code: "I11"}, {id: "b", code: "OUT"}, {id: "c", code: "I11"}},
		},
		{
			name: "numeric ids",
			in: []string{
				`{"id":1,"text":"我们给银行做手机APP"}`,
				`{"id":2,"text":"劳务派遣"}`,
				`{"id":30,"text":"我们给银行做手机APP"}`,
			},
			want: []outLine{{id: "1", code: "I11"}, {id: "2", code: "OUT"}, {id: "30", code: "I11"}},
		},
		{
			name: "no id",
			in:   []string{`{"text":"我们给银行做手机APP"}`},
			want: []outLine{{id: "", code: "I11"}},
		},
		{
			name: "extra fields ignored",
			in:   []string{`{"id":"x","text":"我们给银行做手机APP","expected":"I11","tags":["a"],"lang":"zh"}`},
			want: []outLine{{id: "x", code: "I11"}},
		},
		{
			name: "CRLF line endings",
			in:   []string{"{\"id\":\"r1\",\"text\":\"我们给银行做手机APP\"}\r", "{\"id\":\"r2\",\"text\":\"劳务派遣\"}\r"},
			want: []outLine{{id: "r1", code: "I11"}, {id: "r2", code: "OUT"}},
		},
		{
			// Output line N answers input line N: a blank line gets an error line. The final "" is
			// the text after the last newline, which is not a line.
			name: "blank lines get error lines",
			in:   []string{"", `{"id":"a","text":"我们给银行做手机APP"}`, "   ", "\t", `{"id":"b","text":"劳务派遣"}`, ""},
			want: []outLine{{errHas: "blank"}, {id: "a", code: "I11"}, {errHas: "blank"}, {errHas: "blank"}, {id: "b", code: "OUT"}},
		},
		{
			name: "whitespace after the last newline is not a line",
			in:   []string{`{"id":"a","text":"劳务派遣"}`, "  \t "},
			want: []outLine{{id: "a", code: "OUT"}},
		},
		{
			name: "byte-order mark before the first line",
			in:   []string{"\ufeff" + `{"id":"bom","text":"劳务派遣"}`, `{"id":"b","text":"劳务派遣"}`},
			want: []outLine{{id: "bom", code: "OUT"}, {id: "b", code: "OUT"}},
		},
		{
			name: "wrong types keep the id",
			in:   []string{`{"id":7,"text":42}`, `{"id":"s","text":["软件"]}`, `{"id":{"x":1},"text":"软件开发"}`},
			want: []outLine{{id: "7", errHas: `"text" must be a string`}, {id: "s", errHas: `"text" must be a string`}, {errHas: `"id" must be a string or a number`}},
		},
		{
			name: "odd text is normalised",
			in: []string{`{"id":"zw","text":"我们给银行做手\u200b机A\u200dPP"}`, `{"id":"tw","text":"軟體測試服務，為客戶產品上線前做測試"}`,
				`{"id":"emoji","text":"😀🎉"}`, `{"id":"fw","text":"ｗｅ　ｂｕｉｌｄ　ｍｏｂｉｌｅ　ａｐｐｓ　ｆｏｒ　ｂａｎｋｓ"}`},
			want: []outLine{{id: "zw", code: "I11"}, {id: "tw", code: "I11"}, {id: "emoji", errHas: "empty"}, {id: "fw", code: "I11"}},
		},
		{
			name: "bad lines get an error line and the run goes on",
			in: []string{
				`{"id":"ok1","text":"我们给银行做手机APP"}`,
				`{"id":"broken","text":`,                   // invalid JSON
				`not json at all`,                          // invalid JSON
				`{"id":"m"}`,                               // missing text
				`{"id":"n","text":null}`,                   // null text
				`{"id":"e","text":""}`,                     // empty text
				`{"id":"w","text":"   "}`,                  // blank text
				`{"id":"bin","text":"\u0000\u0001\u0002"}`, // binary text
				"\x00\x01\x02\xff\xfe\x7f garbage \x1b[0m", // a binary line
				big, // a 2 MiB line
				`{"id":"long","text":"` + strings.Repeat("软", 10001) + `"}`, // over 10,000 characters
				`[1,2,3]`,         // JSON, not an object
				`"just a string"`, // JSON, not an object
				`{"id":"ok2","text":"劳务派遣"}`,
			},
			want: []outLine{
				{id: "ok1", code: "I11"},
				{errHas: "invalid JSON"},
				{errHas: "invalid JSON"},
				{id: "m", errHas: `"text" is missing`},
				{id: "n", errHas: `"text" is missing`},
				{id: "e", errHas: "empty"},
				{id: "w", errHas: "empty"},
				{id: "bin", errHas: "could not be read"},
				{errHas: "invalid JSON"},
				{errHas: "1048576 bytes"},
				{id: "long", errHas: "消息太长"}, // the text is Chinese: so is its error
				{errHas: "not a JSON object"},
				{errHas: "not a JSON object"},
				{id: "ok2", code: "OUT"},
			},
		},
		{
			name: "last line without newline",
			in:   []string{`{"id":"a","text":"劳务派遣"}`, `{"id":"b","text":"我们给银行做手机APP"}`},
			want: []outLine{{id: "a", code: "OUT"}, {id: "b", code: "I11"}},
		},
		{
			name: "empty input",
			in:   nil,
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runFenlei(t, invocation{args: []string{"classify", "--jsonl"}, stdin: strings.Join(tt.in, "\n")})
			if got.err != nil {
				t.Fatalf("run: %v\nstderr: %s", got.err, got.stderr)
			}
			lines := outputLines(t, got.stdout)
			if len(lines) != len(tt.want) {
				t.Fatalf("%d output lines, want %d:\n%s", len(lines), len(tt.want), got.stdout)
			}
			for i, w := range tt.want {
				d := parseDecision(t, []byte(lines[i]))
				if d.ID != w.id {
					t.Errorf("line %d: id = %q, want %q", i+1, d.ID, w.id)
				}
				if w.errHas != "" {
					if !strings.Contains(d.Error, w.errHas) {
						t.Errorf("line %d: error = %q, want it to mention %q", i+1, d.Error, w.errHas)
					}
					if d.Code != "" {
						t.Errorf("line %d: error line has code %q", i+1, d.Code)
					}
					continue
				}
				if d.Error != "" {
					t.Errorf("line %d: unexpected error %q", i+1, d.Error)
				}
				if w.code != "*" && d.Code != w.code {
					t.Errorf("line %d: code = %q, want %q", i+1, d.Code, w.code)
				}
				if d.Engine != "offline" {
					t.Errorf("line %d: engine = %q, want offline", i+1, d.Engine)
				}
			}
		})
	}
}

// outputLines splits JSON-lines output and checks that every line is one JSON object.
func outputLines(t *testing.T, out string) []string {
	t.Helper()
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		l := sc.Text()
		if !json.Valid([]byte(l)) || !strings.HasPrefix(l, "{") {
			t.Fatalf("output line %d is not a JSON object: %.200q", len(lines)+1, l)
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if out != "" && !strings.HasSuffix(out, "\n") {
		t.Errorf("output does not end with a newline")
	}
	return lines
}

// TestClassifyJSONLIDs checks that the id is echoed as the value the caller sent.
func TestClassifyJSONLIDs(t *testing.T) {
	tests := []struct {
		name, line, want string
		known            string
	}{
		{name: "plain string", line: `{"id":"abc-1","text":"劳务派遣"}`, want: "abc-1"},
		{name: "chinese string", line: `{"id":"第一条","text":"劳务派遣"}`, want: "第一条"},
		{name: "integer", line: `{"id":42,"text":"劳务派遣"}`, want: "42"},
		{name: "string with a quote", line: `{"id":"a\"b","text":"劳务派遣"}`, want: `a"b`,
			known: `a string id is echoed as its raw JSON: {"id":"a\"b"} comes back as a\"b`},
		{name: "string with a unicode escape", line: `{"id":"\u6d4b1","text":"劳务派遣"}`, want: "测1",
			known: `a string id is echoed as its raw JSON: {"id":"\u6d4b1"} comes back as \u6d4b1, not 测1`},
		{name: "null id", line: `{"id":null,"text":"劳务派遣"}`, want: "",
			known: `{"id":null} is echoed as the string "null"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runFenlei(t, invocation{args: []string{"classify"}, stdin: tt.line + "\n"})
			if got.err != nil {
				t.Fatal(got.err)
			}
			lines := outputLines(t, got.stdout)
			if len(lines) != 1 {
				t.Fatalf("%d lines, want 1", len(lines))
			}
			d := parseDecision(t, []byte(lines[0]))
			if d.ID != tt.want {
				if tt.known != "" {
					t.Error(tt.known)
				}
				t.Errorf("id = %q, want %q", d.ID, tt.want)
			}
		})
	}
}

// TestClassifyJSONLErrorMessages checks that error lines do not show Go internals to scripts.
func TestClassifyJSONLErrorMessages(t *testing.T) {
	got := runFenlei(t, invocation{args: []string{"classify"}, stdin: "[1,2]\n{\"id\":5,\"text\":7}\n"})
	if got.err != nil {
		t.Fatal(got.err)
	}
	for i, l := range outputLines(t, got.stdout) {
		d := parseDecision(t, []byte(l))
		if d.Error == "" {
			t.Errorf("line %d: no error", i+1)
		}
		if strings.Contains(d.Error, "Go value") || strings.Contains(d.Error, "json.RawMessage") {
			t.Errorf("error line shows Go internals: %q", d.Error)
		}
	}
}

// TestClassifyJSONLCancelled checks that a cancelled context stops the run with the context's error.
func TestClassifyJSONLCancelled(t *testing.T) {
	ctx, cancel := contextWithCancel(t)
	cancel()
	var stdout, stderr strings.Builder
	in := strings.Repeat(`{"id":"a","text":"我们给银行做手机APP"}`+"\n", 3)
	err := run(ctx, []string{"classify"}, strings.NewReader(in), &stdout, &stderr, func(string) string { return "" })
	if err == nil {
		t.Fatalf("run with a cancelled context: err = nil, want the context error")
	}
	if n := strings.Count(stdout.String(), "\n"); n > 1 {
		t.Errorf("%d lines written after cancellation, want at most 1", n)
	}
}

// TestClassifyJSONLWorkers: lines classified in parallel come out in input order, the same as one at a time.
func TestClassifyJSONLWorkers(t *testing.T) {
	texts := []string{"我们给银行做手机APP", "劳务派遣", "", "we build mobile apps for banks", `not json`, "软件测试服务", "呼叫中心外包"}
	var in strings.Builder
	for i := range 35 {
		if texts[i%len(texts)] == "" || texts[i%len(texts)] == "not json" {
			in.WriteString(texts[i%len(texts)] + "\n")
			continue
		}
		in.WriteString(jsonLine(t, map[string]any{"id": i, "text": texts[i%len(texts)]}) + "\n")
	}
	one := runFenlei(t, invocation{args: []string{"classify", "--workers", "1"}, stdin: in.String()})
	four := runFenlei(t, invocation{args: []string{"classify", "--workers", "4"}, stdin: in.String()})
	if one.err != nil || four.err != nil {
		t.Fatalf("errors: %v, %v", one.err, four.err)
	}
	if n := len(outputLines(t, four.stdout)); n != 35 {
		t.Fatalf("%d output lines, want 35", n)
	}
	if one.stdout != four.stdout {
		t.Errorf("--workers 4 output differs from --workers 1:\n%s\n---\n%s", four.stdout, one.stdout)
	}
}

// FuzzParseJSONLine: any line gives a text or a user-facing error, never a panic; a line that has a
// string or numeric id keeps it.
func FuzzParseJSONLine(f *testing.F) {
	for _, s := range []string{`{"id":"a","text":"软件"}`, `{"id":7,"text":42}`, `[1,2]`, `{"text":null}`, `"s"`, `{`,
		"\ufeff{}", `{"id":{"x":1},"text":"a"}`, `{"id":1e3,"text":""}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		id, text, err := parseJSONLine(line)
		if err != nil {
			if err.Message("zh") == "" || err.Message("en") == "" {
				t.Fatalf("error without a message for %q", line)
			}
			if text != "" {
				t.Fatalf("text %q returned with an error", text)
			}
			return
		}
		var v struct {
			ID   json.RawMessage `json:"id"`
			Text string          `json:"text"`
		}
		if e := json.Unmarshal([]byte(line), &v); e != nil || v.Text != text {
			t.Fatalf("parsed %q as text %q, json says %q (%v)", line, text, v.Text, e)
		}
		if want, _ := decision.RequestID(v.ID); want != id {
			t.Fatalf("id %q, want %q", id, want)
		}
	})
}
