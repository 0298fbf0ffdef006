package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/tether-dev/tether/sandbox"
)

// Workspace snapshots live beside the workspace (never inside it, so the
// agent can neither see nor change them): <dir>/snapshots/<n>. A snapshot
// is a tree of files owned by tether and never written after it is made,
// so a file unchanged since the previous snapshot (same size, mode and
// mtime) is a hard link to that snapshot's copy; a changed file is cloned
// (FICLONE, where the file system has reflinks) or copied. Restore never
// links a snapshot's files into the workspace (the agent could write
// them): it mounts an overlay whose lower layer is the snapshot, or copies.
const localSnapshotDir = "snapshots"

var _ sandbox.Snapshotter = (*localSandbox)(nil)

var _ sandbox.SnapshotStore = (*localSandbox)(nil)

// Snapshot saves the workspace's files.
func (s *localSandbox) Snapshot(ctx context.Context) (sandbox.SnapshotID, error) {
	s.mu.Lock()
	s.nextSnap++
	n := s.nextSnap
	prev := s.lastSnap
	s.mu.Unlock()
	id := sandbox.SnapshotID(strconv.Itoa(n))
	prevDir := ""
	if prev != "" {
		prevDir = s.snapPath(prev)
	}
	if _, err := s.snapshotInto(ctx, s.snapPath(id), prevDir, false); err != nil {
		return "", err
	}
	s.mu.Lock()
	s.lastSnap = id
	s.mu.Unlock()
	return id, nil
}

// SnapshotTo saves the workspace into dir unless it equals prev's.
func (s *localSandbox) SnapshotTo(ctx context.Context, dir, prev string) (bool, error) {
	return s.snapshotInto(ctx, dir, prev, true)
}

// snapshotInto snapshots the workspace into dst (which must not exist),
// sharing prev's copies of unchanged files; with skipSame it makes
// nothing when the workspace is exactly prev. One stat walk of the
// workspace decides, against prev's index, which the sandbox keeps from
// the snapshot it made last (else it walks prev once).
func (s *localSandbox) snapshotInto(ctx context.Context, dst, prev string, skipSame bool) (bool, error) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return false, errors.New("local sandbox is closed: cannot snapshot it")
	}
	entries, err := scanTree(ctx, s.info.WorkDir)
	if err != nil {
		return false, fmt.Errorf("local sandbox %s: snapshot: read the workspace: %w", s.info.ID, err)
	}
	var prevIdx treeIndex
	if prev != "" {
		if prevIdx, err = s.snapIndex(ctx, prev); err != nil {
			return false, fmt.Errorf("local sandbox %s: compare the workspace with snapshot %s: %w", s.info.ID, prev, err)
		}
		if skipSame && sameEntries(entries, prevIdx) {
			return false, nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return false, fmt.Errorf("local sandbox %s: snapshot: %w", s.info.ID, err)
	}
	if err := os.Mkdir(dst, 0o700); err != nil {
		return false, fmt.Errorf("local sandbox %s: snapshot into %s: %w", s.info.ID, dst, err)
	}
	if err := writeTree(ctx, s.info.WorkDir, dst, entries, prev, prevIdx); err != nil {
		_ = localRemoveAll(dst)
		return false, fmt.Errorf("local sandbox %s: snapshot the workspace: %w", s.info.ID, err)
	}
	s.mu.Lock()
	s.lastIdx, s.lastIdxDir = asSnapshot(entries), dst
	s.mu.Unlock()
	return true, nil
}

// snapIndex is snapshot dir's index: kept from the snapshot this sandbox
// made last, else read from dir.
func (s *localSandbox) snapIndex(ctx context.Context, dir string) (treeIndex, error) {
	s.mu.Lock()
	idx, at := s.lastIdx, s.lastIdxDir
	s.mu.Unlock()
	if at == dir && idx != nil {
		return idx, nil
	}
	entries, err := scanTree(ctx, dir)
	if err != nil {
		return nil, err
	}
	idx = indexOf(entries)
	s.mu.Lock()
	s.lastIdx, s.lastIdxDir = idx, dir
	s.mu.Unlock()
	return idx, nil
}

// Restore puts the workspace back as it was at snapshot id.
func (s *localSandbox) Restore(ctx context.Context, id sandbox.SnapshotID) error {
	if _, err := strconv.Atoi(string(id)); err != nil {
		return fmt.Errorf("local sandbox %s: no snapshot %q", s.info.ID, id)
	}
	return s.RestoreFrom(ctx, s.snapPath(id))
}

// RestoreFrom clears the workspace and puts snapshot src back into it: an
// overlay of it where the kernel lets tether mount one
// (snapshot_overlay.go), else a copy.
func (s *localSandbox) RestoreFrom(ctx context.Context, src string) error {
	st, err := os.Stat(src)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("local sandbox %s: snapshot %s is gone: %w", s.info.ID, src, errors.Join(err, errNotDir(st)))
	}
	unmounted, err := s.unmountWork()
	if err != nil {
		return err
	}
	work := s.info.WorkDir
	entries, err := os.ReadDir(work)
	if err != nil {
		return fmt.Errorf("local sandbox %s: restore: %w", s.info.ID, err)
	}
	for _, e := range entries {
		if err := localRemoveAll(filepath.Join(work, e.Name())); err != nil {
			return fmt.Errorf("local sandbox %s: restore: clear the workspace: %w", s.info.ID, err)
		}
	}
	switch err := s.restoreOverlay(src); {
	case err == nil:
		s.rebindInit()
		return nil
	case !errors.Is(err, errNoOverlay):
		return err
	}
	if unmounted {
		s.rebindInit()
	}
	tree, err := scanTree(ctx, src)
	if err == nil {
		err = writeTree(ctx, src, work, tree, "", nil)
	}
	if err != nil {
		return fmt.Errorf("local sandbox %s: restore snapshot %s: %w", s.info.ID, src, err)
	}
	return nil
}

// rebindInit restarts the sandbox's init after the workspace's mount
// changed: the running one bound the directory that was there before.
func (s *localSandbox) rebindInit() {
	s.stopInit()
	s.prestartInit()
}

func errNotDir(st fs.FileInfo) error {
	if st != nil && !st.IsDir() {
		return errors.New("not a directory")
	}
	return nil
}

func (s *localSandbox) snapPath(id sandbox.SnapshotID) string {
	return filepath.Join(s.dir, localSnapshotDir, string(id))
}
