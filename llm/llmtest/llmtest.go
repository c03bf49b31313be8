// Package llmtest is a fake OpenAI-compatible chat server for tests.
//
// It speaks the real wire protocol on a loopback httptest server: it decodes the JSON body of
// POST {base}/chat/completions with its own structs (it does not import any OpenAI client
// library, so it checks the bytes a client really sends) and answers with the JSON a real server
// sends — a chat.completion object, an OpenAI error object ({"error": {"message", "type",
// "code"}}) with a Retry-After header, or, when the request has "stream": true, server-sent events
// "data: {chunk}\n\n" ending with "data: [DONE]\n\n" (plus a usage chunk when the request asks for
// stream_options.include_usage).
//
// The server records every decoded request for assertions, is closed by t.Cleanup, and never
// keeps a test waiting: a simulated hang (Response.Delay) ends as soon as the client goes away or
// the test ends.
package llmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Handler decides the answer to one chat request. n counts the requests the server has
// received, starting at 1, so a handler can fail the first attempt and answer the second.
type Handler func(req Request, n int) Response

// Request is one decoded chat-completion request, as the client sent it.
type Request struct {
	Model               string          `json:"model"`
	Messages            []Message       `json:"messages"`
	Temperature         *float64        `json:"temperature"` // nil when the client left it out
	MaxTokens           int             `json:"max_tokens"`
	MaxCompletionTokens int             `json:"max_completion_tokens"`
	Stream              bool            `json:"stream"`
	StreamOptions       *StreamOptions  `json:"stream_options"`
	ResponseFormat      *ResponseFormat `json:"response_format"`
	// EnableThinking is DashScope's thinking switch (Qwen3 and other thinking models); nil when the
	// client left it out.
	EnableThinking *bool `json:"enable_thinking"`

	Header http.Header `json:"-"` // the request headers (Authorization, Accept, ...)
}

// Message is one chat message. Content is the text; content sent as an array of parts is
// joined from its "text" parts.
type Message struct {
	Role    string      `json:"role"`
	Content MessageText `json:"content"`
}

// MessageText is message content, decoded from a JSON string or an array of text parts.
type MessageText string

// UnmarshalJSON accepts "text", null, or [{"type": "text", "text": "..."}, ...].
func (m *MessageText) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var parts []struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(b, &parts); err != nil {
			return err
		}
		var sb strings.Builder
		for _, p := range parts {
			sb.WriteString(p.Text)
		}
		*m = MessageText(sb.String())
		return nil
	}
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s != nil {
		*m = MessageText(*s)
	}
	return nil
}

// StreamOptions is the request's stream_options.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// ResponseFormat is the request's response_format.
type ResponseFormat struct {
	Type       string      `json:"type"` // "json_object", "json_schema" or "text"
	JSONSchema *JSONSchema `json:"json_schema"`
}

// JSONSchema is response_format.json_schema.
type JSONSchema struct {
	Name   string          `json:"name"`
	Strict bool            `json:"strict"`
	Schema json.RawMessage `json:"schema"`
}

// System returns the content of the first system message, or "".
func (r Request) System() string { return r.content("system") }

// User returns the content of the last user message, or "".
func (r Request) User() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return string(r.Messages[i].Content)
		}
	}
	return ""
}

func (r Request) content(role string) string {
	for _, m := range r.Messages {
		if m.Role == role {
			return string(m.Content)
		}
	}
	return ""
}

// Response is what the fake server answers to one request.
type Response struct {
	// Content is the assistant message. When streaming, it is sent in Chunks if those are set,
	// otherwise in pieces of a few characters.
	Content string
	Chunks  []string
	// Status is the HTTP status; 0 means 200. A status of 400 or more sends an OpenAI error
	// object with ErrorCode as "code" (and "type"), and ErrorMessage (or a default) as "message".
	Status       int
	ErrorCode    string
	ErrorMessage string
	// RawBody, when set, is sent verbatim (with Status) instead of any JSON: a proxy's HTML
	// error page, a truncated body, a malformed event stream.
	RawBody string
	// ErrorBody, when set, is sent verbatim as application/json with Status: a provider's own
	// error object (DashScope's 400, DeepSeek's), as that provider words it.
	ErrorBody string
	// Reasoning is a reasoning model's reasoning_content (DeepSeek): streamed in these pieces
	// before the content, or sent whole in the message of a completion.
	Reasoning []string
	// RetryAfter is sent as the Retry-After header when not empty ("2" or an HTTP date).
	RetryAfter string
	// Delay holds the response back, simulating a hang. It ends early when the request's
	// context ends (the client gave up) or the test is over.
	Delay time.Duration
	// Token usage reported in "usage". When streaming, it is sent only if the request asked for
	// stream_options.include_usage, and never when NoUsage is set (servers that ignore the option).
	PromptTokens, CompletionTokens int
	NoUsage                        bool
	// Model is the "model" of the answer; "" echoes the request's model.
	Model string
	// FinishReason is the choice's finish_reason; "" means "stop".
	FinishReason string
	// Stall, when streaming, sends the content and then holds the stream open without finishing
	// it, until the client goes away or the test ends: a server that stops mid-answer.
	Stall bool
}

// Reply is a 200 answer with the given assistant content.
func Reply(content string) Response { return Response{Content: content} }

// Fail is an error answer with the given HTTP status and OpenAI error code
// (for example Fail(429, "rate_limit_exceeded") or Fail(429, "insufficient_quota")).
func Fail(status int, code string) Response { return Response{Status: status, ErrorCode: code} }

// Sequence answers the n-th request with rs[n-1], and every later one with the last of rs.
func Sequence(rs ...Response) Handler {
	return func(_ Request, n int) Response {
		if len(rs) == 0 {
			return Reply("")
		}
		return rs[min(n, len(rs))-1]
	}
}

// Server is a running fake. URL is the base URL to give a client, including "/v1".
type Server struct {
	URL string

	t    testing.TB
	h    Handler
	done chan struct{}

	mu   sync.Mutex
	reqs []Request
}

// NewServer starts a fake server that answers with h; a nil h answers every request with
// Reply(`{"code": "OUT", "reason": "llmtest"}`). The server is closed when the test ends.
func NewServer(t testing.TB, h Handler) *Server {
	t.Helper()
	if h == nil {
		h = func(Request, int) Response { return Reply(`{"code": "OUT", "reason": "llmtest"}`) }
	}
	s := &Server{t: t, h: h, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/chat/completions", s.chat)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "unknown_url",
			fmt.Sprintf("Unknown request URL: %s %s.", r.Method, r.URL.Path))
	})
	hs := httptest.NewServer(mux)
	s.URL = hs.URL + "/v1"
	t.Cleanup(func() {
		close(s.done) // release handlers still in a Delay before Close waits for them
		hs.Close()
	})
	return s
}

// Requests returns a copy of the requests received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed",
			"Only POST is allowed on /v1/chat/completions.")
		return
	}
	var req Request
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8<<20))
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_json",
			"We could not parse the JSON body of your request: "+err.Error())
		return
	}
	if req.Model == "" || len(req.Messages) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "missing_required_parameter",
			"The request needs 'model' and a non-empty 'messages'.")
		return
	}
	req.Header = r.Header.Clone()

	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	n := len(s.reqs)
	s.mu.Unlock()

	resp := s.h(req, n)
	if resp.Delay > 0 {
		timer := time.NewTimer(resp.Delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
	}
	if resp.RetryAfter != "" {
		w.Header().Set("Retry-After", resp.RetryAfter)
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case resp.ErrorBody != "":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, resp.ErrorBody)
	case resp.RawBody != "":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, resp.RawBody)
	case status >= 400:
		code := resp.ErrorCode
		msg := resp.ErrorMessage
		if msg == "" {
			msg = fmt.Sprintf("llmtest: %d %s", status, http.StatusText(status))
		}
		writeError(w, status, errorType(status, code), code, msg)
	case req.Stream:
		s.stream(w, r, req, resp, n)
	default:
		s.complete(w, req, resp, n, status)
	}
}

// Wire structs of the answers, field for field as OpenAI sends them.
type (
	wireUsage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	}
	wireMessage struct {
		Role             string `json:"role"`
		Content          string `json:"content"`
		ReasoningContent string `json:"reasoning_content,omitempty"`
	}
	wireChoice struct {
		Index        int         `json:"index"`
		Message      wireMessage `json:"message"`
		Logprobs     any         `json:"logprobs"`
		FinishReason string      `json:"finish_reason"`
	}
	wireCompletion struct {
		ID                string       `json:"id"`
		Object            string       `json:"object"`
		Created           int64        `json:"created"`
		Model             string       `json:"model"`
		Choices           []wireChoice `json:"choices"`
		Usage             wireUsage    `json:"usage"`
		SystemFingerprint string       `json:"system_fingerprint"`
	}
	wireDelta struct {
		Role             string  `json:"role,omitempty"`
		Content          *string `json:"content,omitempty"`
		ReasoningContent *string `json:"reasoning_content,omitempty"`
	}
	wireChunkChoice struct {
		Index        int       `json:"index"`
		Delta        wireDelta `json:"delta"`
		Logprobs     any       `json:"logprobs"`
		FinishReason *string   `json:"finish_reason"`
	}
	wireChunk struct {
		ID                string            `json:"id"`
		Object            string            `json:"object"`
		Created           int64             `json:"created"`
		Model             string            `json:"model"`
		SystemFingerprint string            `json:"system_fingerprint"`
		Choices           []wireChunkChoice `json:"choices"`
		Usage             *wireUsage        `json:"usage,omitempty"`
	}
	wireError struct {
		Error struct {
			Message string  `json:"message"`
			Type    string  `json:"type"`
			Param   *string `json:"param"`
			Code    *string `json:"code"`
		} `json:"error"`
	}
)

// created is a fixed timestamp so that answers are reproducible.
const created = 1700000000

func (s *Server) complete(w http.ResponseWriter, req Request, resp Response, n, status int) {
	body := wireCompletion{
		ID:      fmt.Sprintf("chatcmpl-llmtest-%d", n),
		Object:  "chat.completion",
		Created: created,
		Model:   model(req, resp),
		Choices: []wireChoice{{
			Message:      wireMessage{Role: "assistant", Content: resp.Content, ReasoningContent: strings.Join(resp.Reasoning, "")},
			FinishReason: finish(resp),
		}},
		Usage:             usage(resp),
		SystemFingerprint: "fp_llmtest",
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		s.t.Logf("llmtest: write completion: %v", err)
	}
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, req Request, resp Response, n int) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage && !resp.NoUsage
	base := wireChunk{
		ID:                fmt.Sprintf("chatcmpl-llmtest-%d", n),
		Object:            "chat.completion.chunk",
		Created:           created,
		Model:             model(req, resp),
		SystemFingerprint: "fp_llmtest",
	}
	send := func(c wireChunk) bool {
		b, err := json.Marshal(c)
		if err != nil {
			s.t.Errorf("llmtest: marshal chunk: %v", err)
			return false
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false // client went away
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	chunk := func(d wireDelta, fin *string) wireChunk {
		c := base
		c.Choices = []wireChunkChoice{{Delta: d, FinishReason: fin}}
		return c
	}
	if !send(chunk(wireDelta{Role: "assistant"}, nil)) {
		return
	}
	pieces := resp.Chunks
	if pieces == nil {
		pieces = split(resp.Content, 4)
	}
	for _, p := range resp.Reasoning {
		// DeepSeek sends the reasoning first, with a null content.
		if !send(chunk(wireDelta{ReasoningContent: &p}, nil)) {
			return
		}
	}
	for _, p := range pieces {
		if !send(chunk(wireDelta{Content: &p}, nil)) {
			return
		}
	}
	if resp.Stall {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	}
	fin := finish(resp)
	if !send(chunk(wireDelta{}, &fin)) {
		return
	}
	if includeUsage {
		c := base
		c.Choices = []wireChunkChoice{}
		u := usage(resp)
		c.Usage = &u
		if !send(c) {
			return
		}
	}
	if _, err := fmt.Fprint(w, "data: [DONE]\n\n"); err == nil && flusher != nil {
		flusher.Flush()
	}
}

func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	var e wireError
	e.Error.Message = msg
	e.Error.Type = typ
	if code != "" {
		e.Error.Code = &code
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(e)
}

// errorType is the OpenAI error "type" that goes with a status and code.
func errorType(status int, code string) string {
	switch {
	case code == "insufficient_quota":
		return "insufficient_quota"
	case status == http.StatusTooManyRequests:
		return "requests"
	case status >= 500:
		return "server_error"
	default:
		return "invalid_request_error"
	}
}

func model(req Request, resp Response) string {
	if resp.Model != "" {
		return resp.Model
	}
	return req.Model
}

func finish(resp Response) string {
	if resp.FinishReason != "" {
		return resp.FinishReason
	}
	return "stop"
}

func usage(resp Response) wireUsage {
	return wireUsage{
		PromptTokens:     resp.PromptTokens,
		CompletionTokens: resp.CompletionTokens,
		TotalTokens:      resp.PromptTokens + resp.CompletionTokens,
	}
}

// split cuts s into pieces of at most n runes, never inside a rune.
func split(s string, n int) []string {
	var out []string
	for s != "" {
		i, k := 0, 0
		for i < len(s) && k < n {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			k++
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}

// DashScopeThinking answers like DashScope's compatible mode with a Qwen3 thinking model: a call that is
// not streamed and does not set enable_thinking to false gets DashScope's 400; others get ok.
func DashScopeThinking(ok Response) Handler {
	return func(req Request, _ int) Response {
		if !req.Stream && (req.EnableThinking == nil || *req.EnableThinking) {
			return Response{Status: http.StatusBadRequest, ErrorBody: DashScopeThinkingError}
		}
		return ok
	}
}

// DashScopeThinkingError is the body DashScope answers to a non-streaming call with thinking on.
const DashScopeThinkingError = `{"error":{"code":"invalid_parameter_error","param":null,"message":"parameter.enable_thinking must be set to false for non-streaming calls","type":"invalid_request_error"},"id":"chatcmpl-llmtest","request_id":"llmtest-1"}`

// DeepSeekFormat answers like DeepSeek's API: a request asking for json_schema gets its 400; others get
// ok.
func DeepSeekFormat(ok Response) Handler {
	return func(req Request, _ int) Response {
		if req.ResponseFormat != nil && req.ResponseFormat.Type == "json_schema" {
			return Response{Status: http.StatusBadRequest, ErrorBody: DeepSeekFormatError}
		}
		return ok
	}
}

// DeepSeekFormatError is the body DeepSeek answers to response_format json_schema.
const DeepSeekFormatError = `{"error":{"message":"This response_format type is unavailable now","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}`
