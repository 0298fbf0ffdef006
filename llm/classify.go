package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
)

// errorBody is what servers put in an error answer, in the shapes seen:
// OpenAI's {"error":{"message","type","code","param"}}, vLLM's top-level
// {"object":"error","message","type","code"}, {"error":"text"}, FastAPI's
// {"detail":...}, and the Responses API's "error" events.
type errorBody struct {
	Error   json.RawMessage `json:"error"`
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"`
	Detail  json.RawMessage `json:"detail"`
}

type errorObject struct {
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"`
}

// serverError is the message, type and code of an error answer; ok is
// false when the body holds no error at all.
type serverError struct {
	msg, typ, code string
	status         int // a status the code stands for (OpenRouter, LiteLLM), else 0
}

func parseErrorBody(b []byte) (serverError, bool) {
	var eb errorBody
	if json.Unmarshal(b, &eb) != nil {
		return serverError{}, false
	}
	var se serverError
	switch {
	case len(eb.Error) > 0 && eb.Error[0] == '{':
		var eo errorObject
		if json.Unmarshal(eb.Error, &eo) != nil {
			return serverError{}, false
		}
		se = serverError{msg: eo.Message, typ: eo.Type, code: rawCode(eo.Code)}
		if se.msg == "" && se.code == "" && se.typ == "" {
			return serverError{}, false
		}
	case len(eb.Error) > 0 && eb.Error[0] == '"':
		_ = json.Unmarshal(eb.Error, &se.msg)
		se.typ, se.code = eb.Type, rawCode(eb.Code)
	case eb.Message != "" && (eb.Type != "" || len(eb.Code) > 0):
		se = serverError{msg: eb.Message, typ: eb.Type, code: rawCode(eb.Code)}
	case len(eb.Detail) > 0:
		var s string
		if json.Unmarshal(eb.Detail, &s) != nil {
			s = string(eb.Detail)
		}
		se.msg = s
	default:
		return serverError{}, false
	}
	if n, err := strconv.Atoi(se.code); err == nil && n >= 400 && n <= 599 {
		se.status = n
	}
	return se, true
}

// rawCode turns a JSON code (string, number or null) into text.
func rawCode(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// classifyStatus turns an HTTP error answer into a failure.
func (c *Client) classifyStatus(status int, h map[string][]string, ctype string, body []byte) *failure {
	if ctype == "text/html" || bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")) {
		f := c.htmlFailure(status)
		if status >= 500 || status == 429 {
			f.kind, f.retryable = kindFor(status, ""), true
		}
		f.retryWait = parseRetryHeaders(h)
		return f
	}
	se, ok := parseErrorBody(body)
	if !ok {
		se.msg = strings.TrimSpace(string(body))
		if se.msg == "" {
			se.msg = statusText(status)
		}
	}
	f := c.classifyError(status, se)
	f.retryWait = parseRetryHeaders(h)
	return f
}

// classifyInStream turns an error that arrived inside a 200 stream (or as
// a 200 JSON body) into a failure; its code decides as a status would.
func (c *Client) classifyInStream(se serverError) *failure {
	status := se.status
	if status == 0 {
		status = statusForCode(se.code + " " + se.typ)
	}
	f := c.classifyError(status, se)
	if status == 0 && !errors.Is(f.kind, ErrContextLength) {
		// An unnamed failure mid-stream is the server's: retry it.
		f.kind, f.retryable = ErrServer, true
	}
	f.status = 0 // the HTTP status was 200; the code is in the detail
	if se.code != "" && !strings.Contains(f.detail, se.code) {
		f.detail = c.redact.clean(shorten("stream error " + se.code + ": " + se.msg))
	} else {
		f.detail = c.redact.clean(shorten("stream error: " + se.msg))
	}
	return f
}

func (c *Client) classifyError(status int, se serverError) *failure {
	f := &failure{status: status, detail: c.redact.clean(shorten(se.msg))}
	code := strings.ToLower(se.code + " " + se.typ)
	lower := strings.ToLower(se.msg)
	switch {
	case isContextLength(lower, code):
		f.kind, f.also = ErrContextLength, []error{ErrBadRequest}
	case status == 429 && (strings.Contains(code, "insufficient_quota") || strings.Contains(lower, "exceeded your current quota")):
		f.kind = ErrQuota
	case status == 413:
		f.kind, f.also = ErrContextLength, []error{ErrBadRequest}
	default:
		f.kind = kindFor(status, code)
		f.retryable = f.kind == ErrRateLimited || f.kind == ErrServer
		f.streamOptions = f.kind == ErrBadRequest && strings.Contains(lower, "stream_options")
		f.maxTokensParam = f.kind == ErrBadRequest && strings.Contains(lower, "max_completion_tokens") && strings.Contains(lower, "max_tokens")
	}
	return f
}

func kindFor(status int, code string) error {
	switch {
	case status == 401 || status == 403:
		return ErrAuth
	case status == 402:
		return ErrQuota
	case status == 404:
		return ErrModelNotFound
	case status == 429:
		return ErrRateLimited
	case status == 408 || status == 409 || status >= 500:
		return ErrServer
	case status == 0 && code != "":
		return ErrServer
	}
	return ErrBadRequest
}

// statusForCode maps the string codes servers put in error events to the
// HTTP status they stand for; 0 when the code says nothing known.
func statusForCode(code string) int {
	code = strings.ToLower(code)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(code, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("invalid_api_key", "authentication", "unauthorized", "invalid_auth", "incorrect_api_key"):
		return 401
	case has("permission", "forbidden", "model_not_allowed"):
		return 403
	case has("insufficient_quota", "billing", "insufficient_credits", "payment_required", "credit"):
		return 402
	case has("model_not_found", "not_found"):
		return 404
	case has("rate_limit", "too_many_requests", "rate-limit", "ratelimit"):
		return 429
	case has("context_length", "exceed_context", "context_window"):
		return 400
	case has("server_error", "internal", "overloaded", "unavailable", "api_error", "timeout"):
		return 500
	case has("invalid_request", "bad_request", "invalid_prompt", "invalid_value", "unsupported"):
		return 400
	}
	return 0
}

func isContextLength(lowerDetail, code string) bool {
	return strings.Contains(code, "context_length_exceeded") ||
		strings.Contains(code, "exceed_context_size") || // llama-server
		strings.Contains(lowerDetail, "context length") ||
		strings.Contains(lowerDetail, "context window") ||
		strings.Contains(lowerDetail, "context size") || // llama-server: "exceeds the available context size"
		strings.Contains(lowerDetail, "maximum context") || // vLLM, OpenAI
		strings.Contains(lowerDetail, "prompt is too long") || // Anthropic via proxies
		strings.Contains(lowerDetail, "too many tokens")
}

func (c *Client) htmlFailure(status int) *failure {
	f := &failure{kind: ErrBadRequest, status: status, html: true,
		detail: "the endpoint answered HTML, not an API reply"}
	if status == 404 {
		f.kind = ErrModelNotFound
	}
	return f
}

// classifyTransport handles errors where no HTTP status was received, or
// the body broke while being read.
func (c *Client) classifyTransport(err error) *failure {
	f := &failure{kind: ErrUnavailable, cause: err, retryable: true, detail: c.redact.clean(shorten(err.Error()))}
	var dnsErr *net.DNSError
	if (errors.As(err, &dnsErr) && dnsErr.IsNotFound) || errors.Is(err, syscall.ECONNREFUSED) {
		// A misspelt host, or a local server that is not running, will
		// not fix itself within the backoff; say so at once.
		f.retryable = false
	}
	return f
}

func statusText(status int) string {
	return "HTTP " + strconv.Itoa(status)
}
