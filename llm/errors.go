package llm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Error is the error of a failed Complete or Stream call.
type Error struct {
	Op        string // "llm.Complete" or "llm.Stream"
	Status    int    // HTTP status of the last attempt; 0 when there was no HTTP answer
	Code      string // the provider's error code (or type), e.g. "rate_limit_exceeded", "insufficient_quota"
	Retryable bool   // the failure was transient (429, 5xx, attempt timeout): a later call may succeed
	Attempts  int    // attempts made, retries included
	Err       error  // the underlying error; context.Canceled or context.DeadlineExceeded when the call's context ended

	msg string // a cleaner description than Err.Error(), when there is one
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": status %d", e.Status)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if detail := e.detail(); detail != "" {
		b.WriteString(": ")
		b.WriteString(detail)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) detail() string {
	if e.msg != "" {
		return e.msg
	}
	if e.Err != nil {
		return e.Err.Error()
	}
	return ""
}

// Codes of the provider errors that matter here.
const codeInsufficientQuota = "insufficient_quota"

// noRetry marks an attempt error that must not be retried (a stream that already delivered text).
type noRetry struct{ err error }

func (n noRetry) Error() string { return n.err.Error() }
func (n noRetry) Unwrap() error { return n.err }

// attemptTimeout is the error of an attempt that ran out of its AttemptTimeout.
type attemptTimeout struct {
	err   error
	after time.Duration
}

func (a attemptTimeout) Error() string {
	return fmt.Sprintf("attempt timed out after %v: %v", a.after, a.err)
}
func (a attemptTimeout) Unwrap() error { return a.err }

// classify turns the error of one attempt into an *Error. ctx is the call's context.
func classify(ctx context.Context, op string, err error) *Error {
	e := &Error{Op: op, Err: err}
	if cerr := ctx.Err(); cerr != nil {
		// The caller cancelled or the call's Timeout passed: never retried.
		if !errors.Is(err, cerr) {
			e.Err = fmt.Errorf("%w: %w", cerr, err)
		}
		e.msg = cerr.Error()
		return e
	}
	var nr noRetry
	stop := errors.As(err, &nr)

	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	var netErr net.Error
	var at attemptTimeout
	switch {
	case errors.As(err, &apiErr):
		e.Status = apiErr.HTTPStatusCode
		e.Code = apiCode(apiErr)
		e.Retryable = retryable(e.Status, e.Code, apiErr.Type)
		e.msg = strings.TrimSpace(apiErr.Message) // go-openai's Error() repeats the status
	case errors.As(err, &reqErr):
		e.Status = reqErr.HTTPStatusCode
		e.Retryable = retryable(e.Status, "", "")
		e.msg = http.StatusText(e.Status) // the body may be a proxy's HTML page
	case errors.As(err, &at):
		e.Retryable = true
		e.Code = "attempt_timeout"
		e.msg = fmt.Sprintf("an attempt timed out after %v", at.after)
	case errors.Is(err, errEmpty):
		e.Retryable = true // retried as it is: there is nothing to repair
		e.Code = "empty_reply"
		e.msg = errEmpty.Error()
	case errors.As(err, &netErr) && netErr.Timeout():
		e.Retryable = true // this attempt timed out (http.Client.Timeout, dial timeout), the call has time left
	}
	if stop {
		e.Retryable = false
	}
	return e
}

// apiCode is the error's code as a string, or its type when it has no code.
func apiCode(e *openai.APIError) string {
	switch c := e.Code.(type) {
	case string:
		if c != "" {
			return c
		}
	case int:
		// go-openai decodes "code": null as the int 0.
		if c != 0 {
			return strconv.Itoa(c)
		}
	case nil:
	default:
		return fmt.Sprint(c)
	}
	return e.Type
}

// retryable reports whether an HTTP failure is transient: 429 and 5xx, but never a quota error.
func retryable(status int, code, typ string) bool {
	if code == codeInsufficientQuota || typ == codeInsufficientQuota {
		return false
	}
	return status == http.StatusTooManyRequests || (status >= 500 && status <= 599)
}

// Backoff parameters.
const (
	baseBackoff   = time.Second
	maxBackoff    = 8 * time.Second
	maxRetryAfter = 30 * time.Second
)

// backoff is the wait before retry number n (0-based): base·2ⁿ capped at maxBackoff, times a jitter
// factor between 1/2 and 3/2 from jitter (a value in [0,1)), so that clients that failed together do
// not retry together.
func backoff(n int, jitter float64) time.Duration {
	d := maxBackoff
	if n < 5 {
		d = min(baseBackoff<<n, maxBackoff)
	}
	return time.Duration(float64(d) * (0.5 + jitter))
}

// retryAfter reads the wait a server asks for: Retry-After-Ms (OpenAI), else Retry-After in
// seconds or as an HTTP date relative to now. It caps the wait at maxRetryAfter.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if h == nil {
		return 0, false
	}
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && ms < 1e12 {
			return min(time.Duration(ms*float64(time.Millisecond)), maxRetryAfter), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 || s != s {
			return 0, false
		}
		if s > maxRetryAfter.Seconds() {
			return maxRetryAfter, true
		}
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter), true
	}
	return 0, false
}
