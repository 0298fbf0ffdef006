// Package ctxwait holds the one wait every retry and poll loop needs: a
// sleep that a cancelled context cuts short. It knows nothing of what is
// being retried.
package ctxwait

import (
	"context"
	"time"
)

// Sleep waits d or until ctx ends, and reports whether the full wait
// elapsed (false: ctx ended, stop retrying). A d of zero or less does not
// wait, but still reports an ended ctx.
func Sleep(ctx context.Context, d time.Duration) bool {
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
