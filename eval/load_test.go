package eval

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFile(t *testing.T) {
	tests := []struct {
		name, file, content string
		want                []Case
	}{
		{
			name: "jsonl",
			file: "cases.jsonl",
			content: `{"id": "c1", "text": "手机APP开发", "expected": "I11", "accept": ["I14"], "tags": ["zh"], "lang": "zh", "reason": "r", "extra": 1}

{"id": "q1", "question": "交易平台注册要交哪些材料？", "cite": ["注册信息表"]}
{"id":"c2","text":"payroll","expected":" b21 "}
`,
			want: []Case{
				{ID: "c1", Text: "手机APP开发", Expected: "I11", Accept: []string{"I14"}, Tags: []string{"zh"}, Lang: "zh", Reason: "r", Line: 1},
				{ID: "q1", Question: "交易平台注册要交哪些材料？", Cite: []string{"注册信息表"}, Line: 3},
				{ID: "c2", Text: "payroll", Expected: "B21", Line: 4},
			},
		},
		{
			name: "json array",
			file: "cases.json",
			content: `[
  {"id": "c1", "text": "a", "expected": "OUT"},
  {"id": "c2",
   "text": "b", "expected": "K31"}
]`,
			want: []Case{
				{ID: "c1", Text: "a", Expected: "OUT", Line: 2},
				{ID: "c2", Text: "b", Expected: "K31", Line: 3},
			},
		},
		{
			name:    "json lines in .json",
			file:    "cases.json",
			content: "{\"id\": \"c1\", \"text\": \"a\", \"expected\": \"I11\"}\n",
			want:    []Case{{ID: "c1", Text: "a", Expected: "I11", Line: 1}},
		},
		{
			name: "csv",
			file: "cases.csv",
			content: "\ufeffText,ID,Expected,accept,tags,note\n" +
				"\"软件测试, 第三方\",c1,i13,I11;I14,zh|hard,ignored\n" +
				"\"two\nlines\",c2,OUT,,,\n" +
				"plain,c3,B21,B22 | B23,,\n",
			want: []Case{
				{ID: "c1", Text: "软件测试, 第三方", Expected: "I13", Accept: []string{"I11", "I14"}, Tags: []string{"zh", "hard"}, Line: 2},
				{ID: "c2", Text: "two\nlines", Expected: "OUT", Line: 3},
				{ID: "c3", Text: "plain", Expected: "B21", Accept: []string{"B22", "B23"}, Line: 5},
			},
		},
		{
			name:    "csv question",
			file:    "q.csv",
			content: "id,text,expected,question,cite\nq1,,,什么是服务外包？,服务提供商|生产性经济活动\n",
			want:    []Case{{ID: "q1", Question: "什么是服务外包？", Cite: []string{"服务提供商", "生产性经济活动"}, Line: 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadFile(writeFile(t, tt.file, tt.content))
			if err != nil {
				t.Fatalf("LoadFile: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("LoadFile:\ngot  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name, file, content string
		want                string // substring of the error
	}{
		{"bad json line", "c.jsonl", "{\"id\":\"c1\",\"text\":\"a\",\"expected\":\"I11\"}\n\n{\"id\": \"c2\", \"text\": \n", "c.jsonl:3: bad JSON"},
		{"two values on a line", "c.jsonl", "{\"id\":\"c1\",\"text\":\"a\",\"expected\":\"I11\"} {}\n", "c.jsonl:1: bad JSON: more than one value"},
		{"wrong type", "c.jsonl", "{\"id\":\"c1\",\"text\":\"a\",\"expected\":\"I11\",\"accept\":\"I12\"}\n", "c.jsonl:1: bad JSON"},
		{"no id", "c.jsonl", "{\"id\":\"c1\",\"text\":\"a\",\"expected\":\"I11\"}\n{\"text\":\"b\",\"expected\":\"I11\"}\n", "c.jsonl:2: case has no id"},
		{"duplicate id", "c.jsonl", "{\"id\":\"c1\",\"text\":\"a\",\"expected\":\"I11\"}\n{\"id\":\"c1\",\"text\":\"b\",\"expected\":\"I12\"}\n", `c.jsonl:2: duplicate id "c1" (first on line 1)`},
		{"middle class expected", "c.jsonl", "{\"id\":\"c1\",\"text\":\"a\",\"expected\":\"I1\"}\n", `c.jsonl:1: case "c1": expected "I1" is not`},
		{"no expected", "c.jsonl", "{\"id\":\"c1\",\"text\":\"a\"}\n", `expected "" is not`},
		{"bad accept", "c.jsonl", "{\"id\":\"c1\",\"text\":\"a\",\"expected\":\"I11\",\"accept\":[\"X99\"]}\n", `accept "X99"`},
		{"text and question", "c.jsonl", "{\"id\":\"c1\",\"text\":\"a\",\"question\":\"b\",\"cite\":[\"x\"]}\n", "both text and question"},
		{"question without cite", "c.jsonl", "{\"id\":\"q1\",\"question\":\"b\"}\n", `c.jsonl:1: question case "q1" has no cite`},
		{"blank cite", "c.jsonl", "{\"id\":\"q1\",\"question\":\"b\",\"cite\":[\" \"]}\n", "empty cite"},
		{"neither", "c.jsonl", "{\"id\":\"c1\",\"expected\":\"I11\"}\n", "neither text nor question"},
		{"bad json array element", "c.json", "[\n{\"id\":\"c1\",\"text\":\"a\",\"expected\":\"I11\"},\n{\"id\": 5}\n]", "c.json:3: bad JSON"},
		{"unterminated array", "c.json", "[\n{\"id\":\"c1\",\"text\":\"a\",\"expected\":\"I11\"}\n", "c.json:"},
		{"csv missing column", "c.csv", "id,text\nc1,a\n", `c.csv:1: CSV header lacks column "expected"`},
		{"csv short row", "c.csv", "id,text,expected\nc1,a,I11\nc2,b\n", "c.csv:3: CSV row has 2 fields, header has 3"},
		{"csv bad quote", "c.csv", "id,text,expected\nc1,a,I11\nc2,\"b\"x,I11\n", "c.csv:3:"},
		{"csv bad code", "c.csv", "id,text,expected\nc1,a,I11\nc2,b,软件\n", `c.csv:3: case "c2": expected "软件"`},
		{"csv empty", "c.csv", "", "c.csv:1: empty CSV"},
		{"extension", "c.txt", "x", `unknown extension ".txt"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadFile(writeFile(t, tt.file, tt.content))
			if err == nil {
				t.Fatalf("LoadFile = %+v, want error containing %q", got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "eval.LoadFile: ") {
				t.Errorf("error = %q, want it to start with eval.LoadFile and contain %q", err, tt.want)
			}
		})
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing.jsonl")); err == nil {
		t.Errorf("LoadFile(missing) succeeded, want error")
	}
}

// TestLoadRepoCases checks that the case files shipped in testdata load.
func TestLoadRepoCases(t *testing.T) {
	for _, p := range []string{"testdata/cases.jsonl", "testdata/questions.jsonl", "testdata/guidance/q1.jsonl", "testdata/guidance/q2.jsonl"} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			if _, err := os.Stat(p); err != nil {
				t.Skipf("no %s", p)
			}
			cases, err := LoadFile(p)
			if err != nil {
				t.Fatalf("LoadFile: %v", err)
			}
			if len(cases) == 0 {
				t.Errorf("LoadFile(%s) = no cases", p)
			}
		})
	}
}
