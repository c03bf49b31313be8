package classify

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

var suggestionTests = []struct {
	name    string
	in      string
	want    llmReply
	wantErr error
}{
	{
		name: "plain object",
		in:   `{"code": "I11", "reason": "定制开发", "confidence": 0.8, "citations": ["I11.def", "I13.exclude.2"]}`,
		want: llmReply{Code: "I11", Reason: "定制开发", Confidence: 0.8, HasConfidence: true, Citations: []string{"I11.def", "I13.exclude.2"}},
	},
	{
		name: "only the required fields",
		in:   `{"code":"OUT","reason":"劳务派遣不属于服务外包"}`,
		want: llmReply{Code: "OUT", Reason: "劳务派遣不属于服务外包"},
	},
	{
		name: "extra fields ignored",
		in:   `{"code":"K21","reason":"r","alternatives":[{"code":"K22"}],"lang":"zh"}`,
		want: llmReply{Code: "K21", Reason: "r"},
	},
	{
		name: "fenced json",
		in:   "```json\n{\"code\": \"I13\", \"reason\": \"测试\"}\n```",
		want: llmReply{Code: "I13", Reason: "测试"},
	},
	{
		name: "bare fence with prose around",
		in:   "分析如下：\n```\n{\"code\": \"I13\", \"reason\": \"测试\"}\n```\n以上。",
		want: llmReply{Code: "I13", Reason: "测试"},
	},
	{
		name: "prose before and after",
		in:   `I think the answer is {"code": "J21", "reason": "call centre"} — hope that helps {really}.`,
		want: llmReply{Code: "J21", Reason: "call centre"},
	},
	{
		name: "braces inside strings",
		in:   `Answer: {"code": "I11", "reason": "uses {templates} and \"quotes\" }"} end`,
		want: llmReply{Code: "I11", Reason: `uses {templates} and "quotes" }`},
	},
	{
		name: "first object lacks fields, later one wins",
		in:   `Format: {"example": true}. Result: {"code": "I12", "reason": "r"}`,
		want: llmReply{Code: "I12", Reason: "r"},
	},
	{
		name: "wrapped in another object",
		in:   `{"result": {"code": "i21", "reason": "r"}}`,
		want: llmReply{Code: "I21", Reason: "r"},
	},
	{
		name: "think block first",
		in:   "<think>maybe {\"code\": \"I12\"} or not</think>\n{\"code\": \"I11\", \"reason\": \"r\"}",
		want: llmReply{Code: "I11", Reason: "r"},
	},
	{
		name: "json string holding the object",
		in:   `"{\"code\": \"I11\", \"reason\": \"r\"}"`,
		want: llmReply{Code: "I11", Reason: "r"},
	},
	{
		name: "trailing commas",
		in:   "{\"code\": \"I11\", \"reason\": \"a, b,\", \"citations\": [\"x\", ],\n}",
		want: llmReply{Code: "I11", Reason: "a, b,", Citations: []string{"x"}},
	},
	{
		name: "lower case code",
		in:   `{"code": "i11", "reason": "r"}`,
		want: llmReply{Code: "I11", Reason: "r"},
	},
	{
		name: "code with inner space",
		in:   `{"code": " I 11 ", "reason": "r"}`,
		want: llmReply{Code: "I11", Reason: "r"},
	},
	{
		name: "code with hyphen",
		in:   `{"code": "k-39", "reason": "r"}`,
		want: llmReply{Code: "K39", Reason: "r"},
	},
	{
		name: "code with its name",
		in:   `{"code": "I11 软件研发服务", "reason": "r"}`,
		want: llmReply{Code: "I11", Reason: "r"},
	},
	{
		name: "full-width code in brackets",
		in:   `{"code": "【Ｉ１１】", "reason": "r"}`,
		want: llmReply{Code: "I11", Reason: "r"},
	},
	{
		name: "out in lower case",
		in:   `{"code": "out", "reason": "r"}`,
		want: llmReply{Code: "OUT", Reason: "r"},
	},
	{
		name: "unknown code passes through for the rule layer",
		in:   `{"code": "i111", "reason": "r"}`,
		want: llmReply{Code: "I111", Reason: "r"},
	},
	{
		name: "empty code is a clarification, not an error",
		in:   `{"code": "", "reason": "需要更多信息"}`,
		want: llmReply{Code: "", Reason: "需要更多信息"},
	},
	{
		name: "keys in another case, reasoning for reason",
		in:   `{"Code": "I11", "Reasoning": "r", "Confidence": 1}`,
		want: llmReply{Code: "I11", Reason: "r", Confidence: 1, HasConfidence: true},
	},
	{
		name: "confidence as numeric string",
		in:   `{"code": "I11", "reason": "r", "confidence": " 0.65 "}`,
		want: llmReply{Code: "I11", Reason: "r", Confidence: 0.65, HasConfidence: true},
	},
	{
		name: "confidence as percentage",
		in:   `{"code": "I11", "reason": "r", "confidence": 85}`,
		want: llmReply{Code: "I11", Reason: "r", Confidence: 0.85, HasConfidence: true},
	},
	{
		name: "confidence as percent string",
		in:   `{"code": "I11", "reason": "r", "confidence": "70%"}`,
		want: llmReply{Code: "I11", Reason: "r", Confidence: 0.7, HasConfidence: true},
	},
	{
		name: "confidence clamped high",
		in:   `{"code": "I11", "reason": "r", "confidence": 250}`,
		want: llmReply{Code: "I11", Reason: "r", Confidence: 1, HasConfidence: true},
	},
	{
		name: "confidence clamped low",
		in:   `{"code": "I11", "reason": "r", "confidence": -0.2}`,
		want: llmReply{Code: "I11", Reason: "r", Confidence: 0, HasConfidence: true},
	},
	{
		name: "unreadable confidence dropped",
		in:   `{"code": "I11", "reason": "r", "confidence": "high"}`,
		want: llmReply{Code: "I11", Reason: "r"},
	},
	{
		name: "NaN confidence dropped",
		in:   `{"code": "I11", "reason": "r", "confidence": "NaN"}`,
		want: llmReply{Code: "I11", Reason: "r"},
	},
	{
		name: "null confidence and citations",
		in:   `{"code": "I11", "reason": "r", "confidence": null, "citations": null}`,
		want: llmReply{Code: "I11", Reason: "r"},
	},
	{
		name: "citations as objects",
		in:   `{"code": "I11", "reason": "r", "citations": [{"ref": "I11.def", "quote": "q"}, {"quote": "软件研发服务"}, {"section": "x"}, 7, " ", "I11.def"]}`,
		want: llmReply{Code: "I11", Reason: "r", Citations: []string{"I11.def", "软件研发服务"}},
	},
	{
		name: "citation as a single string",
		in:   `{"code": "I11", "reason": "r", "citations": "I11.def"}`,
		want: llmReply{Code: "I11", Reason: "r", Citations: []string{"I11.def"}},
	},
	{
		name:    "prose only",
		in:      "这个服务属于软件研发服务。",
		wantErr: ErrNoJSON,
	},
	{
		name:    "empty",
		in:      "",
		wantErr: ErrNoJSON,
	},
	{
		name:    "truncated object",
		in:      `{"code": "I11", "reason": "被 max_tokens 截断`,
		wantErr: ErrNoJSON,
	},
	{
		name:    "array, not object",
		in:      `["I11", "r"]`,
		wantErr: ErrNoJSON,
	},
	{
		name:    "missing reason",
		in:      `{"code": "I11", "confidence": 0.9}`,
		wantErr: ErrMissingField,
	},
	{
		name:    "missing code",
		in:      `{"reason": "r"}`,
		wantErr: ErrMissingField,
	},
	{
		name:    "null code",
		in:      `{"code": null, "reason": "r"}`,
		wantErr: ErrMissingField,
	},
	{
		name:    "code is a number",
		in:      `{"code": 11, "reason": "r"}`,
		wantErr: ErrInvalidField,
	},
	{
		name:    "reason is an object",
		in:      `{"code": "I11", "reason": {"text": "r"}}`,
		wantErr: ErrInvalidField,
	},
}

func TestParseReply(t *testing.T) {
	for _, tt := range suggestionTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseReply(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("parseReply err = %v, want %v", err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "classify.parseReply: ") {
					t.Errorf("err = %q, want the op prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseReply: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseReply =\n  %+v\nwant\n  %+v", got, tt.want)
			}
		})
	}
}

func TestNormalizeCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"I11", "I11"},
		{"i11", "I11"},
		{"I 11", "I11"},
		{" j_21 ", "J21"},
		{"Ｋ３９", "K39"},
		{"I11.", "I11"},
		{"I11（软件研发服务）", "I11"},
		{"\"I11\"", "I11"},
		{"Out", "OUT"},
		{"OUT: 劳务派遣", "OUT"},
		{"outsourcing", "OUTSOURCING"},
		{"ITO", "ITO"},
		{"i1", "I1"},
		{"I111", "I111"},
		{"I 1 1", "I11"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := normalizeCode(tt.in); got != tt.want {
			t.Errorf("normalizeCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseReply(f *testing.F) {
	for _, tt := range suggestionTests {
		f.Add(tt.in)
	}
	f.Add(strings.Repeat("{", 200) + `"code":"I11","reason":"r"` + strings.Repeat("}", 200))
	f.Add(`{"code":"I11","reason":"r",,}`)
	f.Fuzz(func(t *testing.T, in string) {
		s, err := parseReply(in)
		if err != nil {
			if !errors.Is(err, ErrNoJSON) && !errors.Is(err, ErrMissingField) && !errors.Is(err, ErrInvalidField) {
				t.Fatalf("parseReply(%q) err = %v, want one of the sentinels", in, err)
			}
			if !reflect.DeepEqual(s, llmReply{}) {
				t.Fatalf("parseReply(%q) = %+v with an error, want zero", in, s)
			}
			return
		}
		if s.Confidence < 0 || s.Confidence > 1 || (!s.HasConfidence && s.Confidence != 0) {
			t.Fatalf("parseReply(%q) confidence = %v (has %v), want in [0,1], 0 when absent", in, s.Confidence, s.HasConfidence)
		}
		if s.Code != normalizeCode(s.Code) {
			t.Fatalf("parseReply(%q) code %q is not normalized (%q)", in, s.Code, normalizeCode(s.Code))
		}
		for _, c := range s.Citations {
			if c == "" || c != strings.TrimSpace(c) {
				t.Fatalf("parseReply(%q) citation %q is empty or untrimmed", in, c)
			}
		}
	})
}
