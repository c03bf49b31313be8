package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fenlei/bot/web/webload"
)

// serving finds the bound address in the server's info log ("msg=serving addr=127.0.0.1:PORT"):
// `fenlei serve --addr 127.0.0.1:0` prints only the configured address on its own stderr line.
var serving = regexp.MustCompile(`msg=serving addr=(\S+)`)

// startServe runs `fenlei serve --addr 127.0.0.1:0` in a goroutine and returns its base URL, the
// cancel function that stops it and a channel closed when run has returned (with *runErr set).
func startServe(t *testing.T, stderr *syncBuffer, extra ...string) (base string, cancel context.CancelFunc, done <-chan struct{}, runErr *error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	runErr = new(error)
	args := append([]string{"serve", "--addr", "127.0.0.1:0"}, extra...)
	env := map[string]string{"FENLEI_LOG_LEVEL": "info", "FENLEI_DB_URL": filepath.Join(t.TempDir(), "fenlei.db")}
	go func() {
		defer close(stopped)
		*runErr = run(ctx, args, strings.NewReader(""), io.Discard, stderr, func(k string) string { return env[k] })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(15 * time.Second):
			t.Errorf("serve did not stop")
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if m := serving.FindStringSubmatch(stderr.String()); m != nil {
			base := "http://" + m[1]
			waitHealthy(t, base)
			return base, cancel, stopped, runErr
		}
		select {
		case <-stopped:
			t.Fatalf("serve returned early: %v\nstderr: %s", *runErr, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not log its address within 15s; stderr:\n%s", stderr.String())
	return "", nil, nil, nil
}

// waitHealthy polls GET /healthz until it answers 200 (bounded).
func waitHealthy(t *testing.T, base string) {
	t.Helper()
	var last error
	for range 200 {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = errors.New(resp.Status)
		} else {
			last = err
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("GET /healthz never answered 200: %v", last)
}

// do sends one request and returns the status and body.
func do(t *testing.T, method, url, contentType, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func TestServe(t *testing.T) {
	base, cancel, done, runErr := startServe(t, &syncBuffer{})

	t.Run("classify", func(t *testing.T) {
		status, body := do(t, http.MethodPost, base+"/api/classify", "application/json", `{"text":"我们给银行做手机APP"}`)
		if status != http.StatusOK {
			t.Fatalf("status %d, want 200: %s", status, body)
		}
		d := parseDecision(t, body)
		if d.Code != "I11" || d.Engine != "offline" {
			t.Errorf("code %q engine %q, want I11 offline", d.Code, d.Engine)
		}
		if len(d.Citations) == 0 {
			t.Errorf("no citations")
		}
	})
	t.Run("classify echoes id", func(t *testing.T) {
		status, body := do(t, http.MethodPost, base+"/api/classify", "application/json", `{"id":"req-7","text":"劳务派遣"}`)
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		if d := parseDecision(t, body); d.ID != "req-7" || d.Code != "OUT" {
			t.Errorf("id %q code %q, want req-7 OUT", d.ID, d.Code)
		}
	})
	t.Run("ask guidance question", func(t *testing.T) {
		status, body := do(t, http.MethodPost, base+"/api/ask", "application/json", `{"text":"交易平台注册要交哪些材料？"}`)
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		d := parseDecision(t, body)
		if d.Code != "" || d.Question != "" || d.Answer == "" || len(d.Citations) == 0 {
			t.Errorf("guidance answer: code %q question %q answer %q, %d citations", d.Code, d.Question, d.Answer, len(d.Citations))
		}
	})
	t.Run("categories", func(t *testing.T) {
		status, body := do(t, http.MethodGet, base+"/api/categories", "", "")
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		var cats []category
		if err := json.Unmarshal(body, &cats); err != nil {
			t.Fatal(err)
		}
		checkTaxonomy(t, cats)
		// The HTTP taxonomy is the same as `categories --json`.
		cli := runFenlei(t, invocation{args: []string{"categories", "--json"}})
		var want []category
		if err := json.Unmarshal([]byte(cli.stdout), &want); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if want[i].Code != cats[i].Code || want[i].Name != cats[i].Name || want[i].Level != cats[i].Level {
				t.Errorf("class %d: HTTP %+v, CLI %+v", i, cats[i], want[i])
			}
		}
	})
	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name, method, path, ct, body string
			want                         int
		}{
			{"empty text", "POST", "/api/classify", "application/json", `{"text":""}`, http.StatusBadRequest},
			{"missing text", "POST", "/api/classify", "application/json", `{}`, http.StatusBadRequest},
			{"invalid JSON", "POST", "/api/classify", "application/json", `{"text":`, http.StatusBadRequest},
			{"too long", "POST", "/api/classify", "application/json", `{"text":"` + strings.Repeat("软", 10001) + `"}`, http.StatusUnprocessableEntity},
			{"binary", "POST", "/api/classify", "application/json", `{"text":"\u0000\u0001\u0002abc"}`, http.StatusUnprocessableEntity},
			{"body over 64 KiB", "POST", "/api/classify", "application/json", `{"text":"` + strings.Repeat("a", 70<<10) + `"}`, http.StatusRequestEntityTooLarge},
			{"GET classify", "GET", "/api/classify", "", "", http.StatusMethodNotAllowed},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, body := do(t, tt.method, base+tt.path, tt.ct, tt.body)
				if status != tt.want {
					t.Errorf("status %d, want %d: %.200s", status, tt.want, body)
				}
				var e struct {
					Error string `json:"error"`
				}
				if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
					t.Errorf("error body %.200q is not {\"error\": ...}", body)
				}
			})
		}
	})

	cancel()
	select {
	case <-done:
		if *runErr != nil {
			t.Errorf("serve after cancel: %v, want nil (graceful shutdown)", *runErr)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not return within 15s of cancel")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Errorf("the server still answers after shutdown")
	}
}

// TestServePrintsBoundAddress: with --addr 127.0.0.1:0 the "serving on" line should name the port
// the server really listens on, so that a user (or a test) can find it.
func TestServePrintsBoundAddress(t *testing.T) {
	stderr := &syncBuffer{}
	base, _, _, _ := startServe(t, stderr)
	want := "fenlei: serving on " + base
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("serve should print the address it listens on: want %q in stderr:\n%s", want, stderr.String())
	}
}

func TestServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := runFenlei(t, invocation{args: []string{"serve", "--addr", ln.Addr().String()}})
	if got.err == nil {
		t.Fatalf("serve on a busy address: err = nil")
	}
}

func TestServeBadOrigins(t *testing.T) {
	got := runFenlei(t, invocation{args: []string{"serve", "--addr", "127.0.0.1:0", "--allowed-origins", "*"}})
	if got.err == nil || errors.Is(got.err, errUsage) {
		t.Fatalf("--allowed-origins '*': err = %v, want a configuration error", got.err)
	}
}

// TestServeLimitFlags: --hosts, --ws-rate-limit and --ws-burst reach the server.
func TestServeLimitFlags(t *testing.T) {
	var stderr syncBuffer
	base, _, _, _ := startServe(t, &stderr, "--hosts", "fenlei.example.org", "--ws-rate-limit", "0.001", "--ws-burst", "1")
	for host, want := range map[string]int{"fenlei.example.org": 200, "localhost": 200, "rebind.attacker.example": 403} {
		req, err := http.NewRequestWithContext(t.Context(), "GET", base+"/healthz", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: status %d, want %d", host, resp.StatusCode, want)
		}
	}
	// One message per connection passes (the burst); the second, right after, is refused.
	res, err := webload.Run(t.Context(), webload.Options{URL: "ws" + strings.TrimPrefix(base, "http") + "/ws",
		Conns: 1, Turns: 2, Text: "为银行定制开发信贷管理软件", Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.Answers != 1 || res.ByKind["rate_limited"] != 1 {
		t.Errorf("answers %d, errors %v; want 1 answer and 1 rate_limited", res.Answers, res.ByKind)
	}
}
