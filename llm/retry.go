package llm

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	defaultMaxRetries  = 4
	defaultRetryDelay  = time.Second
	maxBackoff         = 30 * time.Second
	maxHonouredRetryIn = 2 * time.Minute // longer server waits end the call instead of blocking it
)

// retryAfter is the server's requested wait, if it gave one.
type retryAfter struct {
	d  time.Duration
	ok bool
}

// parseRetryAfter reads retry-after-ms (OpenAI, Anthropic) or Retry-After
// in seconds or as an HTTP date.
func parseRetryAfter(h http.Header) retryAfter {
	if h == nil {
		return retryAfter{}
	}
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return retryAfter{d: time.Duration(ms * float64(time.Millisecond)), ok: true}
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return retryAfter{}
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return retryAfter{d: time.Duration(secs * float64(time.Second)), ok: true}
	}
	if t, err := http.ParseTime(v); err == nil {
		return retryAfter{d: max(time.Until(t), 0), ok: true}
	}
	return retryAfter{}
}

// backoff is the wait before retry number n (0-based): the server's
// Retry-After when given, else exponential with jitter so that many
// sessions hitting the same limit do not retry in lockstep.
func (c *Client) backoff(n int, ra retryAfter) time.Duration {
	if ra.ok {
		return ra.d
	}
	d := c.retryDelay << min(n, 16)
	if d <= 0 || d > maxBackoff {
		d = maxBackoff
	}
	half := d / 2
	return half + rand.N(half+1)
}

// sleep waits d or until ctx ends; it reports whether the full wait elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
