package web

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fenlei/decision"
	"fenlei/store"
)

var screenshot = flag.String("screenshot", "", "write a PNG of the chat page after TestBrowser to this file")

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
	return tctx
}

func TestBrowser(t *testing.T) {
	fe := &fakeEngine{}
	s, ts := newTestServer(t, fe, nil)
	ctx := browser(t)

	const quote = "软件产品测试服务，应纳入 I11 软件研发服务。"
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(".status.ok"),
		chromedp.SendKeys("#input", "为银行定制开发信贷管理软件"),
		chromedp.Click("#send"),
		chromedp.WaitVisible(".answer-box details.citation summary"),
	); err != nil {
		t.Fatal(err)
	}
	code, err := chromedp.Run(ctx, chromedp.Text(".answer-box .code .c"))
	if err != nil {
		t.Fatal(err)
	}
	if code != "I11" {
		t.Errorf("code shown = %q, want I11", code)
	}
	hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		`document.querySelector(".answer-box details.citation blockquote").checkVisibility()`))
	if err != nil {
		t.Fatal(err)
	}
	if hidden {
		t.Errorf("the quote is visible before its summary is clicked")
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(".answer-box details.citation summary"),
		chromedp.WaitVisible(".answer-box details.citation blockquote"),
	); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Text(".answer-box details.citation blockquote"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(got) != quote {
		t.Errorf("quote shown = %q, want %q", got, quote)
	}
	box, err := chromedp.Run(ctx, chromedp.Text(".answer-box"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ITO › I1 › I11", "I13 — 0.20", "I13 → I11", "仅供参考，不构成官方认定。"} {
		if !strings.Contains(box, want) {
			t.Errorf("answer box lacks %q:\n%s", want, box)
		}
	}

	// Thumbs down with a corrected code reaches /api/feedback.
	if err := chromedp.Do(ctx,
		chromedp.Click(".answer-box .feedback .down"),
		chromedp.WaitVisible(".answer-box .feedback .fix"),
		chromedp.SendKeys(".answer-box .feedback .fix", "I13"),
		chromedp.Click(".answer-box .feedback .send-fb"),
		chromedp.WaitNotPresent(".answer-box .feedback .fix"),
	); err != nil {
		t.Fatal(err)
	}
	var fbs []store.Feedback
	if err := s.cfg.Lister.Feedbacks(t.Context(), store.Query{}, func(f store.Feedback) error { fbs = append(fbs, f); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(fbs) != 1 || fbs[0].Vote != "down" || fbs[0].Correct != "I13" || fbs[0].Text != "为银行定制开发信贷管理软件" || fbs[0].Code != "I11" {
		t.Errorf("feedback = %+v", fbs)
	}

	if *screenshot != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*screenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
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
		chromedp.WaitVisible(".answer-box details.citation summary"),
		chromedp.Click(".answer-box details.citation summary"),
		chromedp.WaitVisible(".answer-box details.citation blockquote"),
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
