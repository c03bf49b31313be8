package classify

import (
	"strings"
	"testing"
)

func TestReasonStream(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   string
	}{
		{"one piece", []string{`{"code":"I11","reason":"定制开发","confidence":0.9}`}, "定制开发"},
		{"key split", []string{`{"code":"I11","rea`, `son": "abc`, `def", "x":1}`}, "abcdef"},
		{"escapes", []string{`{"reason":"a\"b\\c\nd\u4e2d"}`}, "a\"b\\c\nd中"},
		{"escape split", []string{`{"reason":"a\`, `"b\u4e`, `2d"}`}, "a\"b中"},
		{"fenced", []string{"```json\n{\"code\": \"B11\", \"reason\": \"薪酬", "外包\"}\n```"}, "薪酬外包"},
		{"no reason", []string{`{"code":"I11"}`}, ""},
		{"prose", []string{`I think it is I11 because reason`}, ""},
		{"reason after code in text", []string{`{"code":"I11","reason":"x"} trailing "reason": "y"`}, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got strings.Builder
			r := &reasonStream{out: func(s string) { got.WriteString(s) }}
			for _, c := range tt.chunks {
				r.write(c)
			}
			if got.String() != tt.want {
				t.Errorf("got %q, want %q", got.String(), tt.want)
			}
		})
	}
}

func FuzzReasonStream(f *testing.F) {
	f.Add(`{"reason":"abc\u4e2d"}`, 3)
	f.Add(`{"code":"I11","reason":"a\"b"}`, 1)
	f.Fuzz(func(t *testing.T, s string, cut int) {
		r := &reasonStream{out: func(string) {}}
		if cut < 0 {
			cut = -cut
		}
		if len(s) > 0 {
			cut %= len(s)
		}
		r.write(s[:cut])
		r.write(s[cut:])
	})
}
