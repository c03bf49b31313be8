// Package llm is fenlei's client for OpenAI-compatible chat APIs (OpenAI, DeepSeek, Ollama, vLLM…)
// and the parser for the classifier's JSON reply. It is the only package that imports go-openai.
//
// It promises:
//   - Complete and Stream make one chat completion from a system and a user message, asking for a
//     JSON object (Config.ResponseFormat), and report the text, the answering model and the token
//     usage. Stream calls onDelta with each piece of content, in order, as it arrives.
//   - Config.Timeout bounds the whole call, retries and waits included.
//   - Rate limits (429) and server errors (5xx), and transport timeouts of a single attempt, are
//     retried at most Config.MaxRetries times with exponential backoff, honouring Retry-After
//     (capped at 30s). 400, 401, 403, 404 and the "insufficient_quota" error are never retried,
//     nor is a stream that has already delivered content. Each retry is logged.
//   - Every error returned by Complete and Stream is an *Error: callers branch on it with
//     errors.As, and errors.Is(err, context.Canceled / context.DeadlineExceeded) works.
//   - ParseSuggestion turns a reply into a Suggestion, repairing what can be repaired, or fails
//     with an error that wraps ErrNoJSON, ErrMissingField or ErrInvalidField. It never panics.
//
// Nothing in this package reads the environment; cmd/ builds a Config.
package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"fenlei/decision"

	openai "github.com/sashabaranov/go-openai"
)

// Defaults applied by New to zero fields of Config.
const (
	DefaultTimeout        = 30 * time.Second
	DefaultMaxRetries     = 2
	DefaultTemperature    = 0.1 // small but non-zero: go-openai leaves out a temperature of 0
	DefaultResponseFormat = "json_object"
)

// Config configures a Client. Only URL and Model are required.
type Config struct {
	// URL is the base URL of the API including the version path,
	// e.g. https://api.deepseek.com/v1 or http://localhost:11434/v1.
	URL   string
	Model string
	// Key is the API key, sent as a bearer token. It may be empty (Ollama).
	Key string
	// Timeout bounds one Complete or Stream call, all attempts included; 0 means 30s.
	Timeout time.Duration
	// MaxRetries is how many times a failed attempt may be retried; 0 means 2, negative means
	// never retry.
	MaxRetries int
	// Temperature is the sampling temperature; 0 means 0.1, negative leaves it out (the server's
	// default). It is left out as well for reasoning models that reject it (o1, o3, gpt-5…).
	Temperature float32
	// ResponseFormat is "json_object" (the default when empty), "json_schema" (a schema for the
	// Suggestion object) or "none" (plain text). With json_object, OpenAI requires the word
	// "JSON" somewhere in the messages: the prompt must say it.
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

// Reply is the answer of one chat completion.
type Reply struct {
	Text  string // the assistant's content
	Model string // the model that answered, as the server names it (else the configured one)
	Usage decision.Usage
	// FinishReason is the server's finish_reason: "stop", "length" (cut by MaxTokens), … ;
	// "" when a stream ended without one.
	FinishReason string
}

// Client calls one model of one OpenAI-compatible API. It is safe for concurrent use.
type Client struct {
	api        *openai.Client
	model      string
	timeout    time.Duration
	maxRetries int
	temp       float32
	maxTokens  int
	format     *openai.ChatCompletionResponseFormat
	reasoning  bool // the model rejects temperature and max_tokens (go-openai's validator)
	lg         *slog.Logger
	sleep      func(context.Context, time.Duration) error
}

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

	c := &Client{
		model:      model,
		timeout:    cfg.Timeout,
		maxRetries: cfg.MaxRetries,
		temp:       cfg.Temperature,
		maxTokens:  cfg.MaxTokens,
		lg:         cfg.Logger,
		sleep:      cfg.Sleep,
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
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
	switch cfg.ResponseFormat {
	case "", "json_object":
		c.format = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject}
	case "json_schema":
		c.format = &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name:   "suggestion",
				Schema: json.RawMessage(suggestionSchema),
				// Not strict: strict mode demands that every property be required.
			},
		}
	case "none":
	default:
		return nil, fmt.Errorf("%s: ResponseFormat %q is not json_object, json_schema or none", op, cfg.ResponseFormat)
	}

	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	oc := openai.DefaultConfig(cfg.Key)
	oc.BaseURL = strings.TrimRight(u.String(), "/")
	oc.HTTPClient = recordingDoer{hc}
	c.api = openai.NewClientWithConfig(oc)

	// Reasoning models (o1, o3, gpt-5…) reject temperature and max_tokens; go-openai knows which.
	if openai.NewReasoningValidator().Validate(c.request("s", "u", false)) != nil {
		c.reasoning = true
		if err := openai.NewReasoningValidator().Validate(c.request("s", "u", false)); err != nil {
			return nil, fmt.Errorf("%s: model %q: %w", op, model, err)
		}
		c.lg.Info("llm reasoning model", "model", model, "temperature", "omitted", "max_tokens", "max_completion_tokens")
	}
	return c, nil
}

// Model returns the configured model name.
func (c *Client) Model() string { return c.model }

// suggestionSchema is the JSON schema of the object ParseSuggestion reads.
const suggestionSchema = `{
  "type": "object",
  "properties": {
    "code": {"type": "string", "description": "sub-class code such as I11, or OUT"},
    "reason": {"type": "string"},
    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    "citations": {"type": "array", "items": {"type": "string"}}
  },
  "required": ["code", "reason"],
  "additionalProperties": false
}`

// request builds the chat request for one call.
func (c *Client) request(system, user string, stream bool) openai.ChatCompletionRequest {
	req := openai.ChatCompletionRequest{
		Model:          c.model,
		ResponseFormat: c.format,
	}
	if system != "" {
		req.Messages = append(req.Messages, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleSystem, Content: system})
	}
	req.Messages = append(req.Messages, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: user})
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

// recordingDoer sends requests with an http.Client and keeps the response headers of each
// attempt, which go-openai drops from its errors, so that Retry-After can be honoured.
type recordingDoer struct{ hc *http.Client }

type attemptKey struct{}

// attempt is what recordingDoer learned about one attempt.
type attempt struct {
	header http.Header
}

func (d recordingDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.hc.Do(req)
	if resp != nil {
		if a, ok := req.Context().Value(attemptKey{}).(*attempt); ok {
			a.header = resp.Header
		}
	}
	return resp, err
}

var _ openai.HTTPDoer = recordingDoer{}

// errNoChoices is returned when a 200 answer has no choices.
var errNoChoices = errors.New("answer has no choices")
