package web

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"fenlei/decision"
)

// codeClassifier classifies every text as I11.
type codeClassifier struct{}

func (codeClassifier) Classify(ctx context.Context, text string) (decision.Decision, error) {
	return decision.Decision{Code: "I11", Name: "软件研发服务", Confidence: 0.9}, nil
}

const filings = "企业名称,合同名称或业务描述,申报代码,合同金额\n甲公司,开发软件,I11,10\n乙公司,测试服务,I13,5\n丙公司,,I11,1\n"

func multipartBody(t *testing.T, name, content string) (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(fw, content)
	mw.Close()
	return mw.FormDataContentType(), &buf
}

func TestAuditUpload(t *testing.T) {
	_, ts := newTestServer(t, &fakeEngine{}, func(c *Config) {
		c.Auditor, c.AuditClasses, c.MaxUpload, c.MaxAuditRows = codeClassifier{}, testCategories, 4096, 5
	})
	_, off := newTestServer(t, &fakeEngine{}, nil)
	mct, mbody := multipartBody(t, "filings.csv", filings)
	pct, pdf := multipartBody(t, "filings.pdf", filings)
	for _, tc := range []struct {
		name, ct, body string
		url            string
		headers        map[string]string
		want           int
		wantIn         string
	}{
		{name: "multipart CSV", ct: mct, body: mbody.String(), want: 200},
		{name: "raw CSV", ct: "text/csv", body: filings, want: 200},
		{name: "raw CSV, format in the query", ct: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body: filings, url: "?format=csv", want: 200},
		{name: "not a spreadsheet name", ct: pct, body: pdf.String(), want: 400, wantIn: ".xlsx"},
		{name: "no header", ct: "text/csv", body: "a,b\n1,2\n", want: 400, wantIn: "申报代码"},
		{name: "JSON", ct: "application/json", body: `{"text":"x"}`, want: 400},
		{name: "over the size limit", ct: "text/csv", body: filings + strings.Repeat("丁公司,开发软件,I11,1\n", 300), want: 413},
		{name: "over the row limit", ct: "text/csv", body: filings + strings.Repeat("丁公司,开发软件,I11,1\n", 5), want: 413, wantIn: "5"},
		{name: "cross-site", ct: "text/csv", body: filings, headers: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, want: 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+"/api/audit"+tc.url, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ct)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, tc.want, body)
			}
			if tc.want != 200 {
				if !strings.Contains(string(body), `"error"`) || !strings.Contains(string(body), tc.wantIn) {
					t.Errorf("error body %s, want it to mention %q", body, tc.wantIn)
				}
				return
			}
			f, err := excelize.OpenReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("not an XLSX (%s): %v", resp.Header.Get("Content-Type"), err)
			}
			defer f.Close()
			rows, err := f.GetRows("审核结果")
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 4 || rows[1][7] != "agree" || rows[2][7] != "differs" || rows[3][len(rows[3])-1] == "" {
				t.Errorf("reviewed rows = %q", rows)
			}
			if sheets := f.GetSheetList(); len(sheets) != 2 {
				t.Errorf("sheets %q, want a summary sheet too", sheets)
			}
		})
	}
	if st, _ := post(t, off, "/api/audit", filings); st != http.StatusNotFound {
		t.Errorf("audit without an Auditor: status %d, want 404", st)
	}
}
