package llm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tether-dev/tether/internal/redact"
)

// Sentinels that classify every error Stream returns; test with errors.Is.
// The user-facing text lives in the *Error that wraps them.
var (
	// ErrConfig: the Config given to New is unusable.
	ErrConfig = errors.New("llm: invalid configuration")
	// ErrAuth: the server refused the API key (HTTP 401/403). Not retried.
	ErrAuth = errors.New("llm: authentication failed")
	// ErrModelNotFound: the server does not know the model (HTTP 404). Not retried.
	ErrModelNotFound = errors.New("llm: model not found")
	// ErrBadRequest: the server will not accept the request as sent (HTTP 400/422, ...). Not retried.
	ErrBadRequest = errors.New("llm: request rejected")
	// ErrContextLength: the conversation does not fit the model's context window.
	// Errors of this kind also match ErrBadRequest.
	ErrContextLength = errors.New("llm: context length exceeded")
	// ErrQuota: the account is out of credit or quota (HTTP 402, 429 insufficient_quota). Not retried.
	ErrQuota = errors.New("llm: quota exhausted")
	// ErrRateLimited: HTTP 429 persisted through every retry.
	ErrRateLimited = errors.New("llm: rate limited")
	// ErrServer: HTTP 5xx (or a server-sent error event) persisted through every retry.
	ErrServer = errors.New("llm: server error")
	// ErrUnavailable: the server could not be reached, or dropped the
	// connection before sending anything, through every retry.
	ErrUnavailable = errors.New("llm: server unreachable")
	// ErrTimeout: no first token within Config.Timeout, or no data for
	// Config.IdleTimeout once the reply had started.
	ErrTimeout = errors.New("llm: timed out")
	// ErrInterrupted: the stream broke after deltas had been delivered to
	// onDelta, and retrying did not help (or retries are off). The
	// Response returned alongside holds the partial reply.
	ErrInterrupted = errors.New("llm: stream interrupted")
	// ErrReplyLimit: the reply grew past Config.MaxReplyBytes or streamed
	// longer than Config.MaxReplyDuration and was cut. Not retried.
	ErrReplyLimit = errors.New("llm: reply limit exceeded")
)

// Error is the concrete type of every error Stream returns, except a
// cancelled context, which is returned wrapped so errors.Is(err,
// context.Canceled) holds. Its text never contains the API key.
type Error struct {
	// Kind is the primary sentinel (ErrAuth, ErrRateLimited, ...).
	Kind error
	// StatusCode is the last HTTP status the server answered with, 0 if none.
	StatusCode int
	// Attempts is how many HTTP requests were made for this call.
	Attempts int

	msg   string
	also  []error // secondary sentinels, e.g. ErrInterrupted next to ErrTimeout
	cause error   // transport or context error; never a server message (those may echo the key)
}

func (e *Error) Error() string { return e.msg }

// Unwrap exposes Kind, any secondary sentinel and the underlying transport
// cause (e.g. io.ErrUnexpectedEOF) to errors.Is / errors.As.
func (e *Error) Unwrap() []error {
	out := make([]error, 0, 2+len(e.also))
	out = append(out, e.Kind)
	out = append(out, e.also...)
	if e.cause != nil {
		out = append(out, e.cause)
	}
	return out
}

// failure is one attempt's classified outcome, before the retry loop
// decides whether it is final.
type failure struct {
	kind      error
	also      []error
	status    int
	detail    string // server message, already redacted and shortened
	cause     error
	retryable bool
	retryWait retryAfter // server's Retry-After, if any
	// streamOptions is set when the server rejected stream_options.
	streamOptions bool
	// maxTokensParam is set when the server asked for
	// max_completion_tokens instead of max_tokens (or the reverse).
	maxTokensParam bool
	// idle is set when the idle watchdog (not the first-token one) fired.
	idle bool
	// html is set when the server answered with an HTML page.
	html bool
}

// redactor removes secrets, and long fragments of them, from text that
// may have come from the server (error bodies sometimes echo the key) or
// from the transport (URLs). What counts as a secret is redact's rule.
type redactor struct{ set *redact.Set }

func newRedactor(secrets ...string) redactor { return redactor{redact.New(secrets...)} }

func (r redactor) clean(s string) string { return r.set.Text(s) }

// shorten keeps server messages to one readable line.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const limit = 400
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return s
}

// finalError turns the last failure into the caller-facing error with a
// message that says what to do next.
func (c *Client) finalError(f *failure, attempts int) *Error {
	var b strings.Builder
	server := c.baseURL
	status := ""
	if f.status != 0 {
		status = fmt.Sprintf("HTTP %d", f.status)
		if f.detail != "" {
			status += ": " + f.detail
		}
	} else if f.detail != "" {
		status = f.detail
	}
	tries := ""
	if attempts > 1 {
		tries = fmt.Sprintf(" after %d attempts", attempts)
	}
	switch {
	case f.html && f.retryable:
		fmt.Fprintf(&b, "llm: %s answered with an HTML error page%s (%s): the provider or a proxy in front of it is having trouble; try again later, and check LLM_BASE_URL", server, tries, status)
	case f.html:
		fmt.Fprintf(&b, "llm: the endpoint answered HTML: check LLM_BASE_URL (%s answered %s; it should be the API root, usually ending in /v1)", server, status)
	default:
		c.describe(&b, f, server, status, tries)
	}
	return &Error{
		Kind:       f.kind,
		StatusCode: f.status,
		Attempts:   attempts,
		msg:        c.redact.clean(b.String()),
		also:       f.also,
		cause:      f.cause,
	}
}

func (c *Client) describe(b *strings.Builder, f *failure, server, status, tries string) {
	switch f.kind {
	case ErrReplyLimit:
		fmt.Fprintf(b, "llm: the reply from %s was cut: %s; the partial reply was kept but its tool calls were not run: ask for smaller steps, or raise [llm] max_reply_bytes / max_reply_duration", server, f.detail)
	case ErrAuth:
		if c.cfg.APIKey == "" {
			fmt.Fprintf(b, "llm: %s requires an API key and none is set (%s): set LLM_API_KEY", server, status)
		} else if f.status == 403 {
			fmt.Fprintf(b, "llm: %s refused access to model %q with this API key (%s): check the key's permissions or LLM_API_KEY", server, c.cfg.Model, status)
		} else {
			fmt.Fprintf(b, "llm: %s rejected the API key (%s): check LLM_API_KEY", server, status)
		}
	case ErrModelNotFound:
		fmt.Fprintf(b, "llm: model %q not found at %s (%s): check LLM_MODEL, and that LLM_BASE_URL is the API root (usually ending in /v1)", c.cfg.Model, server, status)
	case ErrContextLength:
		fmt.Fprintf(b, "llm: the conversation is too long for model %q (%s): shorten it or use a model with a larger context window", c.cfg.Model, status)
	case ErrBadRequest:
		fmt.Fprintf(b, "llm: %s rejected the request for model %q (%s): check that the model supports streaming and tool calls, and the request settings", server, c.cfg.Model, status)
	case ErrQuota:
		fmt.Fprintf(b, "llm: the account at %s is out of credit or quota (%s): add credit or check billing for this key", server, status)
	case ErrRateLimited:
		fmt.Fprintf(b, "llm: rate limited by %s%s (%s): wait a while, or run fewer sessions at once", server, tries, status)
	case ErrServer:
		fmt.Fprintf(b, "llm: %s failed%s (%s): the provider is having trouble; try again later", server, tries, status)
	case ErrUnavailable:
		fmt.Fprintf(b, "llm: could not get a reply from %s%s (%s): check LLM_BASE_URL, your network, and that the server is running", server, tries, status)
	case ErrTimeout:
		if f.idle {
			fmt.Fprintf(b, "llm: the reply stream from %s stalled: no data for %s; the partial reply was kept: try again", server, c.idleTimeout)
		} else {
			fmt.Fprintf(b, "llm: no reply from %s within %s for model %q: the server may be overloaded or still loading the model; try again or raise the timeout", server, c.timeout, c.cfg.Model)
		}
	case ErrInterrupted:
		fmt.Fprintf(b, "llm: the reply stream from %s was cut off mid-way (%s); the partial reply was kept: try again", server, status)
	default:
		fmt.Fprintf(b, "llm: call to %s failed (%s)", server, status)
	}
}
