package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/textin"
)

// fakeClassifier answers from a table keyed by text; unknown texts get I11, "boom" an error.
type fakeClassifier map[string]decision.Decision

func (f fakeClassifier) Classify(ctx context.Context, text string) (decision.Decision, error) {
	if text == "boom" {
		return decision.Decision{}, errors.New("engine down")
	}
	if d, ok := f[text]; ok {
		return d, nil
	}
	return classified("I11"), nil
}

func classified(code string) decision.Decision {
	return decision.Decision{Code: code, Name: "名称" + code, Confidence: 0.8, Reason: "因为 " + code,
		Citations: []decision.Citation{{Ref: code + ".def"}}, Checks: []decision.Check{{Rule: "exclusion", Ref: "X.exclude.1"}}}
}

var fake = fakeClassifier{
	"开发软件":   classified("I11"),
	"测试服务":   classified("I13"),
	"呼叫中心":   classified("B23"),
	"劳务派遣":   classified(decision.OUT),
	"驻场维护电脑": {Question: "更接近 I21 还是 I22？", Answer: "需要更多信息"},
}

var classes = []corpus.Class{
	{Code: "I11", Level: corpus.Sub}, {Code: "I13", Level: corpus.Sub}, {Code: "I21", Level: corpus.Sub},
	{Code: "B23", Level: corpus.Sub}, {Code: "K22", Level: corpus.Sub}, {Code: "I1", Level: corpus.Middle},
}

func TestFindColumns(t *testing.T) {
	gbk, _ := simplifiedchinese.GB18030.NewEncoder().String("企业名称,合同名称或业务描述,申报代码,合同金额\n甲公司,开发软件,I11,5\n")
	for _, tc := range []struct {
		name, csv string
		wantLang  string
		wantDesc  string // description of the first row
		wantErr   bool
	}{
		{"chinese", "企业名称,合同名称或业务描述,申报代码,合同金额,合同编号\n甲公司,开发软件,I11,5,C1\n", "zh", "开发软件", false},
		{"english, other order", "Declared Code,Amount,Description,Enterprise\nI11,5,develop software,A Ltd\n", "en", "develop software", false},
		{"title row and units", "2025年申报表,,,\n企业名称,业务描述,申报代码,合同金额（万美元）\n甲公司,开发软件,I11,5\n", "zh", "开发软件", false},
		{"BOM", "\ufeff企业名称,合同名称或业务描述,申报代码,合同金额\n甲公司,开发软件,I11,5\n", "zh", "开发软件", false},
		{"GB18030 from Excel", gbk, "zh", "开发软件", false},
		{"tabs", "企业名称\t合同名称或业务描述\t申报代码\t合同金额\n甲公司\t开发软件\tI11\t5\n", "zh", "开发软件", false},
		{"no declared code column", "企业名称,合同名称或业务描述,合同金额\n甲公司,开发软件,5\n", "", "", true},
		{"empty", "", "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := Read(strings.NewReader(tc.csv), CSV)
			if tc.wantErr {
				if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "申报代码") || !strings.Contains(err.Error(), "declared code") {
					t.Errorf("err = %v, want ErrInput naming the columns in both languages", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tb.Lang != tc.wantLang || len(tb.Rows) != 1 || tb.field(tb.Rows[0], colDescription) != tc.wantDesc || tb.field(tb.Rows[0], colDeclared) != "I11" {
				t.Errorf("lang %q rows %q cols %v", tb.Lang, tb.Rows, tb.cols)
			}
		})
	}
}

func TestReview(t *testing.T) {
	csv := "企业名称,合同名称或业务描述,申报代码,合同金额\n" +
		"甲,开发软件,I11,10\n" +
		"乙,测试服务,i11,\"1,000\"\n" +
		"丙,呼叫中心,I11,12.5万\n" +
		"丁,劳务派遣,B23,3\n" +
		"戊,驻场维护电脑,I21,4\n" +
		"己,开发软件,X99,5\n" +
		"庚,,I11,6\n" +
		"辛,开发软件,K22,很多\n" +
		"壬,boom,I11,7\n" +
		",,,\n"
	tb, err := Read(strings.NewReader(csv), CSV)
	if err != nil {
		t.Fatal(err)
	}
	var calls []int
	rep, err := Review(t.Context(), fake, tb, Options{Classes: classes, Workers: 3, Progress: func(d, total int) { calls = append(calls, total) }})
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Status, Suggested, Error string }
	want := []row{
		{"agree", "I11", ""},
		{"differs", "I13", ""},
		{"differs-class", "B23", ""},
		{"out", "OUT", ""},
		{"review", "", ""},
		{"review", "I11", "申报代码“X99”不是子类代码（如 I11）"},
		{"", "", "缺少合同名称或业务描述，未审核"},
		{"differs-class", "I11", "合同金额“很多”不是数字"},
		{"", "", "无法分类：" + textin.Message(errors.New("engine down"), "zh")}, // internals are not shown
	}
	var got []row
	for _, r := range rep.Rows {
		got = append(got, row{r.Status, r.Suggested, r.Error})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %q\nwant %q", got, want)
	}
	if len(calls) != 9 {
		t.Errorf("progress called %d times, want 9", len(calls))
	}
	if rep.Rows[1].Amount != 1000 || rep.Rows[2].Amount != 125000 {
		t.Errorf("amounts = %v, %v", rep.Rows[1].Amount, rep.Rows[2].Amount)
	}
	if rep.Rows[4].Reason != "更接近 I21 还是 I22？" || rep.Rows[0].Refs != "I11.def X.exclude.1" || rep.Rows[0].Reason != "因为 I11" {
		t.Errorf("reason/refs = %q %q %q", rep.Rows[4].Reason, rep.Rows[0].Refs, rep.Rows[0].Reason)
	}
	s := rep.Summary()
	if s.Rows != 9 || s.Reviewed != 7 || s.Errors != 4 || s.Flagged != 6 {
		t.Errorf("summary rows %d reviewed %d errors %d flagged %d", s.Rows, s.Reviewed, s.Errors, s.Flagged)
	}
	ito := s.Classes[0]
	if ito.Class != "ITO" || ito.Declared != 4 || ito.DeclaredAmount != 10+1000+125000+4 || ito.Suggested != 4 {
		t.Errorf("ITO line = %+v", ito)
	}
	if n := s.Matrix[[2]string{"ITO", "BPO"}]; n != 1 {
		t.Errorf("ITO declared, BPO suggested = %d, want 1", n)
	}

	var buf bytes.Buffer
	if err := rep.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := Read(&buf, CSV)
	if err != nil {
		t.Fatal(err)
	}
	if want := append([]string{"企业名称", "合同名称或业务描述", "申报代码", "合同金额"}, Added...); !reflect.DeepEqual(back.Header, want) {
		t.Errorf("CSV header = %q, want %q", back.Header, want)
	}
	if len(back.Rows) != 9 || back.Rows[1][2] != "i11" || back.Rows[1][7] != "differs" || back.Rows[1][6] != "0.80" {
		t.Errorf("CSV rows keep the input as written and add the review: %q", back.Rows[1])
	}
}

func TestEnglishErrors(t *testing.T) {
	tb, err := Read(strings.NewReader("enterprise,description,declared code,amount\nA,,I11,lots\n"), CSV)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Review(t.Context(), fake, tb, Options{Classes: classes})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rep.Rows[0].Error, `amount "lots" is not a number; no description: not reviewed`; got != want {
		t.Errorf("error cell = %q, want %q", got, want)
	}
}

// writeXLSX makes a filings workbook of n rows (with a title row) and returns its bytes.
func writeXLSX(t testing.TB, n int, text func(i int) (desc, declared string)) []byte {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	sw.SetRow("A1", []any{"2025 年合同申报"})
	sw.SetRow("A2", []any{"合同编号", "企业名称", "合同名称或业务描述", "申报代码", "合同金额"})
	for i := range n {
		desc, declared := text(i)
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		if err := sw.SetRow(cell, []any{fmt.Sprintf("C%05d", i), fmt.Sprintf("企业%d", i%97), desc, declared, float64(i%50) + 0.5}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestAudit10000XLSX reviews a 10,000-row workbook end to end and reads the result back; with
// LibreOffice installed it also converts every sheet to CSV with it (see README: the LibreOffice check).
func TestAudit10000XLSX(t *testing.T) {
	const n = 10000
	texts := []string{"开发软件", "测试服务", "呼叫中心", "劳务派遣", "驻场维护电脑"}
	in := writeXLSX(t, n, func(i int) (string, string) {
		if i%1000 == 999 {
			return "", "I11" // a bad row every thousand
		}
		return texts[i%len(texts)], "I11"
	})
	var out bytes.Buffer
	rep, err := Run(t.Context(), fake, bytes.NewReader(in), XLSX, &out, XLSX, Options{Classes: classes})
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := f.GetSheetList(), []string{"审核结果", "汇总"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	rows, err := f.GetRows("审核结果")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n+1 {
		t.Fatalf("%d rows in the review sheet, want %d", len(rows), n+1)
	}
	if got := rows[1]; got[0] != "C00000" || got[2] != "开发软件" || got[5] != "I11" || got[8] != "agree" {
		t.Errorf("first row = %q", got)
	}
	if got := rows[1000]; got[0] != "C00999" || got[len(got)-1] != "缺少合同名称或业务描述，未审核" {
		t.Errorf("bad row = %q", got)
	}
	s := rep.Summary()
	if s.Rows != n || s.Errors != 10 || s.Status["agree"] != 2000 || s.Status["differs"] != 2000 || s.Status["out"] != 2000 || s.Status["review"] != 1990 {
		t.Errorf("summary = %+v", s)
	}
	sum, err := f.GetRows("汇总")
	if err != nil {
		t.Fatal(err)
	}
	if len(sum) < 5 || sum[1][0] != "数据行" || sum[1][1] != "10000" {
		t.Errorf("summary sheet starts %q", sum[:min(len(sum), 5)])
	}

	soffice, err := exec.LookPath("libreoffice")
	if err != nil {
		if soffice, err = exec.LookPath("soffice"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("CI=true and LibreOffice is not installed (.ci/run installs libreoffice-calc-nogui)")
			}
			t.Log("LibreOffice not installed: the LibreOffice check is skipped (README: Audit)")
			return
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "reviewed.xlsx")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// Sheet -1: every sheet to its own CSV, named reviewed-<sheet>.csv.
	cmd := exec.CommandContext(t.Context(), soffice, "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "lo"),
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", "--outdir", dir, path)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("libreoffice: %v\n%s", err, b)
	}
	csv, err := os.ReadFile(filepath.Join(dir, "reviewed-汇总.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(csv), "数据行,10000") || !strings.Contains(string(csv), "agree,2000") {
		t.Errorf("LibreOffice's CSV of the summary sheet:\n%s", csv)
	}
}
