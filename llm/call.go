package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"fenlei/decision"

	openai "github.com/sashabaranov/go-openai"
)

// Chat makes one chat completion of r: streamed when r.OnDelta is set. A 400 that names the response
// format steps the client down to the next format (json_schema → json_object → none) and the call goes
// on in it. A reply that is not the JSON asked for is not an error here: the caller judges it.
// Errors are *Error.
func (c *Client) Chat(ctx context.Context, r Request) (Reply, error) {
	for {
		i := c.format.Load()
		reply, err := c.chat(ctx, r, formats[i])
		var e *Error
		if err == nil || !errors.As(err, &e) || !formatRejected(e) || int(i) == len(formats)-1 {
			return reply, err
		}
		if c.format.CompareAndSwap(i, i+1) {
			c.lg.Warn("llm response format rejected, stepping down", "model", c.model, "from", formats[i], "to", formats[i+1], "err", e.detail())
		}
	}
}

// formatRejected reports whether an error is a 400 that names the response format.
func formatRejected(e *Error) bool {
	if e.Status != http.StatusBadRequest {
		return false
	}
	m := strings.ToLower(e.detail() + " " + e.Code)
	for _, w := range []string{"response_format", "response format", "json_schema", "json_object", "json mode", "json_mode"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

func (c *Client) chat(ctx context.Context, r Request, format string) (Reply, error) {
	if r.OnDelta != nil {
		return c.stream(ctx, r, format)
	}
	return c.complete(ctx, r, format)
}

// Complete makes one chat completion of the system and user messages (system may be empty), asking for
// a JSON object. Errors are *Error.
func (c *Client) Complete(ctx context.Context, system, user string) (Reply, error) {
	return c.Chat(ctx, Request{System: system, User: user})
}

// Stream makes one streaming chat completion, calling onDelta (if not nil) with each piece of content
// in order, and returns the whole reply. Errors are *Error.
func (c *Client) Stream(ctx context.Context, system, user string, onDelta func(string)) (Reply, error) {
	if onDelta == nil {
		onDelta = func(string) {}
	}
	return c.Chat(ctx, Request{System: system, User: user, OnDelta: onDelta})
}

func (c *Client) complete(ctx context.Context, r Request, format string) (Reply, error) {
	const op = "llm.Complete"
	req := c.request(r, format, false)
	return c.retry(ctx, op, func(ctx context.Context) (Reply, error) {
		resp, err := c.api.CreateChatCompletion(ctx, req)
		if err != nil {
			return Reply{}, err
		}
		if len(resp.Choices) == 0 {
			return Reply{}, errNoChoices
		}
		ch := resp.Choices[0]
		reply := Reply{
			Text:         ch.Message.Content,
			Model:        c.modelOr(resp.Model),
			Usage:        decision.Usage{PromptTokens: resp.Usage.PromptTokens, CompletionTokens: resp.Usage.CompletionTokens},
			FinishReason: string(ch.FinishReason),
			Reasoning:    ch.Message.ReasoningContent,
		}
		if strings.TrimSpace(reply.Text) == "" {
			return reply, errEmpty
		}
		return reply, nil
	})
}

// stream makes one streaming chat completion. Usage is zero when the server does not report it. An
// attempt is retried only if it failed before any content was delivered; after that the error is
// returned with the partial reply.
func (c *Client) stream(ctx context.Context, r Request, format string) (Reply, error) {
	const op = "llm.Stream"
	req := c.request(r, format, true)
	return c.retry(ctx, op, func(ctx context.Context) (Reply, error) {
		stream, err := c.api.CreateChatCompletionStream(ctx, req)
		if err != nil {
			return Reply{}, err
		}
		defer stream.Close()
		var (
			text, thought strings.Builder
			reply         = Reply{Model: c.model}
		)
		for {
			chunk, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				reply.Text, reply.Reasoning = text.String(), thought.String()
				if text.Len() > 0 {
					err = noRetry{err}
				}
				return reply, err
			}
			if chunk.Model != "" {
				reply.Model = chunk.Model
			}
			if chunk.Usage != nil {
				reply.Usage = decision.Usage{PromptTokens: chunk.Usage.PromptTokens, CompletionTokens: chunk.Usage.CompletionTokens}
			}
			for _, ch := range chunk.Choices {
				if ch.Index != 0 {
					continue
				}
				if ch.FinishReason != "" && ch.FinishReason != openai.FinishReasonNull {
					reply.FinishReason = string(ch.FinishReason)
				}
				if d := ch.Delta.ReasoningContent; d != "" {
					thought.WriteString(d)
					if r.OnReasoning != nil {
						r.OnReasoning(d)
					}
				}
				if d := ch.Delta.Content; d != "" {
					text.WriteString(d)
					r.OnDelta(d)
				}
			}
		}
		reply.Text, reply.Reasoning = text.String(), thought.String()
		if reply.FinishReason == "" {
			c.lg.Warn("llm stream unfinished", "op", op, "model", reply.Model, "chars", text.Len())
		}
		if strings.TrimSpace(reply.Text) == "" {
			return reply, errEmpty
		}
		return reply, nil
	})
}

func (c *Client) modelOr(m string) string {
	if m != "" {
		return m
	}
	return c.model
}

// retry runs attempts of call under the call's Timeout until one succeeds, an error is not
// retryable, MaxRetries is used up or the wait before the next attempt would outlast the call.
func (c *Client) retry(ctx context.Context, op string, call func(context.Context) (Reply, error)) (Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	for n := 0; ; n++ {
		a := &attempt{}
		actx, acancel := context.WithTimeout(context.WithValue(ctx, attemptKey{}, a), c.attempt)
		reply, err := call(actx)
		if err != nil && actx.Err() != nil && ctx.Err() == nil {
			err = attemptTimeout{err: err, after: c.attempt} // this attempt ran out of time, the call has more
		}
		acancel()
		if err == nil {
			c.lg.Debug("llm call", "op", op, "model", reply.Model, "attempts", n+1,
				"prompt_tokens", reply.Usage.PromptTokens, "completion_tokens", reply.Usage.CompletionTokens,
				"finish", reply.FinishReason, "elapsed", time.Since(start))
			return reply, nil
		}
		e := classify(ctx, op, err)
		e.Attempts = n + 1
		if !e.Retryable || n >= c.maxRetries {
			return reply, e
		}
		wait, fromServer := retryAfter(a.header, time.Now())
		if !fromServer {
			wait = backoff(n, rand.Float64())
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return reply, e // the next attempt could not start in time
		}
		c.lg.Warn("llm retry", "op", op, "model", c.model, "attempt", n+1, "status", e.Status,
			"code", e.Code, "wait", wait, "retry_after", fromServer, "err", err)
		if serr := c.sleep(ctx, wait); serr != nil {
			e.Retryable = false
			e.msg = fmt.Sprintf("%v while waiting to retry after: %s", serr, e.detail())
			e.Err = fmt.Errorf("%w while waiting to retry after: %w", serr, e.Err)
			return reply, e
		}
	}
}
