package llm

import (
	"math/rand/v2"
	"net/http"
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

// parseRetryAfter reads the server's requested wait from its headers.
func parseRetryAfter(h http.Header) retryAfter {
	d, ok := retryafter.Parse(h, time.Now())
	return retryAfter{d: d, ok: ok}
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
