package llm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tether-dev/tether/internal/ctxwait"
)

// DefaultBaseURL is used when Config.BaseURL is empty.
const DefaultBaseURL = "https://api.openai.com/v1"

const (
	defaultTimeout     = 5 * time.Minute
	defaultIdleTimeout = 120 * time.Second
	// DefaultMaxReplyBytes bounds one reply (text, reasoning and tool
	// arguments together): far above any useful reply, far below what
	// hurts.
	DefaultMaxReplyBytes = 8 << 20
	// DefaultMaxReplyDuration bounds how long one reply may stream.
	DefaultMaxReplyDuration = 20 * time.Minute
)

// Wire APIs for Config.API.
const (
	APIAuto      = ""          // by model name: Responses for models that need it, else Chat Completions
	APIChat      = "chat"      // POST /chat/completions
	APIResponses = "responses" // POST /responses (OpenAI's Responses API)
)

// Config configures a Client. Only Model is required.
type Config struct {
	// BaseURL is the API root of any OpenAI-compatible server, e.g.
	// https://openrouter.ai/api/v1 or http://localhost:11434/v1 (Ollama).
	// Empty means DefaultBaseURL.
	BaseURL string
	// APIKey is sent as a bearer token; empty sends none (local servers).
	// It never appears in logs or errors.
	APIKey string
	// Model is the model name as the server knows it. Required.
	Model string
	// API picks the wire API: APIAuto, APIChat or APIResponses.
	API string
	// Timeout bounds how long a call may wait for its reply to start
	// (connecting, queueing, prompt processing, silent reasoning).
	// 0 means 5 minutes. Once deltas flow, IdleTimeout applies instead, so
	// long replies are never cut for being long.
	Timeout time.Duration
	// IdleTimeout is the longest silence allowed between chunks once the
	// reply has started. 0 means 120 seconds.
	IdleTimeout time.Duration
	// MaxReplyBytes and MaxReplyDuration cut a runaway reply with
	// ErrReplyLimit; 0 means DefaultMaxReplyBytes / DefaultMaxReplyDuration.
	MaxReplyBytes    int
	MaxReplyDuration time.Duration
	// MaxRetries is how many times a failed request is retried (429, 5xx,
	// connection lost, a stream cut mid-way). 0 means 4; negative means none.
	MaxRetries int
	// RetryDelay is the first backoff step, doubled per retry (with
	// jitter, capped at 30 s). 0 means 1 second. Tests set it small.
	RetryDelay time.Duration
	// Prices overrides or extends the built-in price table (see LookupPrice).
	Prices map[string]Price
	// Temperature, when set, is sent with every request.
	Temperature *float32
	// MaxTokens, when > 0, caps the reply length.
	MaxTokens int
	// MaxTokensParam names the field MaxTokens is sent in on Chat
	// Completions: "max_tokens", "max_completion_tokens", or "" to decide
	// by model name (OpenAI reasoning models, also as Azure deployment
	// names, take max_completion_tokens). A server that asks for the other
	// one gets it on a retry either way.
	MaxTokensParam string
	// Logger receives retry and fallback notices; nil discards them.
	Logger *slog.Logger
	// HTTPClient replaces the default client (tests, proxies). Leave its
	// Timeout zero: it would cut long streams; use Timeout/IdleTimeout.
	HTTPClient *http.Client
}

// Client streams replies from one model. It is safe for concurrent use by
// many sessions.
type Client struct {
	cfg         Config
	hc          *http.Client
	endpoint    string // API root, as configured (may hold credentials)
	baseURL     string // for messages: without credentials or query
	api         string // APIChat or APIResponses, decided in New
	timeout     time.Duration
	idleTimeout time.Duration
	maxDuration time.Duration
	maxReply    int
	maxLine     int
	maxRetries  int
	retryDelay  time.Duration
	log         *slog.Logger
	redact      redactor
	price       Price
	priceKnown  bool

	// noStreamOptions is set once the server has rejected stream_options,
	// so later calls do not pay for the failed attempt again.
	noStreamOptions atomic.Bool
	// completionTokens says MaxTokens goes as max_completion_tokens; it
	// flips when the server asks for the other field.
	completionTokens atomic.Bool
}

// New checks cfg and returns a Client. It makes no network call.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, fmt.Errorf("%w: no model set: set LLM_MODEL (e.g. gpt-4o-mini, or anthropic/claude-sonnet-4 on OpenRouter)", ErrConfig)
	}
	base := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: base URL %q is not an http(s) URL: set LLM_BASE_URL to the API root, e.g. https://api.openai.com/v1", ErrConfig, safeURL(base))
	}
	switch cfg.API {
	case APIAuto, APIChat, APIResponses:
	default:
		return nil, fmt.Errorf("%w: [llm] api = %q: write \"chat\" or \"responses\", or leave it out to choose by model", ErrConfig, cfg.API)
	}
	switch cfg.MaxTokensParam {
	case "", "max_tokens", "max_completion_tokens":
	default:
		return nil, fmt.Errorf("%w: [llm] max_tokens_param = %q: write \"max_tokens\" or \"max_completion_tokens\"", ErrConfig, cfg.MaxTokensParam)
	}
	secrets := []string{cfg.APIKey}
	if pw, ok := u.User.Password(); ok {
		secrets = append(secrets, pw)
	}
	c := &Client{
		cfg:         cfg,
		endpoint:    base,
		baseURL:     safeURL(base),
		api:         chooseAPI(cfg.API, cfg.Model),
		timeout:     orDefault(cfg.Timeout, defaultTimeout),
		idleTimeout: orDefault(cfg.IdleTimeout, defaultIdleTimeout),
		maxDuration: orDefault(cfg.MaxReplyDuration, DefaultMaxReplyDuration),
		maxReply:    cfg.MaxReplyBytes,
		maxRetries:  cfg.MaxRetries,
		retryDelay:  orDefault(cfg.RetryDelay, defaultRetryDelay),
		log:         cfg.Logger,
		redact:      newRedactor(secrets...),
		hc:          cfg.HTTPClient,
	}
	if c.maxReply <= 0 {
		c.maxReply = DefaultMaxReplyBytes
	}
	// One event may carry the whole reply again (response.completed).
	c.maxLine = 2*c.maxReply + 64<<10
	if c.maxRetries == 0 {
		c.maxRetries = defaultMaxRetries
	}
	c.maxRetries = max(c.maxRetries, 0)
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.hc == nil {
		c.hc = &http.Client{}
	}
	c.completionTokens.Store(cfg.MaxTokensParam == "max_completion_tokens" ||
		(cfg.MaxTokensParam == "" && usesMaxCompletionTokens(cfg.Model, u.Host)))
	c.price, c.priceKnown = LookupPrice(cfg.Model, cfg.Prices)
	return c, nil
}

// Model is the configured model name.
func (c *Client) Model() string { return c.cfg.Model }

// API is the wire API in use: APIChat or APIResponses.
func (c *Client) API() string { return c.api }

// Stream sends req and delivers the reply through onDelta as it arrives,
// then returns it fully assembled with usage and cost. onDelta is called
// on the caller's goroutine, in order; it may be nil.
//
// Failed attempts are retried (see Config.MaxRetries); each retry is
// announced through onDelta with a Delta whose Retry is set, before the
// wait. A stream cut mid-way is retried too: its notice has Discard set,
// and the reply starts over. On error the Response holds whatever was
// assembled; its tool calls may be truncated and must not be run.
// Cancelling ctx returns promptly, also from a hung connection or a
// backoff wait, with an error matching ctx's error.
func (c *Client) Stream(ctx context.Context, req Request, onDelta func(Delta)) (Response, error) {
	if onDelta == nil {
		onDelta = func(Delta) {}
	}
	if err := c.checkTools(req.Tools); err != nil {
		return Response{}, err
	}
	if err := c.checkSettings(); err != nil {
		return Response{}, err
	}
	attempts, retries := 0, 0
	var fellBack, flipped bool
	for {
		attempts++
		path, body, dec, a, err := c.prepare(req, onDelta)
		if err != nil {
			return Response{}, err
		}
		f := c.attempt(ctx, path, body, dec, a)
		resp := a.response(c)
		if f == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return resp, c.cancelled(ctx, attempts)
		}
		if f.streamOptions && !fellBack && !c.noStreamOptions.Load() && c.api == APIChat {
			// Some servers reject stream_options outright; usage is then
			// unknown (reported as 0 tokens, CostKnown false), not guessed.
			fellBack = true
			c.noStreamOptions.Store(true)
			c.log.Info("llm: server rejected stream_options; continuing without usage reports", "base_url", c.baseURL)
			continue
		}
		if f.maxTokensParam && !flipped && c.cfg.MaxTokens > 0 && c.api == APIChat {
			flipped = true
			c.completionTokens.Store(!c.completionTokens.Load())
			c.log.Info("llm: server asked for the other max tokens field; switching", "max_completion_tokens", c.completionTokens.Load())
			continue
		}
		if a.delivered && !errors.Is(f.kind, ErrReplyLimit) {
			if !errors.Is(f.kind, ErrTimeout) {
				f.also = append(f.also, f.kind)
				f.kind = ErrInterrupted
			} else {
				f.also = append(f.also, ErrInterrupted)
			}
			f.retryable = f.retryable || f.idle
		}
		if !f.retryable || retries >= c.maxRetries {
			return resp, c.finalError(f, attempts)
		}
		if f.retryWait.ok && f.retryWait.d > maxHonouredRetryIn {
			f.detail += fmt.Sprintf(" (server asks to wait %s)", f.retryWait.d.Round(time.Second))
			return resp, c.finalError(f, attempts)
		}
		wait := c.backoff(retries, f.retryWait)
		retries++
		n := c.notice(f, retries, wait, a.delivered)
		c.log.Warn("llm: retrying", "model", c.cfg.Model, "status", f.status, "reason", n.Reason, "detail", f.detail, "wait", wait, "retry", retries, "of", c.maxRetries)
		onDelta(Delta{Retry: &n})
		if !ctxwait.Sleep(ctx, wait) {
			return Response{}, c.cancelled(ctx, attempts)
		}
	}
}

// prepare builds one attempt's request body and reply decoder.
func (c *Client) prepare(req Request, onDelta func(Delta)) (string, []byte, replyDecoder, *assembler, error) {
	a := &assembler{onDelta: onDelta, limit: c.maxReply}
	a.content.limit, a.reasoning.limit = c.maxReply, c.maxReply
	a.content.used, a.reasoning.used = &a.size, &a.size
	if c.api == APIResponses {
		body, err := c.responsesBody(req)
		return "/responses", body, &responsesDecoder{c: c, a: a}, a, err
	}
	body, err := c.chatBody(req, !c.noStreamOptions.Load(), c.completionTokens.Load())
	return "/chat/completions", body, &chatDecoder{c: c, a: a}, a, err
}

func (c *Client) notice(f *failure, attempt int, wait time.Duration, discard bool) RetryNotice {
	kind := f.kind
	for _, k := range f.also {
		if errors.Is(kind, ErrInterrupted) {
			kind = k
		}
	}
	reason := "server error"
	switch {
	case errors.Is(kind, ErrRateLimited):
		reason = "rate limited"
	case discard:
		reason = "stream cut off"
	case errors.Is(kind, ErrTimeout):
		reason = "no reply in time"
	case errors.Is(kind, ErrUnavailable):
		reason = "connection failed"
	}
	if f.status != 0 && !discard {
		reason += fmt.Sprintf(" (HTTP %d)", f.status)
	}
	return RetryNotice{Kind: kind, Reason: reason, Attempt: attempt, Max: c.maxRetries, Wait: wait,
		FromServer: f.retryWait.ok, StatusCode: f.status, Discard: discard}
}

func (c *Client) cancelled(ctx context.Context, attempts int) error {
	return fmt.Errorf("llm: call to %s for model %q stopped after %d attempt(s): %w", c.baseURL, c.cfg.Model, attempts, ctx.Err())
}

// safeURL drops credentials and query from u for display.
func safeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
