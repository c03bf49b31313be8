package llm

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Provider names a profile: the settings an OpenAI-compatible provider needs that the protocol does not
// say. Config.Provider chooses one; "" guesses from the URL and the model (GuessProvider).
type Provider string

// The profiles.
const (
	// OpenAI: json_schema replies, a low temperature, 30 s per call.
	OpenAI Provider = "openai"
	// DeepSeek: json_object (its API answers 400 to json_schema); JSON mode may return an empty
	// content, which is retried.
	DeepSeek Provider = "deepseek"
	// Qwen on DashScope's compatible mode: json_object, and "enable_thinking": false, without which
	// Qwen3 and other thinking models answer 400 to a call that is not streamed.
	Qwen Provider = "qwen"
	// Ollama's /v1: json_object, and longer timeouts for a local model. Its /v1 API takes no num_ctx:
	// the context must be set on the server (OLLAMA_CONTEXT_LENGTH, or PARAMETER num_ctx in a
	// Modelfile) to at least 16384 tokens, or the prompt is silently cut (see README).
	Ollama Provider = "ollama"
	// Reasoning models (deepseek-reasoner, DeepSeek-R1, QwQ, o1…): no temperature, plain text replies
	// (the reply parser reads the object out of them), long timeouts; their reasoning_content streams
	// to Request.OnReasoning.
	Reasoning Provider = "reasoning"
)

// Providers lists the profiles, for flags and docs.
var Providers = []Provider{OpenAI, DeepSeek, Qwen, Ollama, Reasoning}

// profile is what a Provider sets.
type profile struct {
	format      string         // json_schema, json_object or none
	temperature bool           // send a temperature
	timeout     time.Duration  // the whole call, retries included
	attempt     time.Duration  // one attempt
	extra       map[string]any // top-level fields added to every request body
}

var profiles = map[Provider]profile{
	OpenAI:    {format: "json_schema", temperature: true, timeout: 30 * time.Second, attempt: 20 * time.Second},
	DeepSeek:  {format: "json_object", temperature: true, timeout: 45 * time.Second, attempt: 30 * time.Second},
	Qwen:      {format: "json_object", temperature: true, timeout: 45 * time.Second, attempt: 30 * time.Second, extra: map[string]any{"enable_thinking": false}},
	Ollama:    {format: "json_object", temperature: true, timeout: 120 * time.Second, attempt: 90 * time.Second},
	Reasoning: {format: "none", temperature: false, timeout: 180 * time.Second, attempt: 150 * time.Second},
}

// GuessProvider guesses the profile from the base URL and the model name: reasoning models by name
// first (deepseek-reasoner, r1, qwq, o1/o3/o4), then the host (api.deepseek.com, dashscope, port 11434 or
// a host named ollama), then the model family (qwen, deepseek); OpenAI otherwise.
func GuessProvider(baseURL, model string) Provider {
	m := strings.ToLower(model)
	host := ""
	if u, err := url.Parse(baseURL); err == nil {
		host = strings.ToLower(u.Host)
	}
	switch {
	case strings.Contains(m, "reasoner") || strings.Contains(m, "-r1") || strings.HasPrefix(m, "r1") ||
		strings.Contains(m, "qwq") || hasModelPrefix(m, "o1", "o3", "o4"):
		return Reasoning
	case strings.Contains(host, "deepseek"):
		return DeepSeek
	case strings.Contains(host, "dashscope") || strings.Contains(host, "aliyuncs"):
		return Qwen
	case strings.HasSuffix(host, ":11434") || strings.Contains(host, "ollama"):
		return Ollama
	case strings.HasPrefix(m, "qwen"):
		return Qwen
	case strings.HasPrefix(m, "deepseek"):
		return DeepSeek
	}
	return OpenAI
}

func hasModelPrefix(m string, ps ...string) bool {
	for _, p := range ps {
		if m == p || strings.HasPrefix(m, p+"-") {
			return true
		}
	}
	return false
}

// ParseProvider reads a provider name; "" and "auto" mean "guess".
func ParseProvider(s string) (Provider, error) {
	switch p := Provider(strings.ToLower(strings.TrimSpace(s))); p {
	case "", "auto":
		return "", nil
	case OpenAI, DeepSeek, Qwen, Ollama, Reasoning:
		return p, nil
	}
	return "", fmt.Errorf("llm: provider %q is not one of openai, deepseek, qwen, ollama, reasoning", s)
}
