package textin

import (
	"context"
	"errors"
	"fmt"
)

// Code says what went wrong, for programs: it is the "code" of an error JSON and of a websocket
// "error" message.
type Code string

// Codes of *Error.
const (
	CodeEmpty       Code = "empty"        // nothing to classify: no letter or digit
	CodeTooLong     Code = "too_long"     // over the length limit
	CodeNotText     Code = "not_text"     // binary, invalid UTF-8, mostly control characters
	CodeBadRequest  Code = "bad_request"  // not the JSON object the endpoint takes (Detail says which field)
	CodeTooLarge    Code = "too_large"    // a request body over the size limit
	CodeRateLimited Code = "rate_limited" // too many requests or messages
	CodeBusy        Code = "busy"         // the previous message of a conversation is still being answered
	CodeNotFound    Code = "not_found"    // an unknown path or class
	CodeMethod      Code = "method"       // a wrong HTTP method
	CodeForbidden   Code = "forbidden"    // a cross-origin or unknown-host request
	CodeCanceled    Code = "canceled"     // the request was cancelled or timed out
	CodeInternal    Code = "internal"     // anything else: details are logged, never shown
)

// Error is an error whose Message users may see. Compare with errors.Is against the Err values
// (only the Code is compared).
type Error struct {
	Code   Code
	Limit  int    // CodeTooLong: the limit in characters; CodeTooLarge: in bytes
	Detail string // CodeBadRequest: what the request got wrong, in words of the API ("text must be a string")
}

// Errors Parse returns; compare with errors.Is.
var (
	ErrEmpty   = &Error{Code: CodeEmpty}
	ErrTooLong = &Error{Code: CodeTooLong}
	ErrNotText = &Error{Code: CodeNotText}
)

func (e *Error) Error() string { return "textin: " + e.Message("en") }

// Is reports whether target is an *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Message is the sentence shown to a user reading lang ("zh" or "en"; anything else is Chinese).
func (e *Error) Message(lang string) string {
	zh := lang != "en"
	pick := func(z, en string) string {
		if zh {
			return z
		}
		return en
	}
	switch e.Code {
	case CodeEmpty:
		return pick("消息是空的（表情、符号和不可见字符不算文字）：请用文字描述您的服务，或输入“帮助”。",
			`The message is empty (emoji, symbols and invisible characters are not text): describe your service in words, or type "help".`)
	case CodeTooLong:
		limit := e.Limit
		if limit <= 0 {
			limit = DefaultMaxRunes
		}
		return pick(fmt.Sprintf("消息太长：请控制在 %d 字以内。", limit),
			fmt.Sprintf("The message is too long: please keep it under %d characters.", limit))
	case CodeNotText:
		return pick("无法读取这条消息：请发送普通文字。", "This message could not be read: please send plain text.")
	case CodeBadRequest:
		msg := pick(`请求格式不对：请发送 JSON 对象，如 {"text": "为银行开发手机APP"}。`,
			`The request is not what this endpoint takes: send a JSON object like {"text": "we build mobile apps for banks"}.`)
		if e.Detail != "" {
			msg += pick("（", " (") + e.Detail + pick("）", ")")
		}
		return msg
	case CodeTooLarge:
		return pick(fmt.Sprintf("请求太大：请控制在 %d 字节以内。", e.Limit),
			fmt.Sprintf("The request is too large: please keep it under %d bytes.", e.Limit))
	case CodeRateLimited:
		return pick("请求太频繁，请稍候再试。", "Too many requests: please wait a moment and try again.")
	case CodeBusy:
		return pick("还在回答上一条消息，请稍候。", "Still answering your previous message: please wait for it.")
	case CodeNotFound:
		return pick("找不到这个页面或分类。", "There is no such page or class.")
	case CodeMethod:
		return pick("不支持这种请求方法。", "This method is not allowed here.")
	case CodeForbidden:
		return pick("拒绝访问：请求来自未允许的网站或主机名。", "Refused: the request comes from a site or host name that is not allowed.")
	case CodeCanceled:
		return pick("请求已取消或超时，请重试。", "The request was cancelled or timed out; please try again.")
	}
	return pick("抱歉，处理时出错了，请稍后重试。", "Sorry, something went wrong; please try again later.")
}

// ErrorCode is the Code of err: an *Error's own, CodeCanceled for a cancelled or expired context,
// CodeInternal for anything else.
func ErrorCode(err error) Code {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return CodeCanceled
	}
	return CodeInternal
}

// Message is the sentence a user reading lang is shown for err: an *Error's message, or the
// message of ErrorCode(err). Internals never appear in it.
func Message(err error, lang string) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message(lang)
	}
	return (&Error{Code: ErrorCode(err)}).Message(lang)
}

// UserError reports whether err is the user's to fix (an *Error about their input), as opposed
// to a failure worth logging at error level.
func UserError(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code != CodeInternal
}
