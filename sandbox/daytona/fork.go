package daytona

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	apiclient "github.com/daytonaio/daytona/libs/api-client-go"
	sdk "github.com/daytonaio/daytona/libs/sdk-go/pkg/daytona"

	"github.com/tether-dev/tether/internal/ctxwait"
	"github.com/tether-dev/tether/sandbox"
)

// Daytona's own fork and snapshot calls (api-client-go's ForkSandbox and
// CreateSandboxSnapshot). The SDK wraps them as ExperimentalFork and
// ExperimentalCreateSnapshot, but those are not used: the fork's wait
// reports no states and leaves the new sandbox with the source's labels
// (so `tether cleanup` would not know it as this run's), and the
// snapshot's wait returns at once when its first look at the sandbox
// finds it not (or no longer, or not yet) "snapshotting", without the
// snapshot being usable.

// wrap returns the sandbox with the capabilities the options give it.
func (p *Provider) wrap(ds *daytonaSandbox) sandbox.Sandbox {
	if p.opts.SnapshotSteps {
		return &snapshottingSandbox{ds}
	}
	return ds
}

// Fork makes a new sandbox whose filesystem is a copy of the live
// sandbox sourceID's (Daytona's copy-on-write fork), waits until it is
// started (reporting each state to spec.OnState) and gives it tether's
// labels from spec. spec.Name names it; what the source was made from it
// inherits. A fork that fails half-way deletes what it made.
func (p *Provider) Fork(ctx context.Context, sourceID string, spec sandbox.Spec) (sandbox.Sandbox, error) {
	if sourceID == "" {
		return nil, errors.New("daytona: fork: no source sandbox")
	}
	spec.Image, spec.Snapshot, spec.CPU, spec.MemoryGB, spec.DiskGB = "", "", 0, 0, 0 // inherited
	pl, err := p.plan(spec)
	if err != nil {
		return nil, err
	}
	c, err := p.client(pl.info.Target)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, pl.timeout)
	defer cancel()
	start := time.Now()
	req := apiclient.NewForkSandbox()
	req.SetName(pl.info.Name)
	var id string
	err = dtRetry(ctx, p.log, "fork sandbox", func() error {
		resp, httpResp, err := p.api.SandboxAPI.ForkSandbox(p.authCtx(ctx), sourceID).ForkSandbox(*req).Execute()
		if err != nil {
			return dtAPIError(err, httpResp)
		}
		id = resp.GetId()
		return nil
	})
	if err != nil {
		if dtOutcomeUnknown(err) && spec.Name == "" {
			p.deleteForkByName(pl.info.Name) // a random name: whatever bears it is ours
		}
		return nil, p.forkErr(ctx, err, sourceID, pl.timeout)
	}
	p.log.Info("sandbox forked", "source", sourceID, "id", id, "name", pl.info.Name)
	var sb *sdk.Sandbox
	err = dtRetry(ctx, p.log, "get sandbox", func() error {
		var err error
		sb, err = c.Get(ctx, id)
		return err
	})
	if err == nil {
		err = p.waitStarted(ctx, sb, spec.OnState)
	}
	if err == nil {
		// The fork request takes a name only: whatever labels Daytona
		// gives the fork (the source's, another run's), it gets this
		// run's, so that `tether cleanup` and the registry know it.
		err = dtRetry(ctx, p.log, "set labels", func() error {
			_, httpResp, err := p.api.SandboxAPI.ReplaceLabels(p.authCtx(ctx), id).
				SandboxLabels(apiclient.SandboxLabels{Labels: pl.info.Labels}).Execute()
			if err != nil {
				return dtAPIError(err, httpResp)
			}
			return nil
		})
	}
	var wd string
	if err == nil {
		if wd = p.workDir(ctx, sb); ctx.Err() != nil {
			err = ctx.Err()
		}
	}
	if err != nil {
		p.deleteAfterFailure(id)
		return nil, p.forkErr(ctx, err, sourceID, pl.timeout)
	}
	info := pl.info
	info.ID, info.Name, info.State, info.WorkDir, info.CreatedAt = sb.ID, sb.Name, sandbox.StateStarted, wd, start.UTC()
	p.log.Info("forked sandbox started", "id", sb.ID, "took", time.Since(start).Round(time.Millisecond))
	return p.wrap(&daytonaSandbox{p: p, sb: sb, info: info}), nil
}

func (p *Provider) forkErr(ctx context.Context, err error, source string, timeout time.Duration) error {
	if ctx.Err() != nil || dtIsTimeout(err) {
		if errors.Is(ctx.Err(), context.Canceled) {
			return fmt.Errorf("daytona: fork sandbox %s: cancelled: %w", source, context.Canceled)
		}
		return fmt.Errorf("daytona: the fork of sandbox %s did not start within %s: raise the create timeout or check the Daytona dashboard: %w", source, timeout, context.DeadlineExceeded)
	}
	if strings.HasPrefix(err.Error(), "daytona:") {
		return err
	}
	return dtWrap(err, "fork sandbox "+source)
}

// deleteForkByName deletes a fork whose request got no answer but may have
// been made: its name is ours (random), so whatever bears it is.
func (p *Provider) deleteForkByName(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), dtCleanupTimeout)
	defer cancel()
	for wait := 200 * time.Millisecond; ; wait *= 2 {
		r, httpResp, err := p.api.SandboxAPI.GetSandbox(p.authCtx(ctx), name).Execute()
		if err == nil {
			p.deleteAfterFailure(r.GetId())
			return
		}
		if err := dtAPIError(err, httpResp); !dtIsNotFound(err) || wait > dtLateCreateWindow {
			return
		}
		if !ctxwait.Sleep(ctx, wait) {
			return
		}
	}
}

// snapshottingSandbox is a Daytona sandbox that takes Daytona snapshots of
// itself (Options.SnapshotSteps): per-step state for forks.
type snapshottingSandbox struct{ *daytonaSandbox }

// Unwrap lets sandbox.As find the plain sandbox's capabilities.
func (s *snapshottingSandbox) Unwrap() sandbox.Sandbox { return s.daytonaSandbox }

// dtSnapshotTimeout bounds one snapshot when the create timeout is unset.
const dtSnapshotTimeout = 10 * time.Minute

// SnapshotImage saves the sandbox's filesystem as the Daytona snapshot
// name (CreateSandboxSnapshot) and waits, polling the snapshot itself,
// until it is active: a sandbox can then be created from it.
func (s *snapshottingSandbox) SnapshotImage(ctx context.Context, name string) error {
	if s.isClosed() {
		return sandbox.ErrClosed
	}
	if name == "" {
		return errors.New("daytona: snapshot: empty name")
	}
	timeout := s.p.opts.CreateTimeout
	if timeout <= 0 {
		timeout = dtSnapshotTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	p := s.p
	err := dtRetry(ctx, p.log, "snapshot sandbox", func() error {
		_, httpResp, err := p.api.SandboxAPI.CreateSandboxSnapshot(p.authCtx(ctx), s.info.ID).
			CreateSandboxSnapshot(*apiclient.NewCreateSandboxSnapshot(name)).Execute()
		if err != nil {
			return dtAPIError(err, httpResp)
		}
		return nil
	})
	if err != nil {
		return s.snapshotErr(ctx, err, name, timeout)
	}
	if err := s.waitSnapshot(ctx, name); err != nil {
		return s.snapshotErr(ctx, err, name, timeout)
	}
	p.log.Info("sandbox snapshot taken", "id", s.info.ID, "snapshot", name, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// waitSnapshot polls the snapshot until it is active, and the sandbox
// until it has left "snapshotting" (commands wait for that).
func (s *snapshottingSandbox) waitSnapshot(ctx context.Context, name string) error {
	p := s.p
	delay := 50 * time.Millisecond
	for {
		snap, httpResp, err := p.api.SnapshotsAPI.GetSnapshot(p.authCtx(ctx), name).Execute()
		if err != nil {
			if err := dtAPIError(err, httpResp); !dtIsRateLimit(err) && !dtIsNotFound(err) {
				return err
			}
		} else {
			switch snap.GetState() {
			case apiclient.SNAPSHOTSTATE_ERROR, apiclient.SNAPSHOTSTATE_BUILD_FAILED:
				reason := snap.GetErrorReason()
				if reason == "" {
					reason = "no reason given"
				}
				return fmt.Errorf("daytona: snapshot %s ended in state %q: %s", name, snap.GetState(), reason)
			case apiclient.SNAPSHOTSTATE_ACTIVE:
				state, err := p.state(ctx, s.info.ID)
				switch {
				case err != nil && !dtIsRateLimit(err):
					return err
				case err != nil, state == string(apiclient.SANDBOXSTATE_SNAPSHOTTING):
				case state == string(apiclient.SANDBOXSTATE_ERROR), state == string(apiclient.SANDBOXSTATE_BUILD_FAILED):
					return fmt.Errorf("daytona: sandbox %s went to state %q while taking snapshot %s", s.info.ID, state, name)
				default:
					return nil
				}
			}
		}
		if !ctxwait.Sleep(ctx, delay) {
			return ctx.Err()
		}
		delay = min(delay*3/2, time.Second)
	}
}

func (s *snapshottingSandbox) snapshotErr(ctx context.Context, err error, name string, timeout time.Duration) error {
	if ctx.Err() != nil || dtIsTimeout(err) {
		if errors.Is(ctx.Err(), context.Canceled) {
			return fmt.Errorf("daytona: snapshot %s of sandbox %s: cancelled: %w", name, s.info.ID, context.Canceled)
		}
		return fmt.Errorf("daytona: snapshot %s of sandbox %s was not ready within %s: %w", name, s.info.ID, timeout, context.DeadlineExceeded)
	}
	if strings.HasPrefix(err.Error(), "daytona:") {
		return err
	}
	return dtWrap(err, "snapshot sandbox "+s.info.ID)
}
