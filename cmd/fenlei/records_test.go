package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"fenlei/audit"
	"fenlei/corpus/corpustest"
	"fenlei/decision"
	"fenlei/eval"
	"fenlei/store"
	"fenlei/store/storetest"
)

func pgBase(t *testing.T) string {
	t.Helper()
	return storetest.Postgres(t, os.Getenv(storetest.PGEnv), os.Getenv("CI") == "true")
}

// classifyVia posts one text to a running server and returns the Decision.
func classifyVia(t *testing.T, base, text string) decision.Decision {
	t.Helper()
	status, body := do(t, http.MethodPost, base+"/api/classify", "application/json", fmt.Sprintf(`{"text":%q}`, text))
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	d := parseDecision(t, body)
	if d.RecordID == "" {
		t.Fatalf("the answer has no record_id: %s", body)
	}
	return d
}

func TestRecordsAndFeedbackExport(t *testing.T) {
	db := filepath.Join(t.TempDir(), "records.db")
	base, _, _, _ := startServe(t, &syncBuffer{}, "--db", db)
	d1 := classifyVia(t, base, "为银行测试手机银行APP的兼容性")
	d2 := classifyVia(t, base, "我们给银行做手机APP")
	for _, body := range []string{
		fmt.Sprintf(`{"record_id":%q,"vote":"down","correct":"I13","comment":"是测试服务"}`, d1.RecordID),
		fmt.Sprintf(`{"record_id":%q,"vote":"up"}`, d2.RecordID),
	} {
		if status, b := do(t, http.MethodPost, base+"/api/feedback", "application/json", body); status != http.StatusCreated {
			t.Fatalf("feedback: status %d: %s", status, b)
		}
	}

	t.Run("records jsonl", func(t *testing.T) {
		got := runFenlei(t, invocation{args: []string{"records", "--db", db}})
		if got.err != nil {
			t.Fatal(got.err, got.stderr)
		}
		lines := strings.Split(strings.TrimSpace(got.stdout), "\n")
		if len(lines) != 2 {
			t.Fatalf("%d lines, want 2:\n%s", len(lines), got.stdout)
		}
		for i, want := range []decision.Decision{d1, d2} {
			var r store.Record
			if err := json.Unmarshal([]byte(lines[i]), &r); err != nil {
				t.Fatal(err)
			}
			if r.ID != want.RecordID || r.Decision.Code != want.Code || r.Channel != "api" || r.User == "" || strings.Contains(lines[i], "127.0.0.1") {
				t.Errorf("line %d = %s", i, lines[i])
			}
		}
	})
	t.Run("records csv", func(t *testing.T) {
		got := runFenlei(t, invocation{args: []string{"records", "--db", db, "--format", "csv"}})
		if got.err != nil {
			t.Fatal(got.err)
		}
		rows, err := csv.NewReader(strings.NewReader(got.stdout)).ReadAll()
		if err != nil || len(rows) != 3 {
			t.Fatalf("%d rows, %v:\n%s", len(rows), err, got.stdout)
		}
		var d decision.Decision
		if err := json.Unmarshal([]byte(rows[2][len(rows[2])-1]), &d); err != nil || d.Code != d2.Code {
			t.Errorf("the decision column = %q (%v)", rows[2][len(rows[2])-1], err)
		}
		if rows[0][0] != "id" || rows[2][0] != d2.RecordID || rows[2][6] != d2.Code {
			t.Errorf("rows = %q", rows)
		}
	})
	t.Run("feedback export", func(t *testing.T) {
		got := runFenlei(t, invocation{args: []string{"feedback", "export", "--db", db}})
		if got.err != nil {
			t.Fatal(got.err)
		}
		path := filepath.Join(t.TempDir(), "feedback.jsonl")
		if err := os.WriteFile(path, []byte(got.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		cases, err := eval.LoadFile(path)
		if err != nil {
			t.Fatalf("the export is not a case file: %v\n%s", err, got.stdout)
		}
		if len(cases) != 1 || cases[0].Text != "为银行测试手机银行APP的兼容性" || cases[0].Expected != "I13" || !strings.Contains(got.stdout, `"source":"feedback"`) {
			t.Errorf("cases = %+v\n%s", cases, got.stdout)
		}
	})
	t.Run("usage", func(t *testing.T) {
		if got := runFenlei(t, invocation{args: []string{"feedback", "list", "--db", db}}); got.err == nil {
			t.Error("feedback list: no error")
		}
		if got := runFenlei(t, invocation{args: []string{"records", "--db", db, "--format", "xml"}}); got.err == nil {
			t.Error("--format xml: no error")
		}
	})
}

func TestConfigDefaults(t *testing.T) {
	c, fs := newConfig("serve", func(string) string { return "" })
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DB != "fenlei.db" || c.AdminToken != "" || c.Retention != 0 {
		t.Errorf("serve defaults: addr %q db %q token %q retention %v", c.Addr, c.DB, c.AdminToken, c.Retention)
	}
	env := map[string]string{"FENLEI_DB_URL": "postgres://x@h/db", "FENLEI_ADMIN_TOKEN": "tok", "FENLEI_RETENTION": "90d"}
	c, fs = newConfig("serve", func(k string) string { return env[k] })
	if err := fs.Parse([]string{"--addr", ":8080"}); err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DB != env["FENLEI_DB_URL"] || c.AdminToken != "tok" || c.Retention != 90*24*time.Hour {
		t.Errorf("from the environment: addr %q db %q token %q retention %v", c.Addr, c.DB, c.AdminToken, c.Retention)
	}
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, true}, {"30d", 30 * 24 * time.Hour, true}, {"36h", 36 * time.Hour, true},
		{"-1d", 0, false}, {"forever", 0, false}, {"-5h", 0, false},
	} {
		got, err := parseRetention(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("parseRetention(%q) = %v, %v", tc.in, got, err)
		}
	}
	if got := runFenlei(t, invocation{args: []string{"serve"}, env: map[string]string{"FENLEI_RETENTION": "soon"}}); got.err == nil ||
		!strings.Contains(got.err.Error(), "FENLEI_RETENTION") {
		t.Errorf("a bad FENLEI_RETENTION: err = %v", got.err)
	}
}

// TestReplicasShareOnePostgres runs two `serve` replicas on one PostgreSQL database: answers
// from both land in one record, which either replica's admin route lists.
func TestReplicasShareOnePostgres(t *testing.T) {
	url := pgBase(t)
	a, _, _, _ := startServe(t, &syncBuffer{}, "--db", url)
	b, _, _, _ := startServe(t, &syncBuffer{}, "--db", url)
	if a == b {
		t.Fatal("the replicas share an address")
	}
	want := map[string]string{}
	for i, base := range []string{a, b, a, b} {
		d := classifyVia(t, base, fmt.Sprintf("第%d个：我们给银行做手机APP", i))
		want[d.RecordID] = fmt.Sprintf("第%d个：我们给银行做手机APP", i)
	}
	got := runFenlei(t, invocation{args: []string{"records", "--db", url}})
	if got.err != nil {
		t.Fatal(got.err)
	}
	seen := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(got.stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r store.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		seen[r.ID] = r.Text
	}
	if len(seen) != 4 {
		t.Errorf("%d records, want 4", len(seen))
	}
	for id, text := range want {
		if seen[id] != text {
			t.Errorf("record %s: %q, want %q", id, seen[id], text)
		}
	}
}

// TestKillChild is the child process of TestKill9: `fenlei serve` until it is killed.
func TestKillChild(t *testing.T) {
	if os.Getenv("FENLEI_KILL_CHILD") != "1" {
		t.Skip("the child process of TestKill9")
	}
	err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--rate-limit", "-1"},
		strings.NewReader(""), os.Stdout, os.Stderr, os.Getenv)
	t.Fatalf("serve returned: %v", err)
}

// TestKill9 streams up to 1,000 classifications at a `fenlei serve` child process, kills it with
// SIGKILL after 300 answers while requests are in flight, and checks that every answer a client
// received is in the database, for SQLite and for PostgreSQL.
func TestKill9(t *testing.T) {
	for _, tc := range []struct {
		name string
		db   func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return storetest.SQLite(t) }},
		{"postgres", pgBase},
	} {
		t.Run(tc.name, func(t *testing.T) { kill9(t, tc.db(t)) })
	}
}

func kill9(t *testing.T, db string) {
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FENLEI_KILL_CHILD=1", "FENLEI_DB_URL="+db, "FENLEI_LOG_LEVEL=warn")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "fenlei: serving on "); ok {
				addr <- strings.Fields(a)[0]
			}
		}
	}()
	var base string
	select {
	case base = <-addr:
	case <-time.After(60 * time.Second):
		t.Fatal("the child did not start serving")
	}
	texts := []string{"我们给银行做手机APP", "劳务派遣", "为保险公司做理赔单据录入", "software testing for a bank", "帮客户维护数据中心服务器"}
	type got struct{ id, code, text string }
	var (
		mu       sync.Mutex
		received []got
		killed   bool
		wg       sync.WaitGroup
		next     = make(chan int)
	)
	client := &http.Client{Timeout: 30 * time.Second}
	for range 4 {
		wg.Go(func() {
			for i := range next {
				text := fmt.Sprintf("%s（%d）", texts[i%len(texts)], i)
				resp, err := client.Post(base+"/api/classify", "application/json", strings.NewReader(fmt.Sprintf(`{"text":%q}`, text)))
				if err != nil {
					continue // the server is gone: nothing was received
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				var d decision.Decision
				if err != nil || resp.StatusCode != http.StatusOK || json.Unmarshal(body, &d) != nil {
					continue // not a complete answer
				}
				mu.Lock()
				received = append(received, got{d.RecordID, d.Code, text})
				if len(received) == 300 && !killed {
					killed = true
					cmd.Process.Signal(syscall.SIGKILL)
				}
				mu.Unlock()
			}
		})
	}
	for i := range 1000 {
		next <- i
	}
	close(next)
	wg.Wait()
	cmd.Wait()
	if !killed || len(received) >= 1000 {
		t.Fatalf("the child was not killed mid-stream (received %d)", len(received))
	}

	s := storetest.Open(t, db, store.Options{})
	inDB := map[string]store.Record{}
	if err := s.Records(t.Context(), store.Query{}, func(r store.Record) error { inDB[r.ID] = r; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, g := range received {
		r, ok := inDB[g.id]
		if !ok {
			t.Errorf("answer %s (%s) was received but is not in the database", g.id, g.text)
			continue
		}
		if r.Decision.Code != g.code || r.Text != g.text {
			t.Errorf("record %s = %q %q, received %q %q", g.id, r.Text, r.Decision.Code, g.text, g.code)
		}
	}
	t.Logf("%d answers received before and around the kill, %d records in the database", len(received), len(inDB))
}

func TestAuditCommand(t *testing.T) {
	dir := t.TempDir()
	example, err := os.ReadFile("../../docs/filings-example.csv")
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "filings.csv")
	if err := os.WriteFile(in, example, 0o644); err != nil {
		t.Fatal(err)
	}
	got := runFenlei(t, invocation{args: []string{"audit", in}})
	if got.err != nil {
		t.Fatal(got.err, got.stderr)
	}
	out := filepath.Join(dir, "filings.reviewed.xlsx") // the default: XLSX beside the input
	if !strings.Contains(got.stdout, out) || !strings.Contains(got.stdout, "flagged") {
		t.Errorf("stdout = %q", got.stdout)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("审核结果")
	if err != nil {
		t.Fatal(err)
	}
	header := rows[0]
	if want := append([]string{"企业名称", "合同编号", "合同名称或业务描述", "申报代码", "合同金额（万美元）"}, audit.Added...); strings.Join(header, ",") != strings.Join(want, ",") {
		t.Errorf("header = %q", header)
	}
	valid := map[string]bool{"agree": true, "differs": true, "differs-class": true, "out": true, "review": true}
	errorCells := 0
	for i, r := range rows[1:] {
		for len(r) < len(header) {
			r = append(r, "")
		}
		status, errCell := r[8], r[11]
		if errCell != "" {
			errorCells++
		}
		if !valid[status] && errCell == "" {
			t.Errorf("row %d: status %q and no error cell", i+2, status)
		}
		if status != "" && status != "review" && (r[5] == "" || r[10] == "") {
			t.Errorf("row %d: status %q without a suggestion or refs: %q", i+2, status, r)
		}
	}
	if len(rows) != 15 || errorCells != 2 {
		t.Errorf("%d rows (want 15), %d error cells (want 2: the empty description and the bad code and amount)", len(rows), errorCells)
	}
	if sheets := f.GetSheetList(); len(sheets) != 2 || sheets[1] != "汇总" {
		t.Errorf("sheets = %q", sheets)
	}

	csvOut := filepath.Join(dir, "out.csv")
	if got := runFenlei(t, invocation{args: []string{"audit", "-o", csvOut, in}}); got.err != nil {
		t.Fatal(got.err)
	}
	b, err := os.ReadFile(csvOut)
	if err != nil || !strings.HasPrefix(string(b), "\ufeff企业名称,合同编号") {
		t.Errorf("CSV output %.80q, %v", b, err)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no file", []string{"audit"}, "give one filings file"},
		{"missing file", []string{"audit", filepath.Join(dir, "nope.csv")}, "no such file"},
		{"pdf", []string{"audit", filepath.Join(dir, "filings.pdf")}, ".xlsx"},
		{"output pdf", []string{"audit", "-o", filepath.Join(dir, "x.pdf"), in}, ".xlsx"},
	} {
		got := runFenlei(t, invocation{args: tc.args})
		if got.err == nil || !strings.Contains(got.err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, got.err, tc.want)
		}
	}
}

// BenchmarkAudit10000 reviews 10,000 filings with the offline engine, XLSX output included, and
// reports rows per second. The descriptions are the eval case sets' texts, each made distinct by
// its row's contract number, so that every row is classified (a file's repeated descriptions are
// classified once):
//
//	go test ./cmd/fenlei -run X -bench Audit10000 -benchtime 1x
func BenchmarkAudit10000(b *testing.B) {
	a := &App{cfg: &Config{}, lg: slog.New(slog.DiscardHandler)}
	if err := a.load(); err != nil {
		b.Fatal(err)
	}
	var texts []string
	for _, f := range []string{"../../eval/testdata/cases.jsonl", "../../eval/testdata/shadow.jsonl"} {
		cases, err := eval.LoadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range cases {
			if c.Text != "" {
				texts = append(texts, c.Text)
			}
		}
	}
	var sb strings.Builder
	sb.WriteString("合同编号,企业名称,合同名称或业务描述,申报代码,合同金额\n")
	for i := range 10000 {
		fmt.Fprintf(&sb, "C%05d,企业%d,%q,I11,%d\n", i, i%97, fmt.Sprintf("%s（合同 C%05d）", texts[i%len(texts)], i), i%50)
	}
	t, err := audit.Read(strings.NewReader(sb.String()), audit.CSV)
	if err != nil {
		b.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400)) // as `fenlei audit` does
	b.ResetTimer()
	for b.Loop() {
		rep, err := audit.Review(context.Background(), a.eng, t, audit.Options{Classes: a.g.Classes})
		if err != nil {
			b.Fatal(err)
		}
		if err := rep.WriteXLSX(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkClassifyJSONL runs `fenlei classify --jsonl` in process over 3,000 coding-index texts (every
// other entry, in file order: keywords to 600-character contract excerpts) and reports descriptions/s.
// `go test ./cmd/fenlei -run X -bench ClassifyJSONL -benchtime 3x`
func BenchmarkClassifyJSONL(b *testing.B) {
	es := corpustest.Load(b).Entries
	var in strings.Builder
	n := 0
	for i := 0; i < len(es) && n < 3000; i += 2 {
		line, _ := json.Marshal(map[string]string{"id": fmt.Sprint(n), "text": es[i].Text})
		in.Write(append(line, '\n'))
		n++
	}
	defer debug.SetGCPercent(debug.SetGCPercent(200)) // as `fenlei classify` does
	cpu0 := cpuTime()
	for b.Loop() {
		var out bytes.Buffer
		if err := run(b.Context(), []string{"classify", "--jsonl"}, strings.NewReader(in.String()), &out, io.Discard, func(string) string { return "" }); err != nil {
			b.Fatal(err)
		}
		if got := bytes.Count(out.Bytes(), []byte("\n")); got != n {
			b.Fatalf("%d lines out for %d in", got, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "descriptions/s")
	// On a machine shared with other work the wall clock says little; CPU time per description does:
	// on 2 idle cores, 2,500 descriptions/s is 800 µs of CPU each.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(n*b.N), "cpu-µs/description")
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestServeRetention: serve deletes the records older than --retention when it starts.
func TestServeRetention(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fenlei.db")
	clk := storetest.NewClock(time.Now().Add(-48 * time.Hour))
	db := storetest.Open(t, path, store.Options{Now: clk.Now})
	old, err := db.AddRecord(t.Context(), store.Record{Channel: "api", Text: "old", Decision: decision.Decision{Code: "I11"}}, "u")
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(47 * time.Hour)
	recent, err := db.AddRecord(t.Context(), store.Record{Channel: "api", Text: "recent", Decision: decision.Decision{Code: "I11"}}, "u")
	if err != nil {
		t.Fatal(err)
	}
	startServe(t, &syncBuffer{}, "--db", path, "--retention", "1d")
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, errOld := db.Record(t.Context(), old.ID)
		if errors.Is(errOld, store.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the 2-day-old record is still there after serve --retention 1d started: %v", errOld)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := db.Record(t.Context(), recent.ID); err != nil {
		t.Errorf("the 1-hour-old record is gone: %v", err)
	}
}
