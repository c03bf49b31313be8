package llm

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fenlei/llm/llmtest"
)

func TestGuessProvider(t *testing.T) {
	for _, tt := range []struct {
		url, model string
		want       Provider
	}{
		{"https://api.openai.com/v1", "gpt-4o-mini", OpenAI},
		{"https://api.openai.com/v1", "o3-mini", Reasoning},
		{"https://api.deepseek.com/v1", "deepseek-chat", DeepSeek},
		{"https://api.deepseek.com/v1", "deepseek-reasoner", Reasoning},
		{"https://dashscope.aliyuncs.com/compatible-mode/v1", "qwen-plus", Qwen},
		{"https://dashscope.aliyuncs.com/compatible-mode/v1", "qwq-plus", Reasoning},
		{"http://localhost:11434/v1", "qwen2.5:7b", Ollama},
		{"http://ollama.internal/v1", "llama3.1", Ollama},
		{"http://localhost:11434/v1", "deepseek-r1:14b", Reasoning},
		{"http://vllm.local:8000/v1", "Qwen/Qwen3-8B", Qwen},
		{"http://vllm.local:8000/v1", "DeepSeek-V3", DeepSeek},
		{"http://vllm.local:8000/v1", "mistral-small", OpenAI},
	} {
		if got := GuessProvider(tt.url, tt.model); got != tt.want {
			t.Errorf("GuessProvider(%q, %q) = %q, want %q", tt.url, tt.model, got, tt.want)
		}
	}
	if _, err := ParseProvider("gemini"); err == nil {
		t.Error("ParseProvider(gemini): no error")
	}
	if p, err := ParseProvider(" Qwen "); err != nil || p != Qwen {
		t.Errorf("ParseProvider(Qwen) = %q, %v", p, err)
	}
}

// TestProfiles: each profile's request, as the fake server decodes it.
func TestProfiles(t *testing.T) {
	for _, tt := range []struct {
		provider Provider
		format   string // response_format type, "" none
		temp     bool
		thinking string // enable_thinking: "false", or "" absent
	}{
		{OpenAI, "json_schema", true, ""},
		{DeepSeek, "json_object", true, ""},
		{Qwen, "json_object", true, "false"},
		{Ollama, "json_object", true, ""},
		{Reasoning, "", false, ""},
	} {
		t.Run(string(tt.provider), func(t *testing.T) {
			f := setup(t, nil, func(c *Config) { c.Provider = tt.provider })
			if _, err := f.c.Chat(t.Context(), Request{System: "JSON please", User: "u", Schema: testSchema}); err != nil {
				t.Fatal(err)
			}
			r := f.srv.Requests()[0]
			got := ""
			if r.ResponseFormat != nil {
				got = r.ResponseFormat.Type
			}
			if got != tt.format {
				t.Errorf("response_format %q, want %q", got, tt.format)
			}
			if (r.Temperature != nil) != tt.temp {
				t.Errorf("temperature %v, want sent: %v", r.Temperature, tt.temp)
			}
			th := ""
			if r.EnableThinking != nil {
				th = "true"
				if !*r.EnableThinking {
					th = "false"
				}
			}
			if th != tt.thinking {
				t.Errorf("enable_thinking %q, want %q", th, tt.thinking)
			}
			p := profiles[tt.provider]
			if f.c.timeout != p.timeout || f.c.attempt != p.attempt || f.c.attempt > f.c.timeout {
				t.Errorf("timeouts %v/%v, want %v/%v", f.c.timeout, f.c.attempt, p.timeout, p.attempt)
			}
		})
	}
}

// TestQwenThinkingSwitch: DashScope answers 400 to a non-streaming call unless enable_thinking is false;
// the qwen profile sends it, and without it the provider's own message reaches the caller.
func TestQwenThinkingSwitch(t *testing.T) {
	h := llmtest.DashScopeThinking(llmtest.Reply(goodJSON))
	f := setup(t, h, func(c *Config) { c.Provider = Qwen })
	if got, err := f.c.Complete(t.Context(), "JSON", "u"); err != nil || got.Text != goodJSON {
		t.Fatalf("qwen profile: %q, %v", got.Text, err)
	}
	f = setup(t, h, func(c *Config) { c.Provider = OpenAI; c.ResponseFormat = "json_object" })
	_, err := f.c.Complete(t.Context(), "JSON", "u")
	e := asError(t, err)
	if e.Status != 400 || e.Retryable || !strings.Contains(err.Error(), "enable_thinking must be set to false") {
		t.Errorf("without the switch: %v (status %d, retryable %v), want DashScope's 400 message", err, e.Status, e.Retryable)
	}
	if n := len(f.srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1: a 400 is not retried", n)
	}
}

// TestFormatStepDown: DeepSeek rejects json_schema with a 400 naming response_format; the client steps
// down to json_object, the call succeeds, and later calls ask json_object straight away.
func TestFormatStepDown(t *testing.T) {
	f := setup(t, llmtest.DeepSeekFormat(llmtest.Reply(goodJSON)), func(c *Config) { c.ResponseFormat = "json_schema" })
	got, err := f.c.Chat(t.Context(), Request{System: "JSON", User: "u", Schema: testSchema})
	if err != nil || got.Text != goodJSON {
		t.Fatalf("Chat = %q, %v", got.Text, err)
	}
	if _, err := f.c.Chat(t.Context(), Request{System: "JSON", User: "u", Schema: testSchema}); err != nil {
		t.Fatal(err)
	}
	var formats []string
	for _, r := range f.srv.Requests() {
		formats = append(formats, r.ResponseFormat.Type)
	}
	if want := []string{"json_schema", "json_object", "json_object"}; strings.Join(formats, ",") != strings.Join(want, ",") {
		t.Errorf("formats sent %v, want %v", formats, want)
	}
	if f.c.Format() != "json_object" || f.logs.count("llm response format rejected, stepping down") != 1 {
		t.Errorf("format %q, step-downs logged %d; want json_object, 1", f.c.Format(), f.logs.count("llm response format rejected, stepping down"))
	}
	// A 400 that does not name the format is not a reason to step down.
	f = setup(t, func(llmtest.Request, int) llmtest.Response { return llmtest.Fail(400, "invalid_api_param") }, nil)
	if _, err := f.c.Complete(t.Context(), "JSON", "u"); err == nil || len(f.srv.Requests()) != 1 {
		t.Errorf("a plain 400: err %v after %d requests, want an error after 1", err, len(f.srv.Requests()))
	}
}

// TestEmptyReplyRetried: DeepSeek's JSON mode may answer an empty content; the same request is sent
// again (there is nothing to repair), and an empty reply every time is an error saying so.
func TestEmptyReplyRetried(t *testing.T) {
	for _, stream := range []bool{false, true} {
		f := setup(t, llmtest.Sequence(llmtest.Reply(""), llmtest.Reply(goodJSON)), nil)
		r := Request{System: "JSON", User: "u"}
		if stream {
			r.OnDelta = func(string) {}
		}
		got, err := f.c.Chat(t.Context(), r)
		if err != nil || got.Text != goodJSON {
			t.Fatalf("stream %v: Chat = %q, %v", stream, got.Text, err)
		}
		reqs := f.srv.Requests()
		if len(reqs) != 2 || reqs[1].User() != reqs[0].User() || reqs[1].System() != reqs[0].System() {
			t.Errorf("stream %v: %d requests, want the same request twice", stream, len(reqs))
		}
	}
	f := setup(t, llmtest.Sequence(llmtest.Reply("  ")), func(c *Config) { c.MaxRetries = 1 })
	_, err := f.c.Complete(t.Context(), "JSON", "u")
	if e := asError(t, err); e.Code != "empty_reply" || e.Attempts != 2 || !errors.Is(err, errEmpty) {
		t.Errorf("always empty: %v (code %q, %d attempts), want empty_reply after 2", err, e.Code, e.Attempts)
	}
}

// TestReasoningStream: a reasoning model (DeepSeek's wire format: reasoning_content deltas with a null
// content, then the content) streams its thinking to OnReasoning, never into the reply's text.
func TestReasoningStream(t *testing.T) {
	thinking := []string{"用户要", "定制开发，", "属于I11。"}
	f := setup(t, llmtest.Sequence(llmtest.Response{Reasoning: thinking, Content: goodJSON}), func(c *Config) { c.Model = "deepseek-reasoner" })
	var thought, content strings.Builder
	got, err := f.c.Chat(t.Context(), Request{System: "s", User: "u",
		OnDelta: func(d string) { content.WriteString(d) }, OnReasoning: func(d string) { thought.WriteString(d) }})
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != goodJSON || content.String() != goodJSON {
		t.Errorf("text %q, streamed %q; want the content only", got.Text, content.String())
	}
	if want := strings.Join(thinking, ""); got.Reasoning != want || thought.String() != want {
		t.Errorf("reasoning %q, streamed %q; want %q", got.Reasoning, thought.String(), want)
	}
	r := f.srv.Requests()[0]
	if f.c.Provider() != Reasoning || r.Temperature != nil || r.ResponseFormat != nil {
		t.Errorf("provider %s, temperature %v, response_format %+v; want reasoning, none, none", f.c.Provider(), r.Temperature, r.ResponseFormat)
	}
}

// TestAttemptTimeout: one hung attempt ends at AttemptTimeout and the next answers, inside Timeout.
func TestAttemptTimeout(t *testing.T) {
	f := setup(t, llmtest.Sequence(llmtest.Response{Delay: time.Minute}, llmtest.Reply(goodJSON)),
		func(c *Config) { c.Timeout, c.AttemptTimeout = 10*time.Second, 100*time.Millisecond })
	got, err := f.c.Complete(t.Context(), "JSON", "u")
	if err != nil || got.Text != goodJSON {
		t.Fatalf("Complete = %q, %v", got.Text, err)
	}
	if n := len(f.srv.Requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	// Every attempt hangs: the error says an attempt timed out, and it was retried.
	f = setup(t, llmtest.Sequence(llmtest.Response{Delay: time.Minute}),
		func(c *Config) { c.Timeout, c.AttemptTimeout, c.MaxRetries = 10*time.Second, 50*time.Millisecond, 1 })
	_, err = f.c.Complete(t.Context(), "JSON", "u")
	if e := asError(t, err); e.Code != "attempt_timeout" || e.Attempts != 2 {
		t.Errorf("always hanging: %v (code %q, %d attempts), want attempt_timeout after 2", err, e.Code, e.Attempts)
	}
}
