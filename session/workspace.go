package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// KindWorkspace reports the sandbox's files at a step: a snapshot taken
// because a tool call changed them, or what a fork restored.
const KindWorkspace Kind = "workspace"

// Workspace is the payload of a KindWorkspace event.
type Workspace struct {
	// Snapshot is the host directory holding the workspace as it was
	// from this event on (until the next snapshot).
	Snapshot string `json:"snapshot,omitempty"`
	// After is the tool call whose changes it holds ("" = the workspace
	// before the first call).
	After string `json:"after,omitempty"`
	// ProviderSnapshot names the provider's own snapshot of the whole
	// sandbox taken at this event (Daytona's, with snapshot_steps): a
	// sandbox created from it has the files as they were here.
	ProviderSnapshot string        `json:"provider_snapshot,omitempty"`
	Took             time.Duration `json:"took_ns,omitempty"`
	// Restored, on a fork or resume, says how the workspace was put back.
	Restored *Restore `json:"restored,omitempty"`
}

// Restore says how a branch's workspace was put back as it was at its
// fork point, and what could not be.
type Restore struct {
	// Method is "snapshot" (copied back from a recorded snapshot),
	// "same sandbox" (the recorded sandbox is still there: nothing to do),
	// "replay" (the recorded file edits and commands were run again in a
	// fresh sandbox), "fresh" (nothing had changed the files), "fork" (the
	// provider forked the recorded sandbox, live at the fork point; Snapshot
	// is its id), "provider snapshot" (made from the provider's snapshot
	// named Snapshot, later calls replayed) or "none".
	Method string `json:"method"`
	// From is the recorded event the restored snapshot belongs to (0 =
	// before the first tool call).
	From     int64  `json:"from,omitempty"`
	Snapshot string `json:"snapshot,omitempty"`
	// Replayed counts the tool calls run again (Method "replay").
	Replayed int `json:"replayed,omitempty"`
	// ReplayedEvents are the recorded events (tool calls) run again.
	ReplayedEvents []int64 `json:"replayed_events,omitempty"`
	// Unrestored lists what may differ from the recorded state.
	Unrestored []Unrestored  `json:"unrestored,omitempty"`
	Took       time.Duration `json:"took_ns"`
}

// Unrestored is one recorded event whose effect on the workspace the
// branch may lack.
type Unrestored struct {
	Event  int64  `json:"event"`
	Tool   string `json:"tool,omitempty"`
	Reason string `json:"reason"`
}

// Exact reports whether the workspace is as it was at the fork point.
func (r *Restore) Exact() bool { return r != nil && r.Method != RestoreNone && len(r.Unrestored) == 0 }

// Summary is one line for a person: how, and what is missing.
func (r *Restore) Summary() string {
	if r == nil {
		return "workspace not restored"
	}
	var b strings.Builder
	switch r.Method {
	case RestoreSnapshot:
		fmt.Fprintf(&b, "workspace restored from the snapshot at event %d", r.From)
	case RestoreSameSandbox:
		b.WriteString("same sandbox: workspace as it was left")
	case RestoreReplay:
		fmt.Fprintf(&b, "workspace rebuilt by replaying %d recorded tool calls", r.Replayed)
	case RestoreFork:
		fmt.Fprintf(&b, "workspace forked from the live sandbox %s at event %d (exact, nothing replayed)", r.Snapshot, r.From)
	case RestoreProviderSnapshot:
		fmt.Fprintf(&b, "workspace restored from the sandbox snapshot %s taken at event %d", r.Snapshot, r.From)
		if r.Replayed > 0 {
			fmt.Fprintf(&b, ", then %d later tool calls replayed", r.Replayed)
		}
	case RestoreFresh:
		b.WriteString("fresh sandbox: no recorded tool call had changed the files")
	default:
		b.WriteString("workspace not restored")
	}
	for i, u := range r.Unrestored {
		if i == 0 {
			b.WriteString("; not restored: ")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "event %d", u.Event)
		if u.Tool != "" {
			fmt.Fprintf(&b, " (%s)", u.Tool)
		}
		b.WriteString(": " + u.Reason)
	}
	return b.String()
}

// snapshotMarker marks a directory as a store of tether's snapshots: a
// fork restores only from one, so a recording naming another host
// directory (~/.ssh, say) cannot copy it into a sandbox.
const snapshotMarker = ".tether-snapshots"

// SnapshotDir is where a recording's workspace snapshots are kept: beside
// it, X.jsonl → X.snapshots.
func SnapshotDir(recordPath string) string {
	return strings.TrimSuffix(recordPath, ".jsonl") + ".snapshots"
}

// snapshots takes the workspace snapshots of one session.
type snapshots struct {
	store sandbox.SnapshotStore // nil: the sandbox cannot, or no recording
	dir   string
	n     int
	last  string     // the latest snapshot directory ("" none yet)
	err   error      // the first failure: snapshots stop, the session goes on
	held  []*os.File // stores this session uses, locked against pruning
}

// hold keeps store dir from being pruned while the session lives.
func (sn *snapshots) hold(dir string) {
	if f := holdStore(dir); f != nil {
		sn.held = append(sn.held, f)
	}
}

// release lets the stores be pruned again (Close).
func (sn *snapshots) release() {
	for _, f := range sn.held {
		f.Close()
	}
	sn.held = nil
}

func newSnapshots(sb sandbox.Sandbox, recordPath string) *snapshots {
	st, ok := sandbox.As[sandbox.SnapshotStore](sb)
	if !ok || recordPath == "" {
		return &snapshots{}
	}
	return &snapshots{store: st, dir: SnapshotDir(recordPath)}
}

// take snapshots the workspace unless unchanged since the last one; it
// returns the event to publish, nil when nothing was taken. Callers hold
// s.snapMu.
func (sn *snapshots) take(ctx context.Context, after string) (*Workspace, error) {
	if sn.store == nil || sn.err != nil {
		return nil, nil
	}
	if sn.n == 0 {
		if err := os.MkdirAll(sn.dir, 0o700); err != nil {
			sn.err = err
			return nil, fmt.Errorf("workspace snapshots stopped: %w", err)
		}
		if err := os.WriteFile(filepath.Join(sn.dir, snapshotMarker), []byte("tether workspace snapshots\n"), 0o600); err != nil {
			sn.err = err
			return nil, fmt.Errorf("workspace snapshots stopped: %w", err)
		}
		sn.hold(sn.dir)
	}
	start := time.Now()
	for {
		sn.n++
		next := filepath.Join(sn.dir, fmt.Sprintf("%04d", sn.n))
		if _, err := os.Lstat(next); err == nil {
			continue // left by an earlier run appending to this recording
		}
		changed, err := sn.store.SnapshotTo(ctx, next, sn.last)
		if err != nil {
			if ctx.Err() == nil {
				sn.err = err
			}
			return nil, fmt.Errorf("workspace snapshots stopped (forks of later steps cannot restore the files): %w", err)
		}
		if !changed {
			return nil, nil
		}
		sn.last = next
		return &Workspace{Snapshot: next, After: after, Took: time.Since(start)}, nil
	}
}

// snapshotStep takes a snapshot after (or, for the baseline, before) a
// tool call and publishes it. A failure is reported, not fatal.
func (s *Session) snapshotStep(ctx context.Context, after string, baseline bool) {
	if s.awaitWorkspace(ctx) != nil {
		return // a snapshot of half-restored files is none
	}
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	if baseline && s.snaps.last != "" {
		return
	}
	ws, err := s.snaps.take(context.WithoutCancel(ctx), after)
	if err != nil {
		s.logger.Warn("workspace snapshot", "err", err)
		s.publish(Event{Kind: KindError, Error: &ErrorInfo{Message: err.Error()}})
	}
	if ws != nil {
		s.publish(Event{Kind: KindWorkspace, Workspace: ws})
	}
}

// ValidSnapshot checks that dir is a snapshot in one of tether's stores
// (a recording naming any other directory is not trusted with it).
func ValidSnapshot(dir string) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("snapshot %q is not an absolute path", dir)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), snapshotMarker)); err != nil {
		return fmt.Errorf("%s is not in a tether snapshot store: %w", dir, errors.Join(err, os.ErrNotExist))
	}
	return nil
}
