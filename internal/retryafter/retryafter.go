// Package retryafter reads how long a server asked a client to wait before
// retrying, from the headers of a 429 or 503 answer. It is shared by the
// model client and the Daytona provider; it knows nothing of either, and
// leaves the decision whether to wait that long to them.
package retryafter

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Parse reads Retry-After-Ms (OpenAI, Anthropic), else Retry-After as
// seconds (fractions allowed) or as an HTTP date, taken relative to now.
// ok is false when the headers ask for nothing readable. A date in the
// past is a wait of zero.
func Parse(h http.Header, now time.Time) (d time.Duration, ok bool) {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
