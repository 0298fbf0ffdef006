package sandbox

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Registry tracks the sandboxes that are live in this process so that every
// exit path (normal end, error, signal) can tear them all down with one call.
// It is safe for concurrent use.
type Registry struct {
	mu   sync.Mutex
	live map[*trackedSandbox]struct{}
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{live: make(map[*trackedSandbox]struct{})}
}

// Track starts tracking sb and returns a wrapper to use in its place: closing
// the wrapper closes sb and, once that succeeds, stops tracking it. A sandbox
// whose Close failed stays tracked so that CloseAll tries again.
func (r *Registry) Track(sb Sandbox) Sandbox {
	if sb == nil {
		return nil
	}
	t := &trackedSandbox{Sandbox: sb, reg: r}
	r.mu.Lock()
	r.live[t] = struct{}{}
	r.mu.Unlock()
	return t
}

// Len is the number of sandboxes tracked and not yet closed.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.live)
}

// CloseAll closes every tracked sandbox concurrently and joins their errors.
// It returns when all are closed or when ctx is done, whichever comes first;
// in the latter case the error names the sandboxes still closing (their
// Close calls go on in the background). Calling it again retries only what
// is still tracked, so it is idempotent.
func (r *Registry) CloseAll(ctx context.Context) error {
	r.mu.Lock()
	all := make([]*trackedSandbox, 0, len(r.live))
	for t := range r.live {
		all = append(all, t)
	}
	r.mu.Unlock()
	if len(all) == 0 {
		return nil
	}

	type outcome struct {
		id  string
		err error
	}
	results := make(chan outcome, len(all)) // buffered: late closers never block
	for _, t := range all {
		go func() { results <- outcome{t.ID(), t.Close(ctx)} }()
	}
	pending := make(map[string]int, len(all))
	for _, t := range all {
		pending[t.ID()]++
	}
	var errs []error
	for range all {
		select {
		case o := <-results:
			if pending[o.id]--; pending[o.id] == 0 {
				delete(pending, o.id)
			}
			if o.err != nil {
				errs = append(errs, fmt.Errorf("close sandbox %s: %w", o.id, o.err))
			}
		case <-ctx.Done():
			ids := make([]string, 0, len(pending))
			for id := range pending {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			errs = append(errs, fmt.Errorf("sandboxes %s still closing: %w; run `tether cleanup` later to remove what is left",
				strings.Join(ids, ", "), ctx.Err()))
			return errors.Join(errs...)
		}
	}
	return errors.Join(errs...)
}

func (r *Registry) untrack(t *trackedSandbox) {
	r.mu.Lock()
	delete(r.live, t)
	r.mu.Unlock()
}

// trackedSandbox is the wrapper Track returns. Its Close calls are
// serialised so a CloseAll racing a caller's own Close closes the sandbox
// once.
type trackedSandbox struct {
	Sandbox
	reg *Registry

	closeMu sync.Mutex
	closed  bool
}

func (t *trackedSandbox) Close(ctx context.Context) error {
	t.closeMu.Lock()
	defer t.closeMu.Unlock()
	if t.closed {
		return nil
	}
	if err := t.Sandbox.Close(ctx); err != nil {
		return err
	}
	t.closed = true
	t.reg.untrack(t)
	return nil
}

// Unwrap returns the tracked sandbox itself.
func (t *trackedSandbox) Unwrap() Sandbox { return t.Sandbox }
