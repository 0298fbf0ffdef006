package session

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// startRestore puts a branch's workspace back (restoreWorkspace). With
// Options.PipelineRestore, a restore from a local snapshot (a copy of the
// whole workspace for an unprivileged user: seconds for a large one)
// runs in the background instead, so the branch's first model call goes
// out meanwhile; awaitWorkspace holds back everything that touches the
// sandbox until it has ended. Replays run tools and provider branches
// were made before: those stay in line.
func (s *Session) startRestore(ctx context.Context, hdr RecordHeader, evs []Event, at int64) {
	_, snapDir := findSnapshot(evs, at)
	if !s.opts.PipelineRestore || s.opts.branch != nil || snapDir == "" || sameSandbox(hdr, s.sb, at) || !canRestore(s.sb) {
		s.restoreWorkspace(ctx, hdr, evs, at)
		return
	}
	s.wsReady, s.wsSnap = make(chan struct{}), snapDir
	s.wg.Add(1) // Close cancels s.base, which stops the copy, and waits
	go func() {
		defer s.wg.Done()
		defer close(s.wsReady)
		s.restoreWorkspace(s.base, hdr, evs, at)
	}()
}

// awaitWorkspace waits until a background restore has ended (at once
// when there is none). Its error is ctx's: the caller was cancelled or
// the session closed while the files were still being put back.
func (s *Session) awaitWorkspace(ctx context.Context) error {
	if s.wsReady == nil {
		return nil
	}
	select {
	case <-s.wsReady:
		return nil
	default:
	}
	select {
	case <-s.wsReady:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopped while the branch's workspace was still being restored: %w", ctx.Err())
	}
}

// WorkspaceRestored is closed once the workspace of a fork or resume has
// been put back (already closed when Fork restored it before returning).
// Result().Workspace says how.
func (s *Session) WorkspaceRestored() <-chan struct{} {
	if s.wsReady != nil {
		return s.wsReady
	}
	done := make(chan struct{})
	close(done)
	return done
}

// readSnapshotFile reads the file rel of the snapshot a background
// restore is copying, as the workspace will hold it, so the first model
// call need not wait for the copy (the project's AGENTS.md). The snapshot
// was written by the agent: a symlink or anything but a regular file is
// not followed.
func readSnapshotFile(dir, rel string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(filepath.Join(dir, rel), os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s in the snapshot is not a regular file", rel)
	}
	return io.ReadAll(io.LimitReader(f, limit))
}
