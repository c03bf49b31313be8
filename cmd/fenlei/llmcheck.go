package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fenlei/classify"
	"fenlei/llm"
)

// llmCheck is `fenlei llm check`: one short call to the configured endpoint, reporting the provider
// profile, the response format that worked, the answer and the time, or the provider's own error.
func (a *App) llmCheck(ctx context.Context, args []string) error {
	if len(args) != 1 || args[0] != "check" {
		return fmt.Errorf("usage: fenlei llm check")
	}
	if a.cfg.LLMURL == "" {
		return errors.New("llm check: FENLEI_LLM_URL (or --llm-url) is not set: fenlei answers offline")
	}
	c, err := a.llmClient()
	if err != nil {
		return fmt.Errorf("llm check: %w", err)
	}
	fmt.Fprintf(a.stdout, "endpoint  %s\nmodel     %s\nprovider  %s\nkey       %s\n", a.cfg.LLMURL, c.Model(), c.Provider(), keyState(a.cfg.LLMKey))
	start := time.Now()
	sug, err := classify.NewLLM(c, c.Model(), a.lg).Check(ctx)
	fmt.Fprintf(a.stdout, "format    %s\ntime      %v\n", c.Format(), time.Since(start).Round(time.Millisecond))
	if err != nil {
		var e *llm.Error
		if errors.As(err, &e) {
			fmt.Fprintf(a.stdout, "result    FAILED: status %d, code %q\n", e.Status, e.Code)
		}
		return fmt.Errorf("llm check: %w", err)
	}
	fmt.Fprintf(a.stdout, "result    ok: code %s, %d prompt + %d completion tokens\n", sug.Code, sug.Usage.PromptTokens, sug.Usage.CompletionTokens)
	return nil
}

func keyState(k string) string {
	if k == "" {
		return "(none)"
	}
	return "set"
}
