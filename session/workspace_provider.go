package session

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// providerSnaps takes the provider's own snapshots of the whole sandbox
// after each tool call that may change files (sandbox.ImageSnapshotter:
// Daytona with snapshot_steps), so that a fork at any step can start from
// one. A failure stops them: a later fork starts from the last one taken
// and replays the calls since.
type providerSnaps struct {
	snap   sandbox.ImageSnapshotter
	prefix string // names are prefix-N, unique per session
	n      int
	err    error
}

func newProviderSnaps(sb sandbox.Sandbox, recordPath, convID string) *providerSnaps {
	snap, ok := sandbox.As[sandbox.ImageSnapshotter](sb)
	if !ok || recordPath == "" { // without a recording no fork can use them
		return nil
	}
	id := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, convID)
	return &providerSnaps{snap: snap, prefix: "tether-" + id}
}

// providerSnapshotStep snapshots the sandbox after the call after of tool
// with args, unless the call cannot have changed the files, and publishes
// the snapshot's name (KindWorkspace, ProviderSnapshot).
func (s *Session) providerSnapshotStep(ctx context.Context, tool string, args json.RawMessage, after string) {
	ps := s.psnaps
	if ps == nil || !mayChangeFiles(tool, args) {
		return
	}
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	if ps.err != nil {
		return
	}
	ps.n++
	name := fmt.Sprintf("%s-%d", ps.prefix, ps.n)
	start := time.Now()
	if err := ps.snap.SnapshotImage(ctx, name); err != nil {
		if ctx.Err() != nil {
			return // cancelled: the next call tries again
		}
		ps.err = err
		s.logger.Warn("sandbox snapshot", "err", err)
		s.publish(Event{Kind: KindError, Error: &ErrorInfo{Message: fmt.Sprintf(
			"sandbox snapshots stopped (a fork after this step starts from the last one and replays the calls since): %v", err)}})
		return
	}
	s.publish(Event{Kind: KindWorkspace, Workspace: &Workspace{ProviderSnapshot: name, After: after, Took: time.Since(start)}})
}

// fallbackWords says what a branch got instead of what its provider could
// not do.
func fallbackWords(method string) string {
	switch method {
	case RestoreProviderSnapshot:
		return "started from the provider snapshot instead"
	case RestoreSnapshot:
		return "restored from the local snapshot instead"
	case RestoreFresh:
		return "a fresh sandbox was used instead (no recorded call had changed the files)"
	case RestoreSameSandbox:
		return "the recorded sandbox itself was used instead"
	}
	return "the workspace was rebuilt by replaying the recorded calls instead"
}
