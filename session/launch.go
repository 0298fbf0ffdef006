package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// Launch says where a session runs and who hears its events: the one
// lifecycle (create → track → spawn → forward → close) that the TUI's
// engine, the Executor and the suite runner share.
type Launch struct {
	// Provider creates the sandbox from Spec, unless Sandbox is set.
	Provider sandbox.Provider
	Spec     sandbox.Spec
	// Sandbox runs the session on a sandbox the caller holds; Close then
	// leaves it to its owner.
	Sandbox sandbox.Sandbox
	// Track, when set, is given a sandbox Launch created before anything
	// else can fail, and its result is what the session uses and Close
	// closes (sandbox.Registry.Track, so a crash still deletes it).
	Track func(sandbox.Sandbox) sandbox.Sandbox
	// OnEvent, when set, is called with every event, in order, from one
	// goroutine, until the session is closed. It must not block for long:
	// the session queues events while it runs.
	OnEvent func(Event)
	// OnTeardown, when set, hears about closing a sandbox Start created:
	// once with state "destroying" before, then with state "destroyed" or
	// the error after.
	OnTeardown func(info sandbox.Info, err error)
	// From, when set, starts the session from a recording (Fork, or
	// Resume when At is 0 and there is no edit) instead of afresh.
	From *Branch
	// Reuse names a sandbox to attach to (through the provider's
	// sandbox.Opener) instead of creating one, when it is still there: a
	// resumed session goes on in its own sandbox. Attached, it is owned
	// as a created one is (tracked, closed by Close).
	Reuse string
}

// Branch names a point of a recorded session to go on from.
type Branch struct {
	Recording string
	At        int64 // event seq; 0 = the end
	Edit      Edit
}

func spawnBranch(ctx context.Context, sb sandbox.Sandbox, b *Branch, opts Options) (*Session, error) {
	switch {
	case b == nil:
		return Spawn(ctx, sb, opts)
	case b.At == 0 && b.Edit.IsZero():
		return Resume(ctx, sb, b.Recording, opts)
	}
	return Fork(ctx, sb, b.Recording, b.At, b.Edit, opts)
}

// ErrSandboxCreate marks (errors.Is) a Start that failed creating the
// sandbox, as opposed to starting the session on it.
var ErrSandboxCreate = errors.New("creating the sandbox")

// Running is a launched session with the sandbox it runs on.
type Running struct {
	Session    *Session
	Sandbox    sandbox.Sandbox
	owned      bool // Launch created the sandbox: Close deletes it
	onTeardown func(sandbox.Info, error)
	fwd        chan struct{} // closed when the forwarder ends

	closeOnce sync.Once
	closeErr  error
}

// sandboxCloseTimeout bounds deleting the sandbox on the way out, even
// when the caller's context is already cancelled (a leaked sandbox costs
// money).
const sandboxCloseTimeout = 2 * time.Minute

// Start creates the sandbox (unless l.Sandbox is given), tracks it, spawns
// a session on it with opts and forwards its events to l.OnEvent. On error
// nothing is left: a sandbox it created is closed again.
func Start(ctx context.Context, l Launch, opts Options) (*Running, error) {
	sb, owned := l.Sandbox, false
	triedReuse := false
	if sb == nil && l.Reuse != "" {
		triedReuse = true
		if op, ok := l.Provider.(sandbox.Opener); ok {
			if opened, err := op.Open(ctx, l.Reuse); err == nil {
				sb, owned = opened, true
				if l.Track != nil {
					sb = l.Track(sb)
				}
			}
		}
	}
	if sb == nil && l.Provider != nil {
		// The provider's own fork or snapshot, where it has them.
		var made sandbox.Sandbox
		if made, opts.branch = branchSandbox(ctx, l, triedReuse); made != nil {
			sb, owned = made, true
			if l.Track != nil {
				sb = l.Track(sb)
			}
		}
	}
	if sb == nil {
		if l.Provider == nil {
			return nil, fmt.Errorf("no sandbox: set Launch.Provider (or Sandbox) so there is somewhere to run")
		}
		created, err := l.Provider.Create(ctx, l.Spec)
		if err != nil {
			return nil, fmt.Errorf("%w (%s): %w", ErrSandboxCreate, l.Provider.Name(), err)
		}
		sb, owned = created, true
		if l.Track != nil {
			sb = l.Track(sb)
		}
	}
	sess, err := spawnBranch(ctx, sb, l.From, opts)
	if err != nil {
		if owned {
			closeSandbox(ctx, sb)
		}
		return nil, fmt.Errorf("start the session: %w", err)
	}
	r := &Running{Session: sess, Sandbox: sb, owned: owned, fwd: make(chan struct{}), onTeardown: l.OnTeardown}
	events := sess.Events() // now: Close waits only for a reader that has subscribed
	go func() {
		defer close(r.fwd)
		for ev := range events {
			if l.OnEvent != nil {
				l.OnEvent(ev)
			}
		}
	}()
	return r, nil
}

// Close closes the session (cancelling what runs), waits until every event
// has been forwarded, then closes the sandbox if Start created it. ctx
// bounds the sandbox close only; a cancelled ctx still gets a bounded
// close. Safe to call twice.
func (r *Running) Close(ctx context.Context) error {
	r.closeOnce.Do(func() {
		err := r.Session.Close()
		<-r.fwd
		if r.owned {
			info := sandbox.Info{ID: r.Sandbox.ID(), State: "destroying"}
			r.teardown(info, nil)
			cerr := closeSandbox(ctx, r.Sandbox)
			info.State = sandbox.StateDeleted
			r.teardown(info, cerr)
			if cerr != nil {
				err = errors.Join(err, cerr)
			}
		}
		r.closeErr = err
	})
	return r.closeErr
}

func (r *Running) teardown(info sandbox.Info, err error) {
	if r.onTeardown != nil {
		r.onTeardown(info, err)
	}
}

func closeSandbox(ctx context.Context, sb sandbox.Sandbox) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sandboxCloseTimeout)
	defer cancel()
	if err := sb.Close(cctx); err != nil {
		return fmt.Errorf("close sandbox %s: %w (run `tether cleanup` to remove a leftover sandbox)", sb.ID(), err)
	}
	return nil
}
