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

	openai "github.com/sashabaranov/go-openai"

	"github.com/tether-dev/tether/internal/ctxwait"
)

// DefaultBaseURL is used when Config.BaseURL is empty.
const DefaultBaseURL = "https://api.openai.com/v1"

const (
	defaultTimeout     = 5 * time.Minute
	defaultIdleTimeout = 120 * time.Second
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
	// Timeout bounds how long a call may wait for its reply to start
	// (connecting, queueing, prompt processing, silent reasoning).
	// 0 means 5 minutes. Once deltas flow, IdleTimeout applies instead, so
	// long replies are never cut for being long.
	Timeout time.Duration
	// IdleTimeout is the longest silence allowed between chunks once the
	// reply has started. 0 means 120 seconds.
	IdleTimeout time.Duration
	// MaxRetries is how many times a failed request is retried (429, 5xx,
	// connection lost before any delta). 0 means 4; negative means none.
	MaxRetries int
	// RetryDelay is the first backoff step, doubled per retry (with
	// jitter, capped at 30 s). 0 means 1 second. Tests set it small.
	RetryDelay time.Duration
	// Prices overrides or extends the built-in price table (see LookupPrice).
	Prices map[string]Price
	// Temperature, when set, is sent with every request.
	Temperature *float32
	// MaxTokens, when > 0, caps the reply length (sent as
	// max_completion_tokens to OpenAI reasoning models, max_tokens otherwise).
	MaxTokens int
	// Logger receives retry and fallback notices; nil discards them.
	Logger *slog.Logger
	// HTTPClient replaces the default client (tests, proxies). Leave its
	// Timeout zero: it would cut long streams; use Timeout/IdleTimeout.
	HTTPClient *http.Client
}

// Client streams chat completions from one model. It is safe for
// concurrent use by many sessions.
type Client struct {
	cfg         Config
	api         *openai.Client
	baseURL     string // for messages: without credentials or query
	timeout     time.Duration
	idleTimeout time.Duration
	maxRetries  int
	retryDelay  time.Duration
	log         *slog.Logger
	redact      redactor
	price       Price
	priceKnown  bool

	// noStreamOptions is set once the server has rejected stream_options,
	// so later calls do not pay for the failed attempt again.
	noStreamOptions atomic.Bool
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
	secrets := []string{cfg.APIKey}
	if pw, ok := u.User.Password(); ok {
		secrets = append(secrets, pw)
	}
	c := &Client{
		cfg:         cfg,
		baseURL:     safeURL(base),
		timeout:     orDefault(cfg.Timeout, defaultTimeout),
		idleTimeout: orDefault(cfg.IdleTimeout, defaultIdleTimeout),
		maxRetries:  cfg.MaxRetries,
		retryDelay:  orDefault(cfg.RetryDelay, defaultRetryDelay),
		log:         cfg.Logger,
		redact:      newRedactor(secrets...),
	}
	if c.maxRetries == 0 {
		c.maxRetries = defaultMaxRetries
	}
	c.maxRetries = max(c.maxRetries, 0)
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.price, c.priceKnown = LookupPrice(cfg.Model, cfg.Prices)
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = base
	oc.HTTPClient = probingDoer{hc: hc}
	// Keep-alive comments (OpenRouter sends ": OPENROUTER PROCESSING")
	// count as empty messages; the default limit of 300 can end a long
	// wait with a spurious error. The watchdog bounds silence instead.
	oc.EmptyMessagesLimit = 1 << 20
	c.api = openai.NewClientWithConfig(oc)
	return c, nil
}

// Model is the configured model name.
func (c *Client) Model() string { return c.cfg.Model }

// Stream sends req and delivers the reply through onDelta as it arrives,
// then returns it fully assembled with usage and cost. onDelta is called
// on the caller's goroutine, in order; it may be nil.
//
// Failed attempts are retried (see Config.MaxRetries) only while nothing
// has been delivered to onDelta, so deltas are never repeated. On error
// the Response holds whatever was assembled (on ErrInterrupted, the
// partial reply); its tool calls may be truncated and must not be run.
// Cancelling ctx returns promptly, also from a hung connection or a
// backoff wait, with an error matching ctx's error.
func (c *Client) Stream(ctx context.Context, req Request, onDelta func(Delta)) (Response, error) {
	if onDelta == nil {
		onDelta = func(Delta) {}
	}
	oreq, err := c.buildRequest(req)
	if err != nil {
		return Response{}, err
	}
	attempts, retries := 0, 0
	fellBack := false
	for {
		attempts++
		oreq.StreamOptions = nil
		if !c.noStreamOptions.Load() {
			oreq.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
		}
		resp, delivered, f := c.attempt(ctx, oreq, onDelta)
		if f == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return resp, c.cancelled(ctx, attempts)
		}
		if f.streamOptions && oreq.StreamOptions != nil && !fellBack {
			// Some servers reject stream_options outright; usage is then
			// unknown (reported as 0 tokens, CostKnown false), not guessed.
			fellBack = true
			c.noStreamOptions.Store(true)
			c.log.Info("llm: server rejected stream_options; continuing without usage reports", "base_url", c.baseURL)
			continue
		}
		if delivered {
			if !errors.Is(f.kind, ErrTimeout) {
				f.also = append(f.also, f.kind)
				f.kind = ErrInterrupted
			} else {
				f.also = append(f.also, ErrInterrupted)
			}
			return resp, c.finalError(f, attempts)
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
		c.log.Warn("llm: retrying", "model", c.cfg.Model, "status", f.status, "reason", f.detail, "wait", wait, "retry", retries, "of", c.maxRetries)
		if !ctxwait.Sleep(ctx, wait) {
			return Response{}, c.cancelled(ctx, attempts)
		}
	}
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
