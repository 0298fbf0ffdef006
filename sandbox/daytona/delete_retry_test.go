package daytona_test

import (
	"context"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// TestDaytonaDeleteRetriesServerErrorsWithBackoff: a delete (idempotent)
// is repeated after 5xx answers, waiting longer each time, and a client
// error is not repeated at all.
func TestDaytonaDeleteRetriesServerErrorsWithBackoff(t *testing.T) {
	srv, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	srv.FailNext("DELETE", "/api/sandbox/", 503, 1)
	srv.FailNext("DELETE", "/api/sandbox/", 502, 1)
	start := time.Now()
	if err := p.Delete(context.Background(), sb.ID()); err != nil {
		t.Fatalf("Delete after two 5xx: %v", err)
	}
	// Backoff 250 ms, then 500 ms (plus jitter): no hammering.
	if took := time.Since(start); took < 750*time.Millisecond {
		t.Errorf("two retries took %s: want at least 750 ms of backoff", took)
	}
	if n := srv.CountRequests("DELETE", "/api/sandbox/"); n != 3 {
		t.Errorf("delete requests = %d, want 3", n)
	}
	if len(srv.Live()) != 0 {
		t.Error("sandbox not deleted")
	}
	sb2 := dtCreate(t, p, sandbox.Spec{})
	srv.FailNext("DELETE", "/api/sandbox/", 400, 1)
	if err := p.Delete(context.Background(), sb2.ID()); err == nil {
		t.Error("a 400 on delete was not reported")
	}
	if n := srv.CountRequests("DELETE", "/api/sandbox/"); n != 4 {
		t.Errorf("delete requests = %d, want 4 (a 400 is not retried)", n)
	}
}
