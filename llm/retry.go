package llm

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tether-dev/tether/internal/retryafter"
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

// parseRetryAfter reads Retry-After-Ms and Retry-After.
func parseRetryAfter(h http.Header) retryAfter {
	d, ok := retryafter.Parse(h, time.Now())
	return retryAfter{d: d, ok: ok}
}

// parseRetryHeaders reads the server's requested wait: Retry-After(-Ms)
// first, else the rate-limit reset headers OpenAI and Groq send instead
// (x-ratelimit-reset-requests / -tokens: "1s", "6m0s", "7.66s"), taking
// the one whose budget is exhausted, or the longer when that is not said;
// else OpenRouter's X-RateLimit-Reset (a Unix time in milliseconds).
func parseRetryHeaders(hdr map[string][]string) retryAfter {
	h := http.Header(hdr)
	if ra := parseRetryAfter(h); ra.ok {
		return ra
	}
	var best retryAfter
	exhausted := false
	for _, kind := range []string{"requests", "tokens"} {
		d, ok := parseResetValue(h.Get("X-Ratelimit-Reset-" + kind))
		if !ok {
			continue
		}
		empty := strings.TrimSpace(h.Get("X-Ratelimit-Remaining-"+kind)) == "0"
		switch {
		case empty && !exhausted:
			best, exhausted = retryAfter{d: d, ok: true}, true
		case empty == exhausted && d > best.d:
			best = retryAfter{d: d, ok: true}
		}
	}
	if best.ok {
		return best
	}
	if v := strings.TrimSpace(h.Get("X-Ratelimit-Reset")); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			switch {
			case n > 1e12: // Unix milliseconds
				return retryAfter{d: max(time.Until(time.UnixMilli(n)), 0), ok: true}
			case n > 1e9: // Unix seconds
				return retryAfter{d: max(time.Until(time.Unix(n, 0)), 0), ok: true}
			}
		}
		if d, ok := parseResetValue(v); ok {
			return retryAfter{d: d, ok: true}
		}
	}
	return retryAfter{}
}

// parseResetValue reads "6m0s", "7.66s", "20ms" or bare seconds.
func parseResetValue(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second)), true
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return d, true
	}
	return 0, false
}

// backoff is the wait before retry number n (0-based): the server's
// requested wait when given, else exponential with jitter so that many
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
