package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"fenlei/classify"
	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/retrieval"
	"fenlei/store"
	"fenlei/store/storetest"
)

// artifactDir is where the browser tests save their screenshots: $FENLEI_ARTIFACTS (.ci/run sets it)
// or a fenlei-artifacts directory in the system's temporary directory. The test logs it.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("FENLEI_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "fenlei-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// saveScreenshot writes a full-page PNG of the tab to dir/name.
func saveScreenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// browser starts headless Chromium (at $CHROME_PATH or /usr/bin/chromium) and returns a tab.
// Without a browser the test is skipped, unless CI=true, where that is a failure.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CHROME_PATH")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no Chromium at %s (CI=true: install it with `apt-get install -y chromium` or set CHROME_PATH): %v", path, err)
		}
		t.Skipf("no Chromium at %s: install it with `apt-get install -y chromium` or set CHROME_PATH to run the browser test", path)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.Flag("lang", "zh-CN"),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1000, 900),
	}
	// A guard against a hung browser, not a timing assertion.
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	tctx, tcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(tcancel)
	// A Chinese reader: navigator.languages and Accept-Language say zh-CN.
	if err := chromedp.Do(tctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) fenlei-test", AcceptLanguage: "zh-CN,zh;q=0.9"})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	return tctx
}

// realServer serves the real offline engine over the embedded guidance.
func realServer(t *testing.T) (*Server, *httptest.Server, *corpus.Guidance) {
	t.Helper()
	g, err := corpus.Load()
	if err != nil {
		t.Fatal(err)
	}
	lex, err := corpus.Lexicon()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := retrieval.New(g, lex, retrieval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	qs, err := corpus.QuestionLexicon()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := classify.New(classify.Config{Guidance: g, Searcher: idx, Questions: qs, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t, storetest.SQLite(t), store.Options{})
	s, err := New(Config{Engine: eng, Categories: g.Classes, Guide: g, Logger: testLogger(t), Recorder: db, Lister: db,
		RateLimit: -1, ConnRateLimit: -1, MaxConnsPerIP: -1})
	if err != nil {
		t.Fatal(err)
	}
	return s, serveTest(t, s), g
}

// js evaluates an expression in the page.
func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// TestBrowser drives the page in headless Chromium against the real offline engine, as a clerk
// would: the welcome examples, an answer with its citations, a "why not", the taxonomy panel, the
// copy button, feedback, and English when the user writes English. Screenshots (desktop and 390 px
// wide) go to artifactDir.
func TestBrowser(t *testing.T) {
	s, ts, g := realServer(t)
	ctx := browser(t)
	dir := artifactDir(t)

	// Welcome: Chinese UI, 4–6 examples, the taxonomy beside it.
	do(t, ctx, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(".status.ok"), chromedp.WaitVisible("#tax-tree .tax-link"))
	if got := js[string](t, ctx, `document.querySelector("#status").textContent`); got != "已连接" {
		t.Errorf("status badge = %q, want 已连接", got)
	}
	n := js[int](t, ctx, `document.querySelectorAll(".welcome button.example").length`)
	if n < 4 || n > 6 {
		t.Errorf("%d example buttons, want 4–6", n)
	}
	if got := js[int](t, ctx, `document.querySelectorAll("#tax-tree .tax-link").length`); got != 3+9+45 {
		t.Errorf("taxonomy tree has %d classes, want 57", got)
	}
	saveScreenshot(t, ctx, dir, "desktop-welcome.png")

	// The first example is a software description: I11 with citations shown, one marked deciding.
	do(t, ctx, chromedp.Click(".welcome button.example"), chromedp.WaitVisible(`.answer-box[data-kind="classification"] .citation blockquote`))
	ans := js[map[string]any](t, ctx, `(() => {
		const b = document.querySelector('.answer-box[data-kind="classification"]');
		return {
			code: b.querySelector(".code .c").textContent,
			path: b.querySelector(".path").textContent,
			conf: b.querySelector(".confidence") ? b.querySelector(".confidence").textContent : "",
			quoteVisible: b.querySelector(".citation blockquote").checkVisibility(),
			quote: b.querySelector(".citation blockquote").textContent,
			deciding: b.querySelectorAll(".citation.deciding .badge").length,
			cands: [...b.querySelectorAll(".candidates li")].map(li => li.textContent),
		};
	})()`)
	if ans["code"] != "I11" {
		t.Errorf("code = %v, want I11", ans["code"])
	}
	var steps []string
	for _, code := range g.Path("I11") {
		c, _ := g.Class(code)
		steps = append(steps, c.Code+" "+c.Name)
	}
	if want := strings.Join(steps, " › "); !strings.Contains(ans["path"].(string), want) {
		t.Errorf("path = %q, want it to name every class: %q", ans["path"], want)
	}
	if c := ans["conf"].(string); !strings.HasPrefix(c, "置信度：") || !strings.HasSuffix(c, "%") {
		t.Errorf("confidence = %q, want a percentage", c)
	}
	if ans["quoteVisible"] != true || !g.Verbatim(ans["quote"].(string)) {
		t.Errorf("citation quote %q visible=%v, want a verbatim quote shown without a click", ans["quote"], ans["quoteVisible"])
	}
	if ans["deciding"] != float64(1) {
		t.Errorf("%v citations marked deciding, want 1", ans["deciding"])
	}
	for _, c := range ans["cands"].([]any) {
		if s := c.(string); !strings.HasSuffix(s, "%") || strings.HasSuffix(s, " 0%") || strings.HasSuffix(s, " 1%") {
			t.Errorf("candidate %q, want a meaningful percentage (5%% or more)", s)
		}
	}

	// Why not: both classes side by side, the confidence kept.
	do(t, ctx, chromedp.SendKeys("#input", "为什么不是 I13？"), chromedp.Click("#send"),
		chromedp.WaitVisible(`.answer-box[data-kind="explain"] .compare .col`))
	cols := js[[]string](t, ctx, `[...document.querySelectorAll('.answer-box[data-kind="explain"] .compare .col')].map(c => c.dataset.code)`)
	if strings.Join(cols, ",") != "I11,I13" {
		t.Errorf("why-not columns = %v, want I11,I13", cols)
	}
	if got := js[string](t, ctx, `document.querySelector('.answer-box[data-kind="explain"] .col .confidence').textContent`); !strings.HasSuffix(got, "%") {
		t.Errorf("why-not confidence = %q, want a percentage", got)
	}
	if got := js[int](t, ctx, `document.querySelectorAll('.answer-box[data-kind="explain"] .col[data-code="I13"] blockquote').length`); got == 0 {
		t.Errorf("the I13 column quotes nothing of I13")
	}

	// Copy: the answer with its citations.
	js[bool](t, ctx, `Object.defineProperty(navigator, "clipboard", {configurable: true,
		value: {writeText: t => { window.__copied = t; return Promise.resolve(); }}}) && true`)
	do(t, ctx, chromedp.Click(`.answer-box[data-kind="classification"] button.copy`),
		chromedp.WaitVisible(`.answer-box[data-kind="classification"] button.copy[data-copied="1"]`))
	copied := js[string](t, ctx, `window.__copied`)
	if !strings.Contains(copied, "I11 软件研发服务") || !strings.Contains(copied, ans["quote"].(string)) || !strings.Contains(copied, "仅供参考") {
		t.Errorf("copied text lacks the code, the quote or the disclaimer:\n%s", copied)
	}

	// The taxonomy panel: #I13 shows its definition, typical businesses and exclusions.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash = "I13"`), chromedp.WaitVisible("#tax-detail .tax-card"))
	card := js[string](t, ctx, `document.querySelector("#tax-detail").textContent`)
	for _, p := range g.PassagesOf("I13") {
		if p.Kind == corpus.KindDefinition || p.Kind == corpus.KindExclude {
			if !strings.Contains(card, p.Text) {
				t.Errorf("the I13 card lacks %s: %q", p.Ref, p.Text)
			}
		}
	}
	if !strings.Contains(card, "测试服务") || !strings.Contains(card, "典型业务") {
		t.Errorf("the I13 card lacks its name or typical businesses:\n%s", card)
	}
	saveScreenshot(t, ctx, dir, "desktop-answer.png")
	// Search finds call centres, and nothing about software development.
	do(t, ctx, chromedp.SendKeys("#tax-search", "呼叫中心"))
	found := js[[]string](t, ctx, `[...document.querySelectorAll("#tax-tree .tax-subs .tax-link")].map(a => a.dataset.code)`)
	if !slices.Contains(found, "B23") || slices.Contains(found, "I11") {
		t.Errorf("search 呼叫中心 lists %v, want B23 and not I11", found)
	}
	saveScreenshot(t, ctx, dir, "desktop-search.png")
	js[bool](t, ctx, `(() => { const s = document.querySelector("#tax-search"); s.value = ""; s.dispatchEvent(new Event("input")); return true; })()`)

	// Feedback: thumbs down with a corrected code reaches /api/feedback, by the answer's record_id.
	do(t, ctx,
		chromedp.Click(`.answer-box[data-kind="classification"] .feedback .down`),
		chromedp.WaitVisible(`.answer-box[data-kind="classification"] .feedback .fix`),
		chromedp.SendKeys(`.answer-box[data-kind="classification"] .feedback .fix`, "I13"),
		chromedp.Click(`.answer-box[data-kind="classification"] .feedback .send-fb`),
		chromedp.WaitNotPresent(`.answer-box[data-kind="classification"] .feedback .fix`),
	)
	var fbs []store.Feedback
	if err := s.cfg.Lister.Feedbacks(t.Context(), store.Query{}, func(f store.Feedback) error { fbs = append(fbs, f); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(fbs) != 1 || fbs[0].Vote != "down" || fbs[0].Correct != "I13" || fbs[0].Code != "I11" || fbs[0].Text == "" {
		t.Errorf("feedback = %+v", fbs)
	}

	// 390 px wide: the panel opens over the chat from a link.
	do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)),
		chromedp.Evaluate[chromedp.Void](`location.hash = ""`))
	saveScreenshot(t, ctx, dir, "mobile-390-answer.png")
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`location.hash = "B23"`), chromedp.WaitVisible("#taxonomy #tax-detail .tax-card"))
	if w := js[float64](t, ctx, `document.querySelector("#taxonomy").getBoundingClientRect().width`); w > 390 {
		t.Errorf("taxonomy panel is %v px wide on a 390 px screen", w)
	}
	saveScreenshot(t, ctx, dir, "mobile-390-taxonomy.png")
	do(t, ctx, chromedp.Click("#tax-close"), chromedp.WaitNotVisible("#taxonomy"), chromedp.EmulateViewport(1000, 900))

	// A user who writes English gets an English interface.
	do(t, ctx, chromedp.SendKeys("#input", "We test our client's mobile apps before release"), chromedp.Click("#send"),
		chromedp.WaitVisible(`.answer-box[lang="en"]`))
	if got := js[string](t, ctx, `document.querySelector("#status").textContent`); got != "Connected" {
		t.Errorf("status after English = %q, want Connected", got)
	}
	saveScreenshot(t, ctx, dir, "desktop-english.png")
	// Emoji only: an error in the conversation's language, nothing sent to the engine.
	do(t, ctx, chromedp.SendKeys("#input", "😀😀"), chromedp.Click("#send"), chromedp.WaitVisible(".msg.error"))
	if got := js[string](t, ctx, `document.querySelector(".msg.error").textContent`); !strings.Contains(got, "empty") {
		t.Errorf("emoji-only message got %q, want the empty message in English", got)
	}
}

func TestBrowserXSS(t *testing.T) {
	const evil = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`
	fe := &fakeEngine{answer: func(text string) decision.Decision {
		return decision.Decision{
			Code: "I11<b>", Name: evil, Path: []string{evil}, Kind: decision.KindClassification,
			Answer:     "echo: " + text,
			Citations:  []decision.Citation{{Ref: evil, Section: evil, Quote: evil}},
			Candidates: []decision.Candidate{{Code: evil, Name: evil, Score: 0.5}},
			Checks:     []decision.Check{{Rule: evil, Status: "flagged", Detail: evil}},
		}
	}}
	_, ts := newTestServer(t, fe, nil)
	ctx := browser(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(".status.ok"),
		chromedp.SendKeys("#input", evil),
		chromedp.Click("#send"),
		chromedp.WaitVisible(".answer-box .citation blockquote"),
	); err != nil {
		t.Fatal(err)
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`({
		xss: window.__xss === undefined ? 0 : window.__xss,
		imgs: document.querySelectorAll("#log img, #log script, #log b").length,
		answer: document.querySelector(".answer-box .answer").textContent,
		quote: document.querySelector(".answer-box blockquote").textContent,
		user: document.querySelector(".msg.user").textContent,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if res["xss"] != float64(0) {
		t.Errorf("injected script ran: window.__xss = %v", res["xss"])
	}
	if res["imgs"] != float64(0) {
		t.Errorf("%v injected elements were created in the page", res["imgs"])
	}
	for _, k := range []string{"quote", "user"} {
		if res[k] != evil {
			t.Errorf("%s shown as %q, want the literal text %q", k, res[k], evil)
		}
	}
	if res["answer"] != "echo: "+evil {
		t.Errorf("answer shown as %q", res["answer"])
	}
}

// TestBrowserCrossSitePost opens a page of another site (localhost, where the chat is at
// 127.0.0.1) that posts to the chat's API the ways a page can: no-cors fetches with a text body and
// an HTML form, and a JSON fetch (which needs a CORS preflight the server never grants). The
// requests arrive, and none is answered, recorded or stored.
func TestBrowserCrossSitePost(t *testing.T) {
	fe := &fakeEngine{}
	s, _ := newTestServer(t, fe, nil)
	var mu sync.Mutex
	arrived := 0
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Header.Get("Origin") != "" {
			mu.Lock()
			arrived++
			mu.Unlock()
		}
		s.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(target.Close)
	// A record the attacker wants to vote on, made by a non-browser client.
	st, body := post(t, target, "/api/classify", `{"text":"为银行定制开发信贷管理软件"}`)
	if st != http.StatusOK {
		t.Fatalf("status %d: %s", st, body)
	}
	var d decision.Decision
	mustJSON(t, body, &d)

	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>evil</title>
<form id="f" method="POST" action="%[1]s/api/feedback" enctype="text/plain" target="sink">
<input name='{"vote":"down","correct":"OUT","record_id":"%[2]s","x":"' value='"}'></form>
<iframe name="sink"></iframe>
<script>
(async () => {
  const fb = JSON.stringify({record_id: %[2]q, vote: "down", correct: "OUT"});
  await fetch(%[1]q + "/api/feedback", {method: "POST", mode: "no-cors", body: fb}).catch(() => {});
  await fetch(%[1]q + "/api/classify", {method: "POST", mode: "no-cors", body: '{"text":"cross-site"}'}).catch(() => {});
  await fetch(%[1]q + "/api/classify", {method: "POST", headers: {"Content-Type": "application/json"}, body: '{"text":"cross-site json"}'}).catch(() => {});
  document.getElementById("f").submit();
  setTimeout(() => { document.title = "done"; }, 500);
})();
</script>`, target.URL, d.RecordID)
	}))
	t.Cleanup(evil.Close)
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1) // another site than 127.0.0.1

	ctx := browser(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(evilURL+"/"),
		chromedp.Poll[chromedp.Void](`document.title === "done"`),
	); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	n := arrived
	mu.Unlock()
	if n < 3 {
		t.Errorf("only %d cross-site POSTs reached the server: the test did not attack", n)
	}
	if got := records(t, s); len(got) != 1 {
		t.Errorf("%d records, want only the non-browser one: %+v", len(got), got)
	}
	nf := 0
	s.cfg.Lister.Feedbacks(t.Context(), store.Query{}, func(store.Feedback) error { nf++; return nil })
	if nf != 0 {
		t.Errorf("a cross-site page stored %d feedback", nf)
	}
	if asked := fe.Asked(); len(asked) != 1 {
		t.Errorf("the engine was asked %q, want only the non-browser request", asked)
	}
}
