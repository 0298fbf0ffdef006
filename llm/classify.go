package llm

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	openai "github.com/sashabaranov/go-openai"
)

// classifyHTTP turns an error from go-openai (an HTTP error status, a
// server-sent error event, or a transport failure) into a failure.
// It never keeps go-openai's error as the cause: its text includes the
// server's message, which may echo the key.
func (c *Client) classifyHTTP(err error, p *probe) *failure {
	status, detail, code := 0, "", ""
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.Is(err, openai.ErrChatCompletionInvalidModel):
		return &failure{kind: ErrBadRequest, detail: err.Error()}
	case errors.As(err, &apiErr):
		status, detail = apiErr.HTTPStatusCode, apiErr.Message
		code = strings.ToLower(fmt.Sprint(apiErr.Code) + " " + apiErr.Type)
		if status == 0 {
			// An error event inside a 200 stream; some providers
			// (OpenRouter) put the upstream HTTP status in code.
			if n, ok := apiErr.Code.(int); ok && n >= 400 && n <= 599 {
				status = n
			} else {
				return &failure{kind: ErrServer, detail: c.redact.clean(shorten("stream error: " + detail)), retryable: true}
			}
		}
	case errors.As(err, &reqErr):
		status = reqErr.HTTPStatusCode
		detail = string(reqErr.Body)
		if detail == "" {
			detail = reqErr.HTTPStatus
		}
	default:
		return c.classifyTransport(err)
	}
	f := &failure{status: status, detail: c.redact.clean(shorten(detail))}
	if p != nil {
		f.retryWait = parseRetryAfter(p.header)
	}
	lower := strings.ToLower(detail)
	switch {
	case status == 401 || status == 403:
		f.kind = ErrAuth
	case status == 402:
		f.kind = ErrQuota
	case status == 404:
		f.kind = ErrModelNotFound
	case status == 429:
		if strings.Contains(code, "insufficient_quota") || strings.Contains(lower, "exceeded your current quota") {
			f.kind = ErrQuota
		} else {
			f.kind, f.retryable = ErrRateLimited, true
		}
	case status == 408 || status == 409 || status >= 500:
		f.kind, f.retryable = ErrServer, true
	case status == 413 || isContextLength(lower, code):
		f.kind, f.also = ErrContextLength, []error{ErrBadRequest}
	default:
		f.kind = ErrBadRequest
		f.streamOptions = (status == 400 || status == 422) && strings.Contains(lower, "stream_options")
	}
	return f
}

func isContextLength(lowerDetail, code string) bool {
	return strings.Contains(code, "context_length_exceeded") ||
		strings.Contains(lowerDetail, "context length") ||
		strings.Contains(lowerDetail, "context window") ||
		strings.Contains(lowerDetail, "maximum context")
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
