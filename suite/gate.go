package suite

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// gate bounds how many cases hold a sandbox at once. Its limit starts at
// the configured concurrency and adapts to the provider (AIMD): halved
// when sandbox creation is rate limited (at most once per cut window, since
// a burst of 429s reports one overload), raised by one after a limit's
// worth of successful creations, never above the configured maximum.
type gate struct {
	mu      sync.Mutex
	max     int
	limit   int
	active  int
	streak  int // successful creations since the last change
	lastCut time.Time
	changed chan struct{} // closed and replaced when a slot may have freed
	peak    int           // highest active, for tests and reports
	cuts    int
}

const cutWindow = time.Second

func newGate(n int) *gate {
	return &gate{max: n, limit: n, changed: make(chan struct{})}
}

// acquire waits for a slot or for ctx to end.
func (g *gate) acquire(ctx context.Context) error {
	for {
		g.mu.Lock()
		if g.active < g.limit {
			g.active++
			g.peak = max(g.peak, g.active)
			g.mu.Unlock()
			return nil
		}
		ch := g.changed
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (g *gate) release() {
	g.mu.Lock()
	g.active--
	g.broadcastLocked()
	g.mu.Unlock()
}

func (g *gate) broadcastLocked() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// rateLimited is the multiplicative decrease.
func (g *gate) rateLimited() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if time.Since(g.lastCut) < cutWindow {
		return
	}
	g.lastCut = time.Now()
	g.limit = max(1, g.limit/2)
	g.streak = 0
	g.cuts++
}

// created is the additive increase.
func (g *gate) created() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.limit >= g.max {
		return
	}
	g.streak++
	if g.streak >= g.limit {
		g.limit++
		g.streak = 0
		g.broadcastLocked()
	}
}

func (g *gate) stats() (limit, peak, cuts int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.limit, g.peak, g.cuts
}

// rateLimitInfo reports whether err is a rate-limit answer and how long the
// provider asked to wait (0 when it did not say). tether's providers mark
// a refusal with sandbox.ErrRateLimited; a provider written elsewhere may
// not, so errors with a RateLimited() bool or StatusCode() int (429)
// method and, failing those, the usual wording of a 429 answer count too.
func rateLimitInfo(err error) (bool, time.Duration) {
	if err == nil {
		return false, 0
	}
	var wait time.Duration
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		wait = ra.RetryAfter()
	}
	if errors.Is(err, sandbox.ErrRateLimited) {
		return true, wait
	}
	var rl interface{ RateLimited() bool }
	if errors.As(err, &rl) && rl.RateLimited() {
		return true, wait
	}
	var sc interface{ StatusCode() int }
	if errors.As(err, &sc) && sc.StatusCode() == http.StatusTooManyRequests {
		return true, wait
	}
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"too many requests", "rate limit", "ratelimit"} {
		if strings.Contains(msg, s) {
			return true, wait
		}
	}
	return status429.MatchString(msg), wait
}

// status429 finds a 429 status in error text, not any "429" (an id or a
// port could contain one).
var status429 = regexp.MustCompile(`(?:http|status|code)[ :=]*429\b`)

// backoff is the wait before creation attempt n+1: exponential from base,
// capped, with jitter in [d/2, d] so a burst of refused cases does not
// return in lockstep; a Retry-After hint is honoured as the minimum.
func backoff(n int, base, cap, hint time.Duration) time.Duration {
	d := base
	for i := 0; i < n && d < cap; i++ {
		d *= 2
	}
	d = min(d, cap)
	d = d/2 + rand.N(d/2+1)
	return max(d, hint)
}
