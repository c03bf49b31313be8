// Package llm is fenlei's transport to OpenAI-compatible chat APIs (OpenAI, DeepSeek, Qwen on
// DashScope, Ollama, vLLM…). It is the only package that imports go-openai, and it knows nothing of
// classification: the caller owns its prompts, its reply schema and the parsing of the reply.
//
// It promises:
//   - Chat makes one chat completion of a Request (system and user messages, optionally a JSON schema
//     for the reply) and reports the text, the answering model and the token usage. With
//     Request.OnDelta it streams, calling OnDelta with each piece of content in order; a reasoning
//     model's reasoning_content goes to Request.OnReasoning, never into the text.
//   - A Provider profile (Config.Provider, or a guess from the URL and model) sets the response format,
//     the thinking switch, the temperature and the timeouts. A 400 that names the response format
//     steps down json_schema → json_object → plain text, once per client, and the call goes on.
//   - Config.Timeout bounds the whole call, retries and waits included; Config.AttemptTimeout bounds
//     one attempt within it, so one hung attempt cannot use up the call.
//   - Rate limits (429), server errors (5xx), attempt timeouts and empty replies (200 with no content)
//     are retried at most Config.MaxRetries times with exponential backoff and jitter, honouring
//     Retry-After (capped at 30s). 400, 401, 403, 404 and "insufficient_quota" are never retried, nor
//     is a stream that has already delivered content. Each retry is logged.
//   - Every error returned by Chat, Complete and Stream is an *Error: callers branch on it with
//     errors.As, and errors.Is(err, context.Canceled / context.DeadlineExceeded) works.
//
// Nothing in this package reads the environment; cmd/ builds a Config.
package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"fenlei/decision"

	openai "github.com/sashabaranov/go-openai"
)

// Defaults applied by New to zero fields of Config (the profile's timeouts come first).
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxRetries  = 3
	DefaultTemperature = 0.1 // small but non-zero: go-openai leaves out a temperature of 0
)

// Config configures a Client. Only URL and Model are required.
type Config struct {
	// URL is the base URL of the API including the version path,
	// e.g. https://api.deepseek.com/v1 or http://localhost:11434/v1.
	URL   string
	Model string
	// Key is the API key, sent as a bearer token. It may be empty (Ollama).
	Key string
	// Provider chooses the profile; "" guesses it from URL and Model (GuessProvider).
	Provider Provider
	// Timeout bounds one call, all attempts included; 0 means the profile's (30s for OpenAI).
	Timeout time.Duration
	// AttemptTimeout bounds one attempt; 0 means the profile's, capped at Timeout.
	AttemptTimeout time.Duration
	// MaxRetries is how many times a failed attempt may be retried; 0 means 3, negative means
	// never retry.
	MaxRetries int
	// Temperature is the sampling temperature; 0 means 0.1, negative leaves it out (the server's
	// default). The reasoning profile, and models go-openai knows to reject it (o1, o3, gpt-5…),
	// never send it.
	Temperature float32
	// ResponseFormat is "json_schema" (with the Request's schema), "json_object" or "none" (plain
	// text); "" means the profile's. With json_object, OpenAI requires the word "JSON" somewhere in
	// the messages: the prompt must say it.
	ResponseFormat string
	// MaxTokens caps the completion; 0 means the server's default.
	MaxTokens int
	// HTTPClient sends the requests; nil means a new http.Client.
	HTTPClient *http.Client
	// Logger receives retry and debug logs; nil discards them.
	Logger *slog.Logger
	// Sleep waits between attempts; nil means a timer that stops when ctx ends.
	// Tests inject one to observe the waits without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Request is one chat completion.
type Request struct {
	System string // may be empty
	User   string
	// Schema is the JSON schema of the reply, sent with the json_schema response format; without
	// one, json_object is asked instead.
	Schema *Schema
	// OnDelta, when not nil, makes the call stream: it gets each piece of content as it arrives.
	OnDelta func(string)
	// OnReasoning, when streaming, gets each piece of a reasoning model's reasoning_content:
	// progress while it thinks. It may be nil.
	OnReasoning func(string)
}

// Schema is a named JSON schema for a reply.
type Schema struct {
	Name string
	JSON json.RawMessage
}

// Reply is the answer of one chat completion.
type Reply struct {
	Text  string // the assistant's content
	Model string // the model that answered, as the server names it (else the configured one)
	Usage decision.Usage
	// FinishReason is the server's finish_reason: "stop", "length" (cut by MaxTokens), … ;
	// "" when a stream ended without one.
	FinishReason string
	// Reasoning is a reasoning model's reasoning_content, if it sent any.
	Reasoning string
}

// Client calls one model of one OpenAI-compatible API. It is safe for concurrent use.
type Client struct {
	api        *openai.Client
	model      string
	provider   Provider
	timeout    time.Duration
	attempt    time.Duration
	maxRetries int
	temp       float32
	maxTokens  int
	format     atomic.Int32 // index into formats; a 400 naming the format steps it down
	reasoning  bool         // no temperature; max_completion_tokens for max_tokens
	lg         *slog.Logger
	sleep      func(context.Context, time.Duration) error
}

// formats are the response formats, most structured first.
var formats = []string{"json_schema", "json_object", "none"}

// New validates cfg, applies the defaults and returns a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	const op = "llm.New"
	u, err := url.Parse(strings.TrimSpace(cfg.URL))
	switch {
	case strings.TrimSpace(cfg.URL) == "":
		return nil, fmt.Errorf("%s: URL is required", op)
	case err != nil:
		return nil, fmt.Errorf("%s: URL: %w", op, err)
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, fmt.Errorf("%s: URL %q is not an http(s) base URL such as https://api.deepseek.com/v1", op, cfg.URL)
	}
	model := strings.TrimSpace(cfg.Model)
	if model == "" {
		return nil, fmt.Errorf("%s: Model is required", op)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%s: negative Timeout %v", op, cfg.Timeout)
	}
	if cfg.MaxTokens < 0 {
		return nil, fmt.Errorf("%s: negative MaxTokens %d", op, cfg.MaxTokens)
	}
	if cfg.Temperature > 2 {
		return nil, fmt.Errorf("%s: Temperature %v is above 2", op, cfg.Temperature)
	}

	prov := cfg.Provider
	if prov == "" {
		prov = GuessProvider(cfg.URL, model)
	}
	prof, ok := profiles[prov]
	if !ok {
		return nil, fmt.Errorf("%s: provider %q is not one of openai, deepseek, qwen, ollama, reasoning", op, prov)
	}
	c := &Client{
		model:      model,
		provider:   prov,
		timeout:    cfg.Timeout,
		attempt:    cfg.AttemptTimeout,
		maxRetries: cfg.MaxRetries,
		temp:       cfg.Temperature,
		maxTokens:  cfg.MaxTokens,
		lg:         cfg.Logger,
		sleep:      cfg.Sleep,
		reasoning:  !prof.temperature,
	}
	if c.timeout == 0 {
		c.timeout = prof.timeout
	}
	if c.attempt <= 0 {
		c.attempt = prof.attempt
	}
	c.attempt = min(c.attempt, c.timeout)
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	switch {
	case c.temp == 0:
		c.temp = DefaultTemperature
	case c.temp < 0:
		c.temp = 0 // go-openai leaves 0 out of the request
	}
	if c.lg == nil {
		c.lg = slog.New(slog.DiscardHandler)
	}
	if c.sleep == nil {
		c.sleep = sleep
	}
	format := cfg.ResponseFormat
	if format == "" {
		format = prof.format
	}
	i := slices.Index(formats, format)
	if i < 0 {
		return nil, fmt.Errorf("%s: ResponseFormat %q is not json_object, json_schema or none", op, cfg.ResponseFormat)
	}
	c.format.Store(int32(i))

	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	oc := openai.DefaultConfig(cfg.Key)
	oc.BaseURL = strings.TrimRight(u.String(), "/")
	oc.HTTPClient = recordingDoer{hc: hc, extra: prof.extra}
	c.api = openai.NewClientWithConfig(oc)

	// Reasoning models (o1, o3, gpt-5…) reject temperature and max_tokens; go-openai knows which.
	if openai.NewReasoningValidator().Validate(c.request(Request{User: "u"}, "none", false)) != nil {
		c.reasoning = true
		if err := openai.NewReasoningValidator().Validate(c.request(Request{User: "u"}, "none", false)); err != nil {
			return nil, fmt.Errorf("%s: model %q: %w", op, model, err)
		}
	}
	c.lg.Debug("llm client", "model", model, "provider", prov, "format", format, "temperature", !c.reasoning,
		"timeout", c.timeout, "attempt_timeout", c.attempt)
	return c, nil
}

// Model returns the configured model name.
func (c *Client) Model() string { return c.model }

// Provider returns the profile in use.
func (c *Client) Provider() Provider { return c.provider }

// Format returns the response format the next call asks for (it steps down after a 400 naming it).
func (c *Client) Format() string { return formats[c.format.Load()] }

// request builds the chat request for one call in the given response format.
func (c *Client) request(r Request, format string, stream bool) openai.ChatCompletionRequest {
	req := openai.ChatCompletionRequest{Model: c.model}
	switch {
	case format == "json_schema" && r.Schema != nil:
		req.ResponseFormat = &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name:   r.Schema.Name,
				Schema: r.Schema.JSON,
				// Not strict: strict mode demands that every property be required.
			},
		}
	case format == "json_schema" || format == "json_object":
		req.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject}
	}
	if r.System != "" {
		req.Messages = append(req.Messages, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleSystem, Content: r.System})
	}
	req.Messages = append(req.Messages, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: r.User})
	if c.reasoning {
		req.MaxCompletionTokens = c.maxTokens
	} else {
		req.Temperature = c.temp
		req.MaxTokens = c.maxTokens
	}
	if stream {
		req.Stream = true
		req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	return req
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// recordingDoer sends requests with an http.Client, adds the profile's extra top-level fields to each
// JSON body (go-openai has no field for DashScope's enable_thinking), and keeps the response headers of
// each attempt, which go-openai drops from its errors, so that Retry-After can be honoured.
type recordingDoer struct {
	hc    *http.Client
	extra map[string]any
}

type attemptKey struct{}

// attempt is what recordingDoer learned about one attempt.
type attempt struct {
	header http.Header
}

func (d recordingDoer) Do(req *http.Request) (*http.Response, error) {
	if len(d.extra) > 0 && req.Body != nil {
		if err := addFields(req, d.extra); err != nil {
			return nil, err
		}
	}
	resp, err := d.hc.Do(req)
	if resp != nil {
		if a, ok := req.Context().Value(attemptKey{}).(*attempt); ok {
			a.header = resp.Header
		}
	}
	return resp, err
}

// addFields sets top-level fields of a request's JSON body.
func addFields(req *http.Request, extra map[string]any) error {
	b, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return err
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(b, &body); err != nil {
		return fmt.Errorf("llm: request body: %w", err)
	}
	for k, v := range extra {
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		body[k] = raw
	}
	if b, err = json.Marshal(body); err != nil {
		return err
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	req.ContentLength = int64(len(b))
	return nil
}

var _ openai.HTTPDoer = recordingDoer{}

// errNoChoices is returned when a 200 answer has no choices.
var errNoChoices = errors.New("answer has no choices")

// errEmpty is returned when a 200 answer has no content (DeepSeek's JSON mode does this at times): the
// attempt is retried as it is, there is nothing to repair.
var errEmpty = errors.New("the reply is empty")
