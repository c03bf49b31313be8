package llmtest

import (
	"context"
	"encoding/json"
	"errors"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// post sends a raw chat request, as any client would, and returns the response and its body.
func post(t *testing.T, ctx context.Context, url, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(b)
}

const chatBody = `{"model": "m", "temperature": 0.1, "response_format": {"type": "json_object"},
	"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": [{"type": "text", "text": "hello"}]}]`

func TestCompletionWire(t *testing.T) {
	s := NewServer(t, func(req Request, n int) Response {
		return Response{Content: `{"code":"I11"}`, PromptTokens: 3, CompletionTokens: 4}
	})
	resp, body := post(t, t.Context(), s.URL+"/chat/completions", chatBody+`}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var got struct {
		Object  string `json:"object"`
		Model   string `json:"model"`
		Choices []struct {
			Message      struct{ Role, Content string } `json:"message"`
			FinishReason string                         `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
			TotalTokens      int `json:"total_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if got.Object != "chat.completion" || got.Model != "m" || len(got.Choices) != 1 ||
		got.Choices[0].Message.Role != "assistant" || got.Choices[0].Message.Content != `{"code":"I11"}` ||
		got.Choices[0].FinishReason != "stop" || got.Usage.TotalTokens != 7 {
		t.Errorf("completion = %s", body)
	}

	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("requests = %d", len(reqs))
	}
	r := reqs[0]
	if r.System() != "sys" || r.User() != "hello" || *r.Temperature != 0.1 || r.ResponseFormat.Type != "json_object" {
		t.Errorf("decoded request = %+v", r)
	}
}

func TestStreamWire(t *testing.T) {
	s := NewServer(t, func(Request, int) Response {
		return Response{Content: "软件研发服务 I11", PromptTokens: 2, CompletionTokens: 5}
	})
	for _, includeUsage := range []bool{false, true} {
		body := chatBody + `, "stream": true, "stream_options": {"include_usage": ` + strconv.FormatBool(includeUsage) + `}}`
		resp, got := post(t, t.Context(), s.URL+"/chat/completions", body)
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Errorf("content type %q", ct)
		}
		events := strings.Split(got, "\n\n")
		if events[len(events)-1] != "" || events[len(events)-2] != "data: [DONE]" {
			t.Fatalf("stream does not end with data: [DONE]\\n\\n: %q", got)
		}
		var text strings.Builder
		var usage *struct {
			TotalTokens int `json:"total_tokens"`
		}
		var finish []string
		for _, ev := range events[:len(events)-2] {
			data, ok := strings.CutPrefix(ev, "data: ")
			if !ok {
				t.Fatalf("event %q lacks data: ", ev)
			}
			var c struct {
				Object  string `json:"object"`
				Choices []struct {
					Delta        struct{ Content string } `json:"delta"`
					FinishReason *string                  `json:"finish_reason"`
				} `json:"choices"`
				Usage *struct {
					TotalTokens int `json:"total_tokens"`
				} `json:"usage"`
			}
			if err := json.Unmarshal([]byte(data), &c); err != nil {
				t.Fatalf("chunk %s: %v", data, err)
			}
			if c.Object != "chat.completion.chunk" {
				t.Errorf("object = %q", c.Object)
			}
			for _, ch := range c.Choices {
				text.WriteString(ch.Delta.Content)
				if ch.FinishReason != nil {
					finish = append(finish, *ch.FinishReason)
				}
			}
			if c.Usage != nil {
				usage = c.Usage
			}
		}
		if text.String() != "软件研发服务 I11" || !slices.Equal(finish, []string{"stop"}) {
			t.Errorf("text = %q, finish = %q", text.String(), finish)
		}
		if (usage != nil) != includeUsage || (usage != nil && usage.TotalTokens != 7) {
			t.Errorf("include_usage %v: usage = %+v", includeUsage, usage)
		}
	}
}

func TestErrorWire(t *testing.T) {
	s := NewServer(t, Sequence(Response{Status: 429, ErrorCode: "insufficient_quota", RetryAfter: "3"}))
	resp, body := post(t, t.Context(), s.URL+"/chat/completions", chatBody+`}`)
	var got struct {
		Error struct {
			Message string  `json:"message"`
			Type    string  `json:"type"`
			Code    *string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" || got.Error.Code == nil ||
		*got.Error.Code != "insufficient_quota" || got.Error.Type != "insufficient_quota" || got.Error.Message == "" {
		t.Errorf("status %d, Retry-After %q, body %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}

	tests := []struct {
		name, path, body string
		want             int
	}{
		{"unknown path", "/embeddings", chatBody + `}`, 404},
		{"bad json", "/chat/completions", `{"model": `, 400},
		{"no messages", "/chat/completions", `{"model": "m", "messages": []}`, 400},
	}
	for _, tt := range tests {
		resp, body := post(t, t.Context(), s.URL+tt.path, tt.body)
		if resp.StatusCode != tt.want || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: status %d body %s, want %d with an error object", tt.name, resp.StatusCode, body, tt.want)
		}
	}
	if n := len(s.Requests()); n != 1 {
		t.Errorf("requests = %d, want only the valid one recorded", n)
	}
}

func TestDelayEndsWithClient(t *testing.T) {
	s := NewServer(t, func(Request, int) Response { return Response{Delay: time.Minute} })
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/chat/completions", strings.NewReader(chatBody+`}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the client's deadline", err)
	}
	// The cleanup closing the server must not wait out the minute: the test would time out.
}

func TestSplit(t *testing.T) {
	got := split("软件研发服务ab", 4)
	want := []string{"软件研发", "服务ab"}
	if !slices.Equal(got, want) {
		t.Errorf("split = %q, want %q", got, want)
	}
}

// TestNoOpenAIImport keeps llmtest honest: it must decode the wire format itself.
func TestNoOpenAIImport(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			if strings.Contains(imp.Path.Value, "go-openai") {
				t.Errorf("%s imports %s", f, imp.Path.Value)
			}
		}
	}
}
