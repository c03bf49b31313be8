package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"fenlei/bot"
	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/store"
	"fenlei/store/storetest"
	"fenlei/textin"
)

// fakeEngine streams two deltas and answers I11 with one citation, echoing the text in the
// answer; texts in clarify get a clarifying question instead. It records what it was asked.
type fakeEngine struct {
	mu      sync.Mutex
	asked   []string
	clarify map[string]bool
	answer  func(text string) decision.Decision // optional override
}

func (f *fakeEngine) Answer(ctx context.Context, text string, onDelta func(string)) (decision.Decision, error) {
	f.mu.Lock()
	f.asked = append(f.asked, text)
	clar := f.clarify[text]
	override := f.answer
	f.mu.Unlock()
	if onDelta != nil {
		onDelta("分析")
		onDelta("中…")
	}
	if override != nil {
		return override(text), nil
	}
	if clar {
		return decision.Decision{Kind: decision.KindClarify, Question: "Is it your own product?", Path: []string{}}, nil
	}
	return decision.Decision{
		Code: "I11", Name: "软件研发服务", Path: []string{"ITO", "I1", "I11"}, Confidence: 0.8,
		Kind:       decision.KindClassification,
		Candidates: []decision.Candidate{{Code: "I11", Score: 0.8}, {Code: "I13", Score: 0.2}},
		Citations: []decision.Citation{{Ref: "I13.exclude.2", Section: "二、业务分类 › I13 测试服务 › 不包括",
			Quote: "软件产品测试服务，应纳入 I11 软件研发服务。"}},
		Checks: []decision.Check{{Rule: "exclusion", Status: "redirected", From: "I13", To: "I11", Ref: "I13.exclude.2"}},
		Answer: "Answer to: " + text,
		Engine: "fake",
	}, nil
}

func (f *fakeEngine) WhyNot(ctx context.Context, last decision.Decision, other string) (decision.Decision, error) {
	f.mu.Lock()
	f.asked = append(f.asked, "whynot:"+last.Code+":"+other)
	f.mu.Unlock()
	return decision.Decision{Code: last.Code, Kind: decision.KindExplain, Answer: "because"}, nil
}

func (f *fakeEngine) Asked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asked...)
}

var _ bot.Engine = (*fakeEngine)(nil)

// tWriter sends log lines to t.Log until the test has finished; server goroutines that
// outlive the test (a hijacked connection winding down) log into nothing.
type tWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *tWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func testLogger(t *testing.T) *slog.Logger {
	w := &tWriter{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// fakeClock is a settable clock for rate limits.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var testCategories = []corpus.Class{
	{Code: "ITO", Name: "信息技术外包服务", NameEN: "Information technology outsourcing", Level: corpus.Major},
	{Code: "I1", Name: "软件研发服务", NameEN: "Software R&D", Level: corpus.Middle, Parent: "ITO"},
	{Code: "I11", Name: "软件研发服务", NameEN: "Software R&D services", Level: corpus.Sub, Parent: "I1"},
	{Code: "I13", Name: "测试服务", NameEN: "Testing services", Level: corpus.Sub, Parent: "I1"},
}

// testGuide quotes a definition, a typical business and an exclusion of I13, and a definition of I11.
type testGuide struct{}

func (testGuide) Class(code string) (corpus.Class, bool) {
	for _, c := range testCategories {
		if c.Code == code {
			return c, true
		}
	}
	return corpus.Class{}, false
}

func (testGuide) PassagesOf(code string) []corpus.Passage {
	switch code {
	case "I13":
		return []corpus.Passage{
			{Ref: "I13.def", Kind: corpus.KindDefinition, Code: "I13", Text: "指服务提供商根据客户需求提供信息技术产品的测试服务。"},
			{Ref: "I13.typical.1", Kind: corpus.KindTypical, Code: "I13", Title: "典型业务 1：软件测试", Text: "指软件产品的测试。"},
			{Ref: "I13.exclude.2", Kind: corpus.KindExclude, Code: "I13", Text: "软件产品测试服务，应纳入 I11 软件研发服务。", Targets: []string{"I11"}},
		}
	case "I11":
		return []corpus.Passage{{Ref: "I11.def", Kind: corpus.KindDefinition, Code: "I11", Text: "指软件研发。"}}
	}
	return nil
}

// newTestServer starts an httptest server; mod adjusts the config (limits are off unless set).
func newTestServer(t *testing.T, fe *fakeEngine, mod func(*Config)) (*Server, *httptest.Server) {
	t.Helper()
	db := storetest.Open(t, storetest.SQLite(t), store.Options{})
	cfg := Config{
		Engine: fe, Categories: testCategories, Guide: testGuide{}, Logger: testLogger(t), Recorder: db, Lister: db,
		RateLimit: -1, ConnRateLimit: -1, MaxConnsPerIP: -1, Hosts: []string{"fenlei.example.org"},
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, serveTest(t, s)
}

// serveTest serves s with httptest until the test ends, closing its websockets first.
func serveTest(t *testing.T, s *Server) *httptest.Server {
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		s.closeClients()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.waitClients(ctx)
		ts.Close()
	})
	return ts
}

func TestAPI(t *testing.T) {
	fe := &fakeEngine{}
	_, ts := newTestServer(t, fe, nil)
	big := `{"text": "` + strings.Repeat("a", 6<<20) + `"}`
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		header      map[string]string
		body        string
		wantStatus  int
		wantErr     bool   // body is {"error": ...}
		wantIn      string // substring of the raw body
		wantNotIn   string // must not occur in the raw body
		check       func(t *testing.T, body []byte)
	}{
		{name: "classify", method: "POST", path: "/api/classify", contentType: "application/json",
			body: `{"id":"r1","text":"为银行定制开发软件","extra":1}`, wantStatus: 200,
			check: func(t *testing.T, b []byte) {
				var d decision.Decision
				mustJSON(t, b, &d)
				if d.Code != "I11" || d.ID != "r1" || d.Lang != "zh" || len(d.Citations) != 1 {
					t.Errorf("decision = %+v", d)
				}
			}},
		{name: "classify without content type", method: "POST", path: "/api/classify", contentType: "none",
			body: `{"text":"software"}`, wantStatus: 415, wantErr: true},
		{name: "ask", method: "POST", path: "/api/ask", contentType: "application/json; charset=utf-8",
			body: `{"text":"交易平台注册要交哪些材料？"}`, wantStatus: 200, wantIn: `"code":"I11"`},
		{name: "ask help", method: "POST", path: "/api/ask", body: `{"text":"帮助"}`, wantStatus: 200,
			wantIn: `"kind":"help"`},
		{name: "categories", method: "GET", path: "/api/categories", wantStatus: 200,
			check: func(t *testing.T, b []byte) {
				var got []map[string]string
				mustJSON(t, b, &got)
				if len(got) != 4 {
					t.Fatalf("got %d categories", len(got))
				}
				want := map[string]string{"code": "ITO", "name": "信息技术外包服务", "name_en": "Information technology outsourcing", "level": "major", "parent": ""}
				if !reflect.DeepEqual(got[0], want) {
					t.Errorf("first category = %v, want %v", got[0], want)
				}
				if got[2]["parent"] != "I1" || got[2]["level"] != "sub" {
					t.Errorf("I11 = %v", got[2])
				}
			}},
		{name: "healthz", method: "GET", path: "/healthz", wantStatus: 200, wantIn: `{"status":"ok"}`},
		{name: "page", method: "GET", path: "/", wantStatus: 200, wantIn: "<textarea"},
		{name: "unknown path", method: "GET", path: "/nope", wantStatus: 404, wantErr: true},
		{name: "static traversal", method: "GET", path: "/../server.go", wantStatus: 404, wantErr: true},
		{name: "GET classify", method: "GET", path: "/api/classify", wantStatus: 405, wantErr: true},
		{name: "POST categories", method: "POST", path: "/api/categories", wantStatus: 405, wantErr: true},
		{name: "DELETE feedback", method: "DELETE", path: "/api/feedback", wantStatus: 405, wantErr: true, wantIn: `"error"`},
		{name: "6 MB body", method: "POST", path: "/api/classify", body: big, wantStatus: 413, wantErr: true},
		{name: "6 MB body chunked", method: "POST", path: "/api/ask", body: big, wantStatus: 413, wantErr: true},
		{name: "invalid JSON", method: "POST", path: "/api/classify", body: `{"text": "abc`, wantStatus: 400, wantErr: true},
		{name: "not an object", method: "POST", path: "/api/classify", body: `["abc"]`, wantStatus: 400, wantErr: true},
		{name: "text not a string", method: "POST", path: "/api/classify", body: `{"text": 5}`, wantStatus: 400, wantErr: true},
		{name: "trailing garbage", method: "POST", path: "/api/classify", body: `{"text":"a"} {"text":"b"}`, wantStatus: 400, wantErr: true},
		{name: "empty body", method: "POST", path: "/api/classify", body: ``, wantStatus: 400, wantErr: true},
		{name: "empty text", method: "POST", path: "/api/classify", body: `{"text":"   "}`, wantStatus: 400, wantErr: true},
		{name: "missing text", method: "POST", path: "/api/ask", body: `{}`, wantStatus: 400, wantErr: true},
		// A cross-site page can POST these types without a CORS preflight: they are refused, in the reader's language.
		{name: "text/plain is refused", method: "POST", path: "/api/classify", contentType: "text/plain", body: `{"text":"a"}`,
			wantStatus: 415, wantErr: true, wantIn: `"code":"media_type"`, check: wantMessage("Content-Type: application/json")},
		{name: "a form type is refused, in English for an English reader", method: "POST", path: "/api/classify",
			contentType: "application/x-www-form-urlencoded", header: map[string]string{"Accept-Language": "en-US,en;q=0.8"},
			body: `{"text":"电商代运营"}`, wantStatus: 415, wantErr: true, wantIn: `"code":"media_type"`, check: wantMessage("Send JSON")},
		{name: "+json types are JSON", method: "POST", path: "/api/ask", contentType: "application/merge-patch+json", body: `{"text":"电商代运营"}`,
			wantStatus: 200, wantIn: `Answer to: 电商代运营`},
		{name: "emoji only is empty, in Chinese", method: "POST", path: "/api/classify", body: `{"text":"😀🎉👍"}`,
			wantStatus: 400, wantErr: true, wantIn: `"code":"empty"`, check: wantMessage("消息是空的")},
		{name: "emoji only is empty, in English for an English reader", method: "POST", path: "/api/classify",
			header: map[string]string{"Accept-Language": "en-US,en;q=0.9"}, body: `{"text":"😀🎉👍"}`,
			wantStatus: 400, wantErr: true, check: wantMessage("The message is empty")},
		{name: "zero-width only is empty", method: "POST", path: "/api/ask", body: `{"text":"\u200b\u200c\u200d\ufeff"}`,
			wantStatus: 400, wantErr: true, wantIn: `"code":"empty"`},
		{name: "symbols only are empty", method: "POST", path: "/api/classify", body: `{"text":"？！※★"}`,
			wantStatus: 400, wantErr: true, wantIn: `"code":"empty"`},
		{name: "question mark alone asks for help", method: "POST", path: "/api/ask", body: `{"text":"？"}`, wantStatus: 200, wantIn: `"kind":"help"`},
		{name: "an array body names no Go type", method: "POST", path: "/api/classify", body: `[1,2]`,
			wantStatus: 400, wantErr: true, wantIn: "不是 JSON 对象", wantNotIn: "textRequest"},
		{name: "an array body in English", method: "POST", path: "/api/classify", header: map[string]string{"Accept-Language": "en"}, body: `[1,2]`,
			wantStatus: 400, wantErr: true, check: wantMessage("the body is not a JSON object")},
		{name: "numeric id is kept", method: "POST", path: "/api/classify", body: `{"id":7,"text":"软件开发"}`, wantStatus: 200, wantIn: `"id":"7"`},
		{name: "object id", method: "POST", path: "/api/classify", body: `{"id":{},"text":"软件开发"}`, wantStatus: 400, wantErr: true, wantIn: `\"id\" 应为字符串或数字`},
		{name: "zero-width inside words is stripped", method: "POST", path: "/api/classify", body: `{"text":"手\u200b机A\u200dPP"}`,
			wantStatus: 200, wantIn: `Answer to: 手机APP`},
		{name: "traditional is read as simplified", method: "POST", path: "/api/classify", body: `{"text":"軟體測試服務"}`,
			wantStatus: 200, wantIn: `Answer to: 软件测试服务`},
		{name: "mixed text mostly English is answered in English", method: "POST", path: "/api/classify",
			body: `{"text":"We provide 软件测试 services for banks"}`, wantStatus: 200, wantIn: `"lang":"en"`},
		{name: "full-width English is English", method: "POST", path: "/api/classify",
			body: `{"text":"ｗｅ　ｔｅｓｔ　ｓｏｆｔｗａｒｅ"}`, wantStatus: 200, wantIn: `"lang":"en"`},
		{name: "a rebinding Host is refused", method: "POST", path: "/api/classify", header: map[string]string{"Host": "attacker.example"},
			body: `{"text":"软件开发"}`, wantStatus: 403, wantErr: true, wantIn: `"code":"forbidden"`},
		{name: "a configured Host is served", method: "GET", path: "/healthz", header: map[string]string{"Host": "fenlei.example.org:8080"}, wantStatus: 200},
		{name: "localhost is served", method: "GET", path: "/healthz", header: map[string]string{"Host": "localhost:8080"}, wantStatus: 200},
		{name: "one class with its passages", method: "GET", path: "/api/categories/i13", wantStatus: 200,
			check: func(t *testing.T, b []byte) {
				var c category
				mustJSON(t, b, &c)
				want := []pathStep{{"ITO", "信息技术外包服务", "Information technology outsourcing"}, {"I1", "软件研发服务", "Software R&D"}, {"I13", "测试服务", "Testing services"}}
				if c.Code != "I13" || !reflect.DeepEqual(c.Path, want) {
					t.Errorf("class = %+v, want I13 with path %v", c, want)
				}
				if c.Definition == nil || c.Definition.Ref != "I13.def" || len(c.Excludes) != 1 || c.Excludes[0].Targets[0] != "I11" || len(c.Typical) != 1 {
					t.Errorf("passages = %+v", c)
				}
			}},
		{name: "all classes with details", method: "GET", path: "/api/categories?detail=1", wantStatus: 200,
			check: func(t *testing.T, b []byte) {
				var cs []category
				mustJSON(t, b, &cs)
				if len(cs) != 4 || len(cs[1].Children) != 2 || cs[3].Definition == nil {
					t.Errorf("classes = %+v", cs)
				}
			}},
		{name: "unknown class", method: "GET", path: "/api/categories/Z99", wantStatus: 404, wantErr: true},
		{name: "10000 characters", method: "POST", path: "/api/classify",
			body: `{"text":"` + strings.Repeat("测", 10000) + `"}`, wantStatus: 422, wantErr: true, wantIn: "4000"},
		{name: "binary NUL", method: "POST", path: "/api/classify", body: `{"text":"ab\u0000cd"}`, wantStatus: 422, wantErr: true},
		{name: "binary controls", method: "POST", path: "/api/ask", body: `{"text":"\u0001\u0002\u0003\u0004a"}`, wantStatus: 422, wantErr: true},
		{name: "@everyone passes through as text", method: "POST", path: "/api/classify", body: `{"text":"@everyone software"}`,
			wantStatus: 200, wantIn: `Answer to: @everyone software`},
		{name: "script is JSON-escaped", method: "POST", path: "/api/classify",
			body: `{"text":"<script>alert(1)</script>"}`, wantStatus: 200,
			wantIn: `\u003cscript\u003ealert(1)\u003c/script\u003e`, wantNotIn: "<script>",
			check: func(t *testing.T, b []byte) {
				var d decision.Decision
				mustJSON(t, b, &d)
				if d.Answer != "Answer to: <script>alert(1)</script>" {
					t.Errorf("answer = %q", d.Answer)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, ts.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "6 MB body chunked" {
				req.ContentLength = -1 // no length: MaxBytesReader must catch it
				req.Body = io.NopCloser(strings.NewReader(tt.body))
			}
			switch {
			case tt.contentType == "none":
			case tt.contentType != "":
				req.Header.Set("Content-Type", tt.contentType)
			case tt.method == "POST":
				req.Header.Set("Content-Type", "application/json")
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if h := tt.header["Host"]; h != "" {
				req.Host = h
			}
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %.300s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.path != "/" && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type = %q", resp.Header.Get("Content-Type"))
			}
			if tt.wantErr && tt.path != "/api/feedback" { // the feedback routes move to the records store (issue 11)
				var e struct {
					Error string `json:"error"`
					Code  string `json:"code"`
				}
				mustJSON(t, body, &e)
				if e.Error == "" || e.Code == "" {
					t.Errorf("error body without error and code: %s", body)
				}
				// For people: no Go names, no library wording.
				for _, leak := range []string{"web.", "json:", "Go value", "unmarshal", "textin"} {
					if strings.Contains(e.Error, leak) {
						t.Errorf("error %q shows internals (%q)", e.Error, leak)
					}
				}
				lang := "zh"
				if strings.HasPrefix(tt.header["Accept-Language"], "en") {
					lang = "en"
				}
				if got, _ := textin.Detect(e.Error); got != lang {
					t.Errorf("error %q is not in %s", e.Error, lang)
				}
			}
			if tt.wantIn != "" && !bytes.Contains(body, []byte(tt.wantIn)) {
				t.Errorf("body does not contain %q: %.300s", tt.wantIn, body)
			}
			if tt.wantNotIn != "" && bytes.Contains(body, []byte(tt.wantNotIn)) {
				t.Errorf("body contains %q: %.300s", tt.wantNotIn, body)
			}
			if tt.check != nil {
				tt.check(t, body)
			}
		})
	}
	// Refused requests never reached the engine.
	for _, a := range fe.Asked() {
		if len(a) > 4000 || strings.ContainsRune(a, 0) || strings.TrimSpace(a) == "" {
			t.Errorf("engine was asked a refused text (%d bytes)", len(a))
		}
	}
}

// wantMessage checks the "error" sentence of an error body.
func wantMessage(want string) func(t *testing.T, b []byte) {
	return func(t *testing.T, b []byte) {
		var e struct {
			Error string `json:"error"`
		}
		mustJSON(t, b, &e)
		if !strings.Contains(e.Error, want) {
			t.Errorf("error %q, want it to say %q", e.Error, want)
		}
	}
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("invalid JSON %.200q: %v", b, err)
	}
}

func post(t *testing.T, ts *httptest.Server, path, body string) (int, []byte) {
	t.Helper()
	resp, err := ts.Client().Post(ts.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestPageIsSafe(t *testing.T) {
	_, ts := newTestServer(t, &fakeEngine{}, nil)
	resp, err := ts.Client().Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Content-Security-Policy"); !strings.Contains(got, "script-src 'self'") {
		t.Errorf("CSP = %q", got)
	}
	page, _ := staticFS.ReadFile("static/index.html")
	js, _ := staticFS.ReadFile("static/app.js")
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "http://", "https://"} {
		if bytes.Contains(js, []byte(bad)) {
			t.Errorf("app.js uses %q", bad)
		}
	}
	for _, bad := range []string{"http://", "https://", "<script>", "onclick", "onload"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("index.html contains %q (no CDN, no inline script)", bad)
		}
	}
}

func TestRateLimitAPI(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, ts := newTestServer(t, &fakeEngine{}, func(c *Config) {
		c.RateLimit, c.Burst, c.Now = 1, 2, clk.Now
	})
	var got []int
	for range 3 {
		st, _ := post(t, ts, "/api/classify", `{"text":"software"}`)
		got = append(got, st)
	}
	clk.Add(time.Second)
	st, _ := post(t, ts, "/api/classify", `{"text":"software"}`)
	got = append(got, st)
	if want := []int{200, 200, 429, 200}; !reflect.DeepEqual(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
}

// wsURL turns the httptest URL into the websocket URL.
func wsURL(ts *httptest.Server) string { return "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws" }

func dial(t *testing.T, ts *httptest.Server, hdr http.Header) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.DialContext(t.Context(), wsURL(ts), hdr)
	if err != nil {
		st := 0
		if resp != nil {
			st = resp.StatusCode
		}
		t.Fatalf("dial: %v (HTTP %d)", err, st)
	}
	t.Cleanup(func() { c.Close() })
	// A safety net so that a broken server fails the test instead of hanging it; not a timing assertion.
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	return c
}

func sendUser(t *testing.T, c *websocket.Conn, text string) {
	t.Helper()
	if err := c.WriteJSON(map[string]string{"type": "user", "text": text}); err != nil {
		t.Fatal(err)
	}
}

// readTurn reads messages until an answer or an error and returns the deltas and the last message.
func readTurn(t *testing.T, c *websocket.Conn) ([]string, OutMsg) {
	t.Helper()
	var deltas []string
	for {
		var m OutMsg
		if err := c.ReadJSON(&m); err != nil {
			t.Fatalf("read: %v", err)
		}
		switch m.Type {
		case "delta":
			deltas = append(deltas, m.Text)
		case "answer", "error":
			return deltas, m
		default:
			t.Fatalf("unexpected message type %q", m.Type)
		}
	}
}

func TestWebsocketConversation(t *testing.T) {
	fe := &fakeEngine{clarify: map[string]bool{"we test apps": true}}
	s, ts := newTestServer(t, fe, nil)
	c := dial(t, ts, nil)

	sendUser(t, c, "we test apps")
	deltas, m := readTurn(t, c)
	if want := []string{"分析", "中…"}; !reflect.DeepEqual(deltas, want) {
		t.Errorf("deltas = %q, want %q", deltas, want)
	}
	if m.Type != "answer" || m.Decision == nil || m.Decision.Question == "" {
		t.Fatalf("first turn = %+v, want a clarifying answer", m)
	}
	sendUser(t, c, "our clients' apps")
	_, m = readTurn(t, c)
	if m.Type != "answer" || m.Decision.Code != "I11" {
		t.Fatalf("second turn = %+v", m)
	}
	sendUser(t, c, "why not I13?")
	_, m = readTurn(t, c)
	if m.Type != "answer" || m.Decision.Kind != decision.KindExplain {
		t.Fatalf("third turn = %+v", m)
	}
	want := []string{"we test apps", "we test apps\nour clients' apps", "whynot:I11:I13"}
	if got := fe.Asked(); !reflect.DeepEqual(got, want) {
		t.Errorf("engine asked %q, want %q", got, want)
	}
	if got := s.Conversations().Len(); got != 1 {
		t.Errorf("conversations = %d, want 1", got)
	}

	// A second connection is a new conversation.
	c2 := dial(t, ts, nil)
	sendUser(t, c2, "our clients' apps")
	readTurn(t, c2)
	if got := fe.Asked(); got[len(got)-1] != "our clients' apps" {
		t.Errorf("second connection asked %q, want the message alone", got[len(got)-1])
	}

	// Closing ends the conversation.
	c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	c2.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	for _, cc := range []*websocket.Conn{c, c2} {
		for {
			if _, _, err := cc.ReadMessage(); err != nil {
				break
			}
		}
	}
	sctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	s.waitClients(sctx)
	if got := s.Conversations().Len(); got != 0 {
		t.Errorf("conversations after close = %d, want 0", got)
	}
}

func TestWebsocketBadInputKeepsConnection(t *testing.T) {
	fe := &fakeEngine{}
	_, ts := newTestServer(t, fe, nil)
	c := dial(t, ts, nil)
	tests := []struct {
		name    string
		typ     int
		data    string
		wantErr string
	}{
		{"invalid JSON", websocket.TextMessage, `{"type": "user", "text": `, "invalid_json"},
		{"unknown type", websocket.TextMessage, `{"type": "admin", "text": "x"}`, "unknown_type"},
		{"no type", websocket.TextMessage, `{"text": "x"}`, "unknown_type"},
		{"empty", websocket.TextMessage, `{"type": "user", "text": " \n "}`, "empty"},
		{"too long", websocket.TextMessage, `{"type": "user", "text": "` + strings.Repeat("测", 4001) + `"}`, "too_long"},
		{"binary frame", websocket.BinaryMessage, "\x00\x01\x02\xff", "binary"},
		{"NUL in text", websocket.TextMessage, `{"type": "user", "text": "a\u0000b"}`, "not_text"},
		{"not UTF-8", websocket.TextMessage, "{\"type\":\"user\",\"text\":\"\xff\xfe\"}", "binary"},
		{"emoji only", websocket.TextMessage, `{"type": "user", "text": "😀\u200b🎉"}`, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.WriteMessage(tt.typ, []byte(tt.data)); err != nil {
				t.Fatal(err)
			}
			_, m := readTurn(t, c)
			if m.Type != "error" || m.Error != tt.wantErr || m.Message == "" {
				t.Errorf("got %+v, want error %q with a message", m, tt.wantErr)
			}
		})
	}
	// Still usable, and the refused messages changed nothing.
	sendUser(t, c, "@everyone <img src=x onerror=alert(1)>")
	_, m := readTurn(t, c)
	if m.Type != "answer" || m.Decision.Answer != "Answer to: @everyone <img src=x onerror=alert(1)>" {
		t.Errorf("after bad input: %+v", m)
	}
	if got := fe.Asked(); len(got) != 1 {
		t.Errorf("engine asked %q, want only the valid message", got)
	}
}

func TestWebsocketReadLimitCloses(t *testing.T) {
	_, ts := newTestServer(t, &fakeEngine{}, func(c *Config) { c.MaxFrame = 1024 })
	c := dial(t, ts, nil)
	if err := c.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("a"), 4096)); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Errorf("read after oversized frame: %v, want close 1009", err)
	}
}

func TestWebsocketOrigin(t *testing.T) {
	_, ts := newTestServer(t, &fakeEngine{}, func(c *Config) { c.AllowedOrigins = []string{"https://helpdesk.example.gov.cn/"} })
	host := strings.TrimPrefix(ts.URL, "http://")
	tests := []struct {
		origin string
		want   int
	}{
		{"", 101},
		{"http://" + host, 101},
		{"https://helpdesk.example.gov.cn", 101},
		{"https://evil.example", 403},
		{"http://" + host + ".evil.example", 403},
		{"null", 403},
	}
	for _, tt := range tests {
		hdr := http.Header{}
		if tt.origin != "" {
			hdr.Set("Origin", tt.origin)
		}
		c, resp, err := websocket.DefaultDialer.DialContext(t.Context(), wsURL(ts), hdr)
		if c != nil {
			c.Close()
		}
		st := 0
		if resp != nil {
			st = resp.StatusCode
		}
		if st != tt.want {
			t.Errorf("Origin %q: status %d (err %v), want %d", tt.origin, st, err, tt.want)
		}
	}
}

func TestWebsocketRateLimits(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, ts := newTestServer(t, &fakeEngine{}, func(c *Config) {
		c.ConnRateLimit, c.ConnBurst, c.Now = 1, 2, clk.Now
		c.MaxConnsPerIP = 2
	})
	c := dial(t, ts, nil)
	sendUser(t, c, "one")
	_, m1 := readTurn(t, c)
	sendUser(t, c, "two")
	_, m2 := readTurn(t, c)
	sendUser(t, c, "three")
	_, m3 := readTurn(t, c)
	if m1.Type != "answer" || m2.Type != "answer" || m3.Error != "rate_limited" {
		t.Errorf("turns = %s, %s, %s/%s; want answer, answer, rate_limited", m1.Type, m2.Type, m3.Type, m3.Error)
	}
	clk.Add(time.Second)
	sendUser(t, c, "four")
	if _, m := readTurn(t, c); m.Type != "answer" {
		t.Errorf("after refill: %+v", m)
	}

	// Connections per IP.
	dial(t, ts, nil)
	_, resp, err := websocket.DefaultDialer.DialContext(t.Context(), wsURL(ts), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("third connection: err %v, resp %v; want 429", err, resp)
	}
}

func TestServeGracefulShutdown(t *testing.T) {
	s, err := New(Config{Engine: &fakeEngine{}, Logger: testLogger(t), Recorder: storetest.Open(t, ":memory:", store.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()

	url := "ws://" + ln.Addr().String() + "/ws"
	c, _, err := websocket.DefaultDialer.DialContext(t.Context(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if err := c.WriteJSON(map[string]string{"type": "user", "text": "software"}); err != nil {
		t.Fatal(err)
	}
	if _, m := readTurn(t, c); m.Type != "answer" {
		t.Fatalf("got %+v", m)
	}
	cancel()
	_, _, err = c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("on shutdown the client read %v, want close 1001 going away", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve returned %v, want nil", err)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New without an engine succeeded")
	}
	if _, err := New(Config{Engine: &fakeEngine{}}); err == nil {
		t.Error("New without a recorder succeeded")
	}
	db := storetest.Open(t, ":memory:", store.Options{})
	if _, err := New(Config{Engine: &fakeEngine{}, Recorder: db, AllowedOrigins: []string{"*"}}); err == nil {
		t.Error(`New accepted AllowedOrigins ["*"]`)
	}
}

func TestLimiter(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLimiter(2, 3, clk.Now)
	l.maxKeys = 2
	var got []bool
	for range 4 {
		got = append(got, l.allow("a"))
	}
	clk.Add(500 * time.Millisecond)
	got = append(got, l.allow("a"), l.allow("a"))
	if want := []bool{true, true, true, false, true, false}; !reflect.DeepEqual(got, want) {
		t.Errorf("allow = %v, want %v", got, want)
	}
	// Full buckets are forgotten when there are too many keys.
	clk.Add(time.Hour)
	l.allow("b")
	l.allow("c")
	if n := len(l.buckets); n > 2 {
		t.Errorf("buckets = %d, want at most 2 after pruning", n)
	}
	if !newLimiter(-1, 0, clk.Now).allow("x") {
		t.Error("disabled limiter refused")
	}
	cc := &connCounter{max: 1, n: map[string]int{}}
	if !cc.acquire("a") || cc.acquire("a") || !cc.acquire("b") {
		t.Error("connCounter max 1 misbehaves")
	}
	cc.release("a")
	if !cc.acquire("a") {
		t.Error("connCounter did not release")
	}
}

// TestWebsocketLanguage: a websocket conversation answers messages that show no language in the
// reader's language (Accept-Language), then in the language the user writes.
func TestWebsocketLanguage(t *testing.T) {
	_, ts := newTestServer(t, &fakeEngine{}, nil)
	tests := []struct {
		name   string
		accept string
		msgs   []string
		want   []string // per message: "help:<lang>", "answer:<lang>" or "error:<code>:<words in the message>"
	}{
		{name: "English browser", accept: "en-US,en;q=0.9", msgs: []string{"?", "😀", "为银行定制开发软件", ""},
			want: []string{"help:en", "error:empty:The message is empty", "answer:zh", "error:empty:消息是空的"}},
		{name: "Chinese browser", accept: "zh-CN", msgs: []string{"help", "\u200b", "We build apps for banks", "?"},
			want: []string{"help:zh", "error:empty:消息是空的", "answer:en", "help:en"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, ts, http.Header{"Accept-Language": {tt.accept}})
			for i, msg := range tt.msgs {
				sendUser(t, c, msg)
				_, m := readTurn(t, c)
				var got string
				switch {
				case m.Type == "error":
					got = "error:" + m.Error + ":" + m.Message
				case m.Decision != nil && m.Decision.Kind == decision.KindHelp:
					got = "help:" + m.Decision.Lang
				case m.Decision != nil:
					got = "answer:" + m.Decision.Lang
				}
				if !strings.HasPrefix(got, tt.want[i]) {
					t.Errorf("message %q: got %q, want %q…", msg, got, tt.want[i])
				}
			}
		})
	}
}
