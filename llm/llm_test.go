package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fenlei/decision"
	"fenlei/llm/llmtest"
)

// testSchema is a reply schema as a caller would send it.
var testSchema = &Schema{Name: "suggestion", JSON: json.RawMessage(`{"type": "object", "properties": {"code": {"type": "string"}, "reason": {"type": "string"}, "confidence": {"type": "number"}, "citations": {"type": "array"}}, "required": ["code", "reason"]}`)}

const goodJSON = `{"code": "I11", "reason": "定制开发软件属于软件研发服务", "confidence": 0.82, "citations": ["I11.def"]}`

// logSink sends logs to t.Log and keeps them for assertions.
type logSink struct {
	t  testing.TB
	mu sync.Mutex
	b  strings.Builder
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (l *logSink) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), "msg=\""+msg+"\"")
}

// sleeps records the waits between attempts instead of waiting.
type sleeps struct {
	mu  sync.Mutex
	d   []time.Duration
	err error // returned by sleep when set
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	if s.err != nil {
		return s.err
	}
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

type fixture struct {
	srv    *llmtest.Server
	c      *Client
	sleeps *sleeps
	logs   *logSink
}

// setup starts a fake server with h and a client for it; mod adjusts the Config.
func setup(t *testing.T, h llmtest.Handler, mod func(*Config)) fixture {
	t.Helper()
	srv := llmtest.NewServer(t, h)
	sl := &sleeps{}
	logs := &logSink{t: t}
	cfg := Config{
		URL:    srv.URL,
		Model:  "deepseek-chat",
		Key:    "sk-test",
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Sleep:  sl.sleep,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return fixture{srv: srv, c: c, sleeps: sl, logs: logs}
}

// asError unwraps the *Error every failing call must return.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	if err == nil {
		t.Fatal("err = nil, want an *Error")
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %T %v, want an *Error", err, err)
	}
	return e
}

func TestCompleteRightAnswer(t *testing.T) {
	f := setup(t, func(llmtest.Request, int) llmtest.Response {
		return llmtest.Response{Content: goodJSON, PromptTokens: 321, CompletionTokens: 45, Model: "deepseek-chat-v3"}
	}, nil)

	got, err := f.c.Complete(t.Context(), "你是分类助手，只回答 JSON。", "为银行定制开发信贷管理系统")
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	want := Reply{Text: goodJSON, Model: "deepseek-chat-v3", Usage: decision.Usage{PromptTokens: 321, CompletionTokens: 45}, FinishReason: "stop"}
	if got != want {
		t.Errorf("Complete = %+v, want %+v", got, want)
	}

	reqs := f.srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("requests = %d, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Model != "deepseek-chat" {
		t.Errorf("model = %q, want deepseek-chat", r.Model)
	}
	if r.Temperature == nil || *r.Temperature != 0.1 {
		t.Errorf("temperature = %v, want 0.1", r.Temperature)
	}
	if r.ResponseFormat == nil || r.ResponseFormat.Type != "json_object" {
		t.Errorf("response_format = %+v, want json_object", r.ResponseFormat)
	}
	if r.Stream || r.StreamOptions != nil {
		t.Errorf("stream = %v, stream_options = %+v, want neither", r.Stream, r.StreamOptions)
	}
	if r.MaxTokens != 0 || r.MaxCompletionTokens != 0 {
		t.Errorf("max tokens = %d/%d, want none", r.MaxTokens, r.MaxCompletionTokens)
	}
	gotMsgs := fmt.Sprint(r.Messages)
	wantMsgs := fmt.Sprint([]llmtest.Message{{Role: "system", Content: "你是分类助手，只回答 JSON。"}, {Role: "user", Content: "为银行定制开发信贷管理系统"}})
	if gotMsgs != wantMsgs {
		t.Errorf("messages = %s, want %s", gotMsgs, wantMsgs)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer sk-test" {
		t.Errorf("Authorization = %q, want Bearer sk-test", got)
	}
	if n := f.logs.count("llm retry"); n != 0 {
		t.Errorf("retries logged = %d, want 0", n)
	}
}

func TestCompleteRequestOptions(t *testing.T) {
	tests := []struct {
		name   string
		mod    func(*Config)
		system string
		check  func(t *testing.T, r llmtest.Request)
	}{
		{
			name: "json_schema",
			mod:  func(c *Config) { c.ResponseFormat = "json_schema" },
			check: func(t *testing.T, r llmtest.Request) {
				rf := r.ResponseFormat
				if rf == nil || rf.Type != "json_schema" || rf.JSONSchema == nil || rf.JSONSchema.Name != "suggestion" {
					t.Fatalf("response_format = %+v, want json_schema named suggestion", rf)
				}
				var schema struct {
					Type       string                           `json:"type"`
					Properties map[string]struct{ Type string } `json:"properties"`
					Required   []string                         `json:"required"`
				}
				if err := json.Unmarshal(rf.JSONSchema.Schema, &schema); err != nil {
					t.Fatalf("schema: %v", err)
				}
				if schema.Type != "object" || !slices.Equal(schema.Required, []string{"code", "reason"}) {
					t.Errorf("schema = %+v", schema)
				}
				wantTypes := map[string]string{"code": "string", "reason": "string", "confidence": "number", "citations": "array"}
				for p, typ := range wantTypes {
					if got := schema.Properties[p].Type; got != typ {
						t.Errorf("schema property %s type = %q, want %q", p, got, typ)
					}
				}
			},
		},
		{
			name: "ollama: no key, no format, no temperature, max tokens, no system",
			mod: func(c *Config) {
				c.Key, c.ResponseFormat, c.Temperature, c.MaxTokens = "", "none", -1, 256
			},
			check: func(t *testing.T, r llmtest.Request) {
				if h := r.Header.Get("Authorization"); h != "" {
					t.Errorf("Authorization = %q, want none", h)
				}
				if r.ResponseFormat != nil {
					t.Errorf("response_format = %+v, want none", r.ResponseFormat)
				}
				if r.Temperature != nil {
					t.Errorf("temperature = %v, want none", *r.Temperature)
				}
				if r.MaxTokens != 256 {
					t.Errorf("max_tokens = %d, want 256", r.MaxTokens)
				}
				if len(r.Messages) != 1 || r.Messages[0].Role != "user" {
					t.Errorf("messages = %v, want the user message only", r.Messages)
				}
			},
		},
		{
			name: "explicit temperature",
			mod:  func(c *Config) { c.Temperature = 0.7 },
			check: func(t *testing.T, r llmtest.Request) {
				if r.Temperature == nil || *r.Temperature != 0.7 {
					t.Errorf("temperature = %v, want 0.7", r.Temperature)
				}
			},
		},
		{
			name: "reasoning model: max_completion_tokens, no temperature",
			mod:  func(c *Config) { c.Model, c.MaxTokens = "o3-mini", 300 },
			check: func(t *testing.T, r llmtest.Request) {
				if r.Temperature != nil || r.MaxTokens != 0 || r.MaxCompletionTokens != 300 {
					t.Errorf("temperature = %v, max_tokens = %d, max_completion_tokens = %d; want nil, 0, 300",
						r.Temperature, r.MaxTokens, r.MaxCompletionTokens)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, nil, tt.mod)
			if _, err := f.c.Chat(t.Context(), Request{System: tt.system, User: "数据标注服务", Schema: testSchema}); err != nil {
				t.Fatalf("Chat: %v", err)
			}
			reqs := f.srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("requests = %d, want 1", len(reqs))
			}
			tt.check(t, reqs[0])
		})
	}
}

func TestStream(t *testing.T) {
	chunks := []string{`{"code"`, `: "I11", `, `"reason": "软件`, `研发"}`}
	f := setup(t, func(llmtest.Request, int) llmtest.Response {
		return llmtest.Response{Chunks: chunks, PromptTokens: 50, CompletionTokens: 7}
	}, nil)

	var deltas []string
	got, err := f.c.Stream(t.Context(), "sys", "user", func(d string) { deltas = append(deltas, d) })
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if !slices.Equal(deltas, chunks) {
		t.Errorf("deltas = %q, want %q", deltas, chunks)
	}
	want := Reply{Text: strings.Join(chunks, ""), Model: "deepseek-chat", Usage: decision.Usage{PromptTokens: 50, CompletionTokens: 7}, FinishReason: "stop"}
	if got != want {
		t.Errorf("Stream = %+v, want %+v", got, want)
	}
	r := f.srv.Requests()[0]
	if !r.Stream || r.StreamOptions == nil || !r.StreamOptions.IncludeUsage {
		t.Errorf("stream = %v, stream_options = %+v; want stream with include_usage", r.Stream, r.StreamOptions)
	}
}

func TestStreamWithoutUsage(t *testing.T) {
	f := setup(t, func(llmtest.Request, int) llmtest.Response {
		return llmtest.Response{Content: goodJSON, NoUsage: true}
	}, nil)
	got, err := f.c.Stream(t.Context(), "", "u", nil) // nil onDelta is allowed
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if got.Text != goodJSON || got.Usage != (decision.Usage{}) {
		t.Errorf("Stream = %+v, want the full text and zero usage", got)
	}
}

func TestStreamRetriedBeforeContent(t *testing.T) {
	f := setup(t, llmtest.Sequence(llmtest.Fail(503, ""), llmtest.Reply(goodJSON)), nil)
	var deltas []string
	got, err := f.c.Stream(t.Context(), "", "u", func(d string) { deltas = append(deltas, d) })
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if got.Text != goodJSON || strings.Join(deltas, "") != goodJSON {
		t.Errorf("text = %q, deltas = %q; want %q once", got.Text, deltas, goodJSON)
	}
	if n := len(f.srv.Requests()); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
}

func TestStreamNotRetriedAfterContent(t *testing.T) {
	// The server sends some content and then stalls; the attempt times out in the transport.
	// Retrying would repeat deltas the caller has already shown, so the error comes back.
	f := setup(t, func(llmtest.Request, int) llmtest.Response {
		return llmtest.Response{Chunks: []string{`{"code": "I1`}, Stall: true}
	}, func(c *Config) { c.HTTPClient = &http.Client{Timeout: 200 * time.Millisecond} })
	var deltas []string
	got, err := f.c.Stream(t.Context(), "", "u", func(d string) { deltas = append(deltas, d) })
	e := asError(t, err)
	if e.Retryable || e.Attempts != 1 || e.Op != "llm.Stream" {
		t.Errorf("error = %+v, want Op llm.Stream, not retryable, 1 attempt", e)
	}
	if got.Text != `{"code": "I1` || !slices.Equal(deltas, []string{`{"code": "I1`}) {
		t.Errorf("partial text = %q, deltas = %q", got.Text, deltas)
	}
	if n := len(f.srv.Requests()); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestProseInsteadOfJSON(t *testing.T) {
	const prose = "这个服务应该属于软件研发服务（I11），因为它是定制开发。"
	f := setup(t, func(llmtest.Request, int) llmtest.Response { return llmtest.Reply(prose) }, nil)
	got, err := f.c.Complete(t.Context(), "", "u")
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if got.Text != prose {
		t.Errorf("text = %q, want %q", got.Text, prose)
	}
}

func TestRetryAfterThenSuccess(t *testing.T) {
	f := setup(t, llmtest.Sequence(
		llmtest.Response{Status: 429, ErrorCode: "rate_limit_exceeded", RetryAfter: "2"},
		llmtest.Reply(goodJSON),
	), nil)
	got, err := f.c.Complete(t.Context(), "", "u")
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if got.Text != goodJSON {
		t.Errorf("text = %q", got.Text)
	}
	if n := len(f.srv.Requests()); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
	if got, want := f.sleeps.got(), []time.Duration{2 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("sleeps = %v, want %v (the Retry-After)", got, want)
	}
	if n := f.logs.count("llm retry"); n != 1 {
		t.Errorf("retries logged = %d, want 1", n)
	}
}

func TestServerErrorAlways(t *testing.T) {
	f := setup(t, func(llmtest.Request, int) llmtest.Response { return llmtest.Fail(500, "") },
		func(c *Config) { c.MaxRetries = 2 })
	_, err := f.c.Complete(t.Context(), "", "u")
	e := asError(t, err)
	if e.Op != "llm.Complete" || e.Status != 500 || !e.Retryable || e.Attempts != 3 {
		t.Errorf("error = %+v, want llm.Complete, status 500, retryable, 3 attempts", e)
	}
	if n := len(f.srv.Requests()); n != 3 {
		t.Errorf("requests = %d, want 1+MaxRetries = 3", n)
	}
	got := f.sleeps.got()
	if len(got) != 2 {
		t.Fatalf("sleeps = %v, want 2", got)
	}
	for i, d := range got {
		lo, hi := (baseBackoff<<i)/2, (baseBackoff<<i)*3/2
		if d < lo || d > hi {
			t.Errorf("sleep %d = %v, want exponential backoff with jitter in [%v, %v]", i, d, lo, hi)
		}
	}
	if n := f.logs.count("llm retry"); n != 2 {
		t.Errorf("retries logged = %d, want 2", n)
	}
}

func TestNoRetriesWhenDisabled(t *testing.T) {
	f := setup(t, func(llmtest.Request, int) llmtest.Response { return llmtest.Fail(503, "") },
		func(c *Config) { c.MaxRetries = -1 })
	_, err := f.c.Complete(t.Context(), "", "u")
	if e := asError(t, err); e.Attempts != 1 || !e.Retryable {
		t.Errorf("error = %+v, want 1 attempt, retryable", e)
	}
	if n := len(f.srv.Requests()); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestNotRetried(t *testing.T) {
	tests := []struct {
		name     string
		resp     llmtest.Response
		wantCode string
	}{
		{"400 bad request", llmtest.Fail(400, "invalid_request_error"), "invalid_request_error"},
		{"401 bad key", llmtest.Fail(401, "invalid_api_key"), "invalid_api_key"},
		{"403 forbidden", llmtest.Fail(403, ""), "invalid_request_error"},
		{"404 no such model", llmtest.Fail(404, "model_not_found"), "model_not_found"},
		{"429 insufficient_quota", llmtest.Response{Status: 429, ErrorCode: "insufficient_quota", RetryAfter: "1"}, "insufficient_quota"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, func(llmtest.Request, int) llmtest.Response { return tt.resp }, nil)
			for _, call := range []func() error{
				func() error { _, err := f.c.Complete(t.Context(), "", "u"); return err },
				func() error { _, err := f.c.Stream(t.Context(), "", "u", nil); return err },
			} {
				e := asError(t, call())
				if e.Status != tt.resp.Status || e.Code != tt.wantCode || e.Retryable || e.Attempts != 1 {
					t.Errorf("error = %+v, want status %d, code %q, not retryable, 1 attempt", e, tt.resp.Status, tt.wantCode)
				}
			}
			if n := len(f.srv.Requests()); n != 2 {
				t.Errorf("requests = %d, want 1 per call", n)
			}
			if got := f.sleeps.got(); len(got) != 0 {
				t.Errorf("sleeps = %v, want none", got)
			}
		})
	}
}

func TestProxyErrorPageRetried(t *testing.T) {
	// A gateway's HTML error page is not an OpenAI error object; its status still decides.
	f := setup(t, llmtest.Sequence(
		llmtest.Response{Status: 502, RawBody: "<html><body>502 Bad Gateway</body></html>"},
		llmtest.Reply(goodJSON),
	), nil)
	if _, err := f.c.Complete(t.Context(), "", "u"); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if n := len(f.srv.Requests()); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
}

func TestAttemptTimeoutRetried(t *testing.T) {
	// The first attempt hangs past the HTTP client's own timeout; the call has time left.
	f := setup(t, llmtest.Sequence(
		llmtest.Response{Delay: time.Minute},
		llmtest.Reply(goodJSON),
	), func(c *Config) { c.HTTPClient = &http.Client{Timeout: 150 * time.Millisecond} })
	if _, err := f.c.Complete(t.Context(), "", "u"); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if n := len(f.srv.Requests()); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
}

func TestHangPastTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprint("stream=", stream), func(t *testing.T) {
			f := setup(t, func(llmtest.Request, int) llmtest.Response { return llmtest.Response{Delay: time.Minute} },
				func(c *Config) { c.Timeout = timeout })
			start := time.Now()
			var err error
			if stream {
				_, err = f.c.Stream(t.Context(), "", "u", nil)
			} else {
				_, err = f.c.Complete(t.Context(), "", "u")
			}
			elapsed := time.Since(start)
			e := asError(t, err)
			if !errors.Is(err, context.DeadlineExceeded) || e.Retryable {
				t.Errorf("err = %v, want a non-retryable deadline error", err)
			}
			if elapsed > timeout+2*time.Second {
				t.Errorf("returned after %v, want about %v", elapsed, timeout)
			}
			if n := len(f.srv.Requests()); n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
		})
	}
}

func TestContextCancelled(t *testing.T) {
	t.Run("before the call", func(t *testing.T) {
		f := setup(t, nil, nil)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := f.c.Complete(ctx, "", "u")
		if e := asError(t, err); !errors.Is(err, context.Canceled) || e.Retryable {
			t.Errorf("err = %v, want context.Canceled, not retryable", err)
		}
	})
	t.Run("while waiting for the answer", func(t *testing.T) {
		arrived := make(chan struct{})
		f := setup(t, func(llmtest.Request, int) llmtest.Response {
			close(arrived)
			return llmtest.Response{Delay: time.Minute}
		}, nil)
		ctx, cancel := context.WithCancel(t.Context())
		go func() { <-arrived; cancel() }()
		_, err := f.c.Stream(ctx, "", "u", nil)
		if e := asError(t, err); !errors.Is(err, context.Canceled) || e.Retryable {
			t.Errorf("err = %v, want context.Canceled, not retryable", err)
		}
	})
	t.Run("during the backoff", func(t *testing.T) {
		f := setup(t, func(llmtest.Request, int) llmtest.Response { return llmtest.Fail(429, "rate_limit_exceeded") }, nil)
		f.sleeps.err = context.Canceled
		_, err := f.c.Complete(t.Context(), "", "u")
		e := asError(t, err)
		if !errors.Is(err, context.Canceled) || e.Status != 429 || e.Retryable {
			t.Errorf("err = %+v, want context.Canceled after a 429, not retryable", e)
		}
		if n := len(f.srv.Requests()); n != 1 {
			t.Errorf("requests = %d, want 1", n)
		}
	})
}

func TestRetryAfterBeyondDeadline(t *testing.T) {
	f := setup(t, func(llmtest.Request, int) llmtest.Response {
		return llmtest.Response{Status: 429, ErrorCode: "rate_limit_exceeded", RetryAfter: "20"}
	}, func(c *Config) { c.Timeout = 5 * time.Second })
	_, err := f.c.Complete(t.Context(), "", "u")
	if e := asError(t, err); e.Status != 429 || !e.Retryable || e.Attempts != 1 {
		t.Errorf("error = %+v, want a retryable 429 after 1 attempt", e)
	}
	if got := f.sleeps.got(); len(got) != 0 {
		t.Errorf("sleeps = %v, want none: the wait would outlast the call", got)
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		resp llmtest.Response
		mod  func(*Config)
		want string
	}{
		{
			name: "api error",
			resp: llmtest.Response{Status: 401, ErrorCode: "invalid_api_key", ErrorMessage: "Incorrect API key provided"},
			want: "llm.Complete: status 401 (invalid_api_key): Incorrect API key provided",
		},
		{
			name: "proxy page",
			resp: llmtest.Response{Status: 502, RawBody: "<html>bad gateway</html>"},
			mod:  func(c *Config) { c.MaxRetries = 1 },
			want: "llm.Complete: status 502 after 2 attempts: Bad Gateway",
		},
		{
			name: "timeout",
			resp: llmtest.Response{Delay: time.Minute},
			mod:  func(c *Config) { c.Timeout = 50 * time.Millisecond },
			want: "llm.Complete: context deadline exceeded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, func(llmtest.Request, int) llmtest.Response { return tt.resp }, tt.mod)
			_, err := f.c.Complete(t.Context(), "", "u")
			if err == nil || err.Error() != tt.want {
				t.Errorf("Error() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" for success
	}{
		{"deepseek", Config{URL: "https://api.deepseek.com/v1", Model: "deepseek-chat", Key: "k"}, ""},
		{"ollama without key", Config{URL: "http://localhost:11434/v1/", Model: "qwen2.5:7b"}, ""},
		{"json_schema", Config{URL: "http://x/v1", Model: "m", ResponseFormat: "json_schema"}, ""},
		{"no URL", Config{Model: "m"}, "URL is required"},
		{"no scheme", Config{URL: "api.deepseek.com/v1", Model: "m"}, "not an http(s) base URL"},
		{"bad scheme", Config{URL: "ftp://x/v1", Model: "m"}, "not an http(s) base URL"},
		{"no model", Config{URL: "http://x/v1", Model: "  "}, "Model is required"},
		{"bad format", Config{URL: "http://x/v1", Model: "m", ResponseFormat: "yaml"}, "ResponseFormat"},
		{"negative timeout", Config{URL: "http://x/v1", Model: "m", Timeout: -time.Second}, "Timeout"},
		{"negative max tokens", Config{URL: "http://x/v1", Model: "m", MaxTokens: -1}, "MaxTokens"},
		{"hot", Config{URL: "http://x/v1", Model: "m", Temperature: 3}, "Temperature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				p := profiles[c.Provider()]
				if c.Model() != strings.TrimSpace(tt.cfg.Model) || c.timeout != p.timeout || c.attempt != p.attempt || c.maxRetries != DefaultMaxRetries {
					t.Errorf("client = model %q, timeout %v, attempt %v, retries %d; want the %s profile's and defaults", c.Model(), c.timeout, c.attempt, c.maxRetries, c.Provider())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "llm.New: ") {
				t.Errorf("New err = %v, want llm.New: …%s…", err, tt.wantErr)
			}
		})
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
		wantOK bool
	}{
		{"none", nil, 0, false},
		{"seconds", map[string]string{"Retry-After": "3"}, 3 * time.Second, true},
		{"fraction", map[string]string{"Retry-After": "0.5"}, 500 * time.Millisecond, true},
		{"capped", map[string]string{"Retry-After": "3600"}, maxRetryAfter, true},
		{"http date", map[string]string{"Retry-After": now.Add(7 * time.Second).Format(http.TimeFormat)}, 7 * time.Second, true},
		{"date in the past", map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}, 0, true},
		{"date far ahead", map[string]string{"Retry-After": now.Add(24 * time.Hour).Format(http.TimeFormat)}, maxRetryAfter, true},
		{"milliseconds first", map[string]string{"Retry-After-Ms": "250", "Retry-After": "1"}, 250 * time.Millisecond, true},
		{"negative", map[string]string{"Retry-After": "-4"}, 0, false},
		{"NaN", map[string]string{"Retry-After": "NaN"}, 0, false},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			got, ok := retryAfter(h, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("retryAfter = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		n      int
		jitter float64
		want   time.Duration
	}{
		{0, 0, 500 * time.Millisecond},
		{0, 0.5, time.Second},
		{1, 0.5, 2 * time.Second},
		{2, 0.75, 5 * time.Second},
		{3, 0.75, 10 * time.Second},
		{4, 0.5, maxBackoff},
		{60, 0, maxBackoff / 2},
	}
	for _, tt := range tests {
		if got := backoff(tt.n, tt.jitter); got != tt.want {
			t.Errorf("backoff(%d, %v) = %v, want %v", tt.n, tt.jitter, got, tt.want)
		}
	}
}
