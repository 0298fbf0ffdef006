package suite

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestGateAIMD(t *testing.T) {
	g := newGate(8)
	ctx := context.Background()
	for range 8 {
		if err := g.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := g.acquire(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a ninth slot: %v", err)
	}
	g.rateLimited()
	g.rateLimited() // within the cut window: one overload, one cut
	if limit, peak, cuts := g.stats(); limit != 4 || peak != 8 || cuts != 1 {
		t.Fatalf("limit %d peak %d cuts %d", limit, peak, cuts)
	}
	for range 5 {
		g.release()
	}
	// 3 active, limit 4: one more fits, then it is full again.
	if err := g.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	short2, cancel2 := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel2()
	if err := g.acquire(short2); err == nil {
		t.Fatal("acquired beyond the reduced limit")
	}
	for range 4 {
		g.created()
	}
	if limit, _, _ := g.stats(); limit != 5 {
		t.Errorf("after a limit's worth of successes the limit is %d; want 5", limit)
	}
	for range 100 {
		g.created()
	}
	if limit, _, _ := g.stats(); limit != 8 {
		t.Errorf("limit grew to %d; want the maximum 8", limit)
	}
}

type statusErr int

func (e statusErr) Error() string   { return fmt.Sprintf("HTTP %d", int(e)) }
func (e statusErr) StatusCode() int { return int(e) }

type hinted struct{ error }

func (hinted) RetryAfter() time.Duration { return 3 * time.Second }

func TestRateLimitInfo(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
		wait time.Duration
	}{
		{nil, false, 0},
		{errors.New("boom"), false, 0},
		{fmt.Errorf("create: %w", rateLimitErr{}), true, 0},
		{fmt.Errorf("x: %w", statusErr(http.StatusTooManyRequests)), true, 0},
		{statusErr(500), false, 0},
		{errors.New("sandbox sb-429 failed: HTTP 500"), false, 0},
		{errors.New("create: status code: 429"), true, 0},
		{hinted{errors.New("daytona: HTTP 429: Too Many Requests")}, true, 3 * time.Second},
	} {
		got, wait := rateLimitInfo(tc.err)
		if got != tc.want || wait != tc.wait {
			t.Errorf("rateLimitInfo(%v) = %v, %v", tc.err, got, wait)
		}
	}
}

func TestBackoff(t *testing.T) {
	for n := range 10 {
		d := backoff(n, 100*time.Millisecond, 2*time.Second, 0)
		ceil := min(100*time.Millisecond<<n, 2*time.Second)
		if d < ceil/2 || d > ceil {
			t.Errorf("attempt %d: %v not in [%v, %v]", n, d, ceil/2, ceil)
		}
	}
	if d := backoff(0, time.Millisecond, time.Second, 5*time.Second); d != 5*time.Second {
		t.Errorf("Retry-After not honoured: %v", d)
	}
}
