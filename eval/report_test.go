package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"fenlei/decision"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

// sampleReport is nineCases plus tags, latencies, usage, reasons and two question cases.
func sampleReport() *Report {
	rs := nineCases()
	for i := range rs {
		rs[i].LatencyMS = float64(10 * (i + 1))
		rs[i].Case.Tags = []string{"zh"}
		rs[i].Decision.Reason = "理由 " + rs[i].Case.ID
	}
	rs[0].Case.Tags = []string{"english"}
	rs[1].Case.Text = `<script>alert("x")</script> we build apps`
	rs[1].Decision.Citations = cite("软件研发服务 <b>定制</b>", "编造").Citations
	rs[1].Decision.Reason = `<img src=x onerror=alert(1)>`
	rs[1].Decision.Usage = &decision.Usage{PromptTokens: 1200, CompletionTokens: 80}
	q1 := res(qcase("q1", "交易平台"), cite("服务外包交易平台"))
	q1.LatencyMS = 5
	q2 := res(qcase("q2", "统计"), cite("交易平台"))
	q2.Decision.Answer = "答案 & <more>"
	q2.LatencyMS = 7
	rs = append(rs, q1, q2)
	return Score(rs, func(q string) bool { return !strings.Contains(q, "编造") })
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./eval -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (run go test ./eval -update if the change is intended)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestWriteTextGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteText(&buf); err != nil {
		t.Fatalf("WriteText: %v", err)
	}
	golden(t, "report.txt", buf.Bytes())
}

// A cross-validation's routing figures are printed only when the run has them.
func TestWriteTextRoutingCV(t *testing.T) {
	r := sampleReport()
	var without bytes.Buffer
	if err := r.WriteText(&without); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(without.String(), "routing cv") {
		t.Errorf("a report without routing cross-validation prints it")
	}
	r.RoutingCV = []RouteScore{NewRouteScore("question", 97, 100), NewRouteScore("binary", 0, 0)}
	var with bytes.Buffer
	if err := r.WriteText(&with); err != nil {
		t.Fatal(err)
	}
	squashed := strings.Join(strings.Fields(with.String()), " ") // tabwriter pads columns
	for _, want := range []string{"routing cv: question 0.970 (97 of 100 texts", "routing cv: binary 0.000 (0 of 0 texts"} {
		if !strings.Contains(squashed, want) {
			t.Errorf("report does not print %q:\n%s", want, with.String())
		}
	}
}

func TestWriteHTML(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteHTML(&buf); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, "</html>") {
		t.Errorf("output is not a whole HTML page")
	}
	// Balanced elements.
	for _, tag := range []string{"html", "head", "body", "svg", "figure", "table", "div", "style", "g", "blockquote"} {
		open := len(regexp.MustCompile(`<`+tag+`[\s>]`).FindAllString(out, -1))
		closed := strings.Count(out, "</"+tag+">")
		if open != closed || (open == 0 && tag != "g") {
			t.Errorf("<%s> opened %d times, closed %d times", tag, open, closed)
		}
	}
	if n := strings.Count(out, "<svg"); n != 3 {
		t.Errorf("found %d <svg> charts, want 3", n)
	}
	for _, bad := range []string{"<script", "<img", "<b>定制", "<more>", "<link", "@import", "url("} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains %q: case or Decision text is not escaped, or an external asset is referenced", bad)
		}
	}
	for _, want := range []string{
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; we build apps",
		"&lt;img src=x onerror=alert(1)&gt;",
		"软件研发服务 &lt;b&gt;定制&lt;/b&gt;",
		"答案 &amp; &lt;more&gt;",
		"not verbatim",
		`<blockquote class="bad">编造`,
		"<polyline points=",
		"I13 → I11: 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if attr := regexp.MustCompile(`<[^>]*\s(src|href|on[a-z]+)=`).FindString(out); attr != "" {
		t.Errorf("output has an element with a src, href or event attribute: %q", attr)
	}
	// The only URL is the SVG namespace.
	if urls := regexp.MustCompile(`https?://[^"\s]+`).FindAllString(out, -1); len(urls) != 3 || urls[0] != "http://www.w3.org/2000/svg" {
		t.Errorf("URLs in output = %v, want the SVG namespace only", urls)
	}
}

func TestWriteHTMLEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := Score(nil, nil).WriteHTML(&buf); err != nil {
		t.Fatalf("WriteHTML(empty): %v", err)
	}
	if !strings.Contains(buf.String(), "no classification cases") {
		t.Errorf("empty report lacks the empty-matrix note")
	}
}

func TestReportJSON(t *testing.T) {
	rep := sampleReport()
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	for _, k := range []string{"cases", "classification_cases", "question_cases", "accuracy", "out", "abstained",
		"abstention_rate", "answered", "answered_accuracy", "coverage", "ece", "calibration", "per_class", "macro_f1",
		"confusion", "per_tag", "citations", "questions", "latency", "tokens", "error_count", "errors", "failures", "results"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON report lacks %q", k)
		}
	}
	for _, want := range []string{`"sub":{"top1":`, `"p95_ms":`, `"prompt_per_case":`, `"hit_rate":`, `"out":{"precision":0.5,"recall":0.5`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("JSON report lacks %s", want)
		}
	}

	// Round trip through a file.
	path := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadReport(path)
	if err != nil {
		t.Fatalf("LoadReport: %v", err)
	}
	if !reflect.DeepEqual(got, rep) {
		t.Errorf("LoadReport(Marshal(r)) differs from r")
	}
	// Re-scoring the loaded results gives the same figures.
	if again := Score(got.Results, nil); again.Accuracy != rep.Accuracy || again.ECE != rep.ECE {
		t.Errorf("re-scored figures differ: %+v vs %+v", again.Accuracy, rep.Accuracy)
	}
	if _, err := LoadReport(writeFile(t, "bad.json", "{")); err == nil {
		t.Errorf("LoadReport(bad JSON) succeeded, want error")
	}
}

func TestCompare(t *testing.T) {
	prev := Score([]Result{
		res(cls("a", "I11"), dec("I11", 1)), // right → wrong: broke
		res(cls("b", "I11"), dec("I12", 1)), // wrong → right: fixed
		res(cls("c", "I11"), dec("I11", 1)), // right → right
		res(cls("d", "I11"), dec("I12", 1)), // wrong → wrong
		res(cls("gone", "OUT"), dec("OUT", 1)),
	}, nil)
	cur := Score([]Result{
		res(cls("new", "OUT"), dec("I11", 1)),
		res(cls("d", "I11"), dec("I13", 1)),
		res(cls("c", "I11"), dec("I11", 1)),
		res(cls("b", "I11"), dec("I11", 1)),
		failed(cls("a", "I11"), "boom"),
	}, nil)
	d := Compare(prev, cur)
	want := Diff{Fixed: []string{"b"}, Broke: []string{"a"}, Added: []string{"new"}, Removed: []string{"gone"}}
	if !reflect.DeepEqual(d.Fixed, want.Fixed) || !reflect.DeepEqual(d.Broke, want.Broke) ||
		!reflect.DeepEqual(d.Added, want.Added) || !reflect.DeepEqual(d.Removed, want.Removed) {
		t.Errorf("Compare = fixed %v broke %v added %v removed %v, want %v %v %v %v",
			d.Fixed, d.Broke, d.Added, d.Removed, want.Fixed, want.Broke, want.Added, want.Removed)
	}
	if f := d.Figures[0]; f.Name != "top1" || f.Prev != 0.6 || f.Cur != 0.4 {
		t.Errorf("Figures[0] = %+v, want top1 0.6 -> 0.4", f)
	}
	var buf bytes.Buffer
	if err := d.WriteText(&buf); err != nil {
		t.Fatalf("WriteText: %v", err)
	}
	for _, line := range []string{
		"top1                       0.600 ->   0.400  (-0.200)\n",
		"fixed (1): b\n", "broke (1): a\n", "added (1): new\n", "removed (1): gone\n",
	} {
		if !strings.Contains(buf.String(), line) {
			t.Errorf("Diff.WriteText lacks %q:\n%s", line, buf.String())
		}
	}
	same := Compare(cur, cur)
	if len(same.Fixed)+len(same.Broke)+len(same.Added)+len(same.Removed) != 0 {
		t.Errorf("Compare(r, r) = %+v, want no changes", same)
	}
	buf.Reset()
	if err := same.WriteText(&buf); err != nil || !strings.Contains(buf.String(), "fixed (0): none\n") || strings.Contains(buf.String(), "added") {
		t.Errorf("Compare(r, r).WriteText = %q, %v", buf.String(), err)
	}
}

func TestBaseline(t *testing.T) {
	rep := Score(nineCases(), nil) // top1 3/9, top3 6/9, out recall 1/2
	tests := []struct {
		name     string
		b        Baseline
		wantErr  bool
		contains []string
		absent   []string
	}{
		{"all met", Baseline{Top1: 0.3, Top3: 0.6, OutRecall: 0.5}, false, nil, nil},
		{"exactly met", Baseline{Top1: 3.0 / 9, Top3: 6.0 / 9, OutRecall: 0.5}, false, nil, nil},
		{"zero checks nothing", Baseline{}, false, nil, nil},
		{"top1 and out recall low", Baseline{Top1: 0.5, Top3: 0.6, OutRecall: 0.75},
			true, []string{"top1 0.333 < 0.500", "out_recall 0.500 < 0.750"}, []string{"top3"}},
		{"all low", Baseline{Top1: 0.9, Top3: 0.9, OutRecall: 0.9},
			true, []string{"top1 ", "top3 0.667 < 0.900", "out_recall "}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.b.Check(rep)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Check = %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if !errors.Is(err, ErrBelowBaseline) {
				t.Errorf("Check error %v does not wrap ErrBelowBaseline", err)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Check error %q lacks %q", err, s)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(err.Error(), s) {
					t.Errorf("Check error %q names %q, which met its baseline", err, s)
				}
			}
		})
	}
}

func TestLoadBaseline(t *testing.T) {
	got, err := LoadBaseline(writeFile(t, "b.json", `{"top1": 0.8, "top3": 0.9, "out_recall": 0.7}`))
	if err != nil {
		t.Fatalf("LoadBaseline: %v", err)
	}
	if want := (Baseline{Top1: 0.8, Top3: 0.9, OutRecall: 0.7}); got != want {
		t.Errorf("LoadBaseline = %+v, want %+v", got, want)
	}
	if _, err := LoadBaseline(writeFile(t, "b.json", `{"top_1": 0.8}`)); err == nil {
		t.Errorf("LoadBaseline(misspelt field) succeeded, want error")
	}
	if _, err := LoadBaseline(filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Errorf("LoadBaseline(missing) succeeded, want error")
	}
}
