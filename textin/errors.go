package textin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Code says what went wrong, for programs: it is the "code" of an error JSON and of a websocket
// "error" message.
type Code string

// Codes of *Error.
const (
	CodeEmpty        Code = "empty"        // nothing to classify: no letter or digit
	CodeTooLong      Code = "too_long"     // over the length limit
	CodeNotText      Code = "not_text"     // binary, invalid UTF-8, mostly control characters
	CodeBadRequest   Code = "bad_request"  // not the JSON object the endpoint takes (Detail says which field)
	CodeTooLarge     Code = "too_large"    // a request body over the size limit
	CodeRateLimited  Code = "rate_limited" // too many requests or messages
	CodeBusy         Code = "busy"         // the previous message of a conversation is still being answered
	CodeNotFound     Code = "not_found"    // an unknown path or class
	CodeMethod       Code = "method"       // a wrong HTTP method
	CodeForbidden    Code = "forbidden"    // a cross-origin or unknown-host request
	CodeMediaType    Code = "media_type"   // a POST whose Content-Type is not JSON
	CodeUnauthorized Code = "unauthorized" // an admin route without the right bearer token
	CodeNotRecorded  Code = "not_recorded" // the answer could not be recorded, so it was not sent
	CodeCanceled     Code = "canceled"     // the request was cancelled or timed out
	CodeInternal     Code = "internal"     // anything else: details are logged, never shown
)

// Error is an error whose Message users may see. Compare with errors.Is against the Err values
// (only the Code is compared).
type Error struct {
	Code  Code
	Limit int // CodeTooLong: the limit in characters; CodeTooLarge: in bytes

	// CodeBadRequest: what the request got wrong. Problem is one of the Problem values; Field
	// names the JSON field ("text", "id"), Offset the byte of a syntax error.
	Problem Problem
	Field   string
	Offset  int64
}

// Problem says what a bad request got wrong.
type Problem string

// Problems of a CodeBadRequest Error.
const (
	ProblemSyntax    Problem = "syntax"     // not JSON (Offset: where)
	ProblemNotObject Problem = "not_object" // JSON, but not an object
	ProblemType      Problem = "type"       // Field has the wrong type
	ProblemMissing   Problem = "missing"    // Field is missing
	ProblemEmptyBody Problem = "empty_body" // no body at all
	ProblemTrailing  Problem = "trailing"   // more after the JSON object
	ProblemBlankLine Problem = "blank_line" // a blank line where a JSON line was due
)

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
		return pick("输入格式不对：", "The input is not what fenlei takes: ") + e.problem(zh) +
			pick(`请发送 JSON 对象，如 {"text": "为银行开发手机APP"}。`, ` Send a JSON object like {"text": "we build mobile apps for banks"}.`)
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
	case CodeMediaType:
		return pick("请以 JSON 发送（Content-Type: application/json）。", "Send JSON (Content-Type: application/json).")
	case CodeUnauthorized:
		return pick("需要管理员令牌：请发送 Authorization: Bearer <FENLEI_ADMIN_TOKEN>。",
			"This admin route needs Authorization: Bearer <FENLEI_ADMIN_TOKEN>.")
	case CodeNotRecorded:
		return pick("抱歉，答复未能保存，因此没有发送，请稍后重试。",
			"Sorry, the answer could not be recorded, so it was not sent; please try again later.")
	case CodeCanceled:
		return pick("请求已取消或超时，请重试。", "The request was cancelled or timed out; please try again.")
	}
	return pick("抱歉，处理时出错了，请稍后重试。", "Sorry, something went wrong; please try again later.")
}

// problem describes a bad request's Problem in a sentence of its own.
func (e *Error) problem(zh bool) string {
	type pair struct{ zh, en string }
	var p pair
	switch e.Problem {
	case ProblemSyntax:
		p = pair{fmt.Sprintf("第 %d 字节处不是有效的 JSON。", e.Offset), fmt.Sprintf("invalid JSON at byte %d.", e.Offset)}
	case ProblemNotObject:
		p = pair{"请求体不是 JSON 对象。", "the body is not a JSON object."}
	case ProblemType:
		if e.Field == "id" {
			p = pair{`"id" 应为字符串或数字。`, `"id" must be a string or a number.`}
		} else {
			p = pair{fmt.Sprintf("%q 应为字符串。", e.Field), fmt.Sprintf("%q must be a string.", e.Field)}
		}
	case ProblemMissing:
		p = pair{fmt.Sprintf("缺少 %q 字段。", e.Field), fmt.Sprintf("%q is missing.", e.Field)}
	case ProblemEmptyBody:
		p = pair{"请求体是空的。", "the body is empty."}
	case ProblemTrailing:
		p = pair{"JSON 对象之后还有多余内容。", "there is more after the JSON object."}
	case ProblemBlankLine:
		p = pair{"这一行是空的。", "the line is blank."}
	default:
		p = pair{"", ""}
	}
	if zh {
		return p.zh
	}
	return p.en
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

// JSONError describes an encoding/json decoding error as a bad request: a syntax error with its
// offset, a wrong type with its field, an empty or cut-short input. The library's wording, which
// names Go types, never reaches the user. err == nil gives nil.
func JSONError(err error) *Error {
	var (
		e  *Error
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	bad := &Error{Code: CodeBadRequest, Problem: ProblemSyntax}
	switch {
	case err == nil:
		return nil
	case errors.As(err, &e):
		return e
	case errors.As(err, &se):
		bad.Offset = se.Offset
	case errors.As(err, &te) && te.Field == "":
		bad.Problem = ProblemNotObject
	case errors.As(err, &te):
		bad.Problem, bad.Field = ProblemType, te.Field
	case errors.Is(err, io.EOF):
		bad.Problem = ProblemEmptyBody
	}
	return bad
}
