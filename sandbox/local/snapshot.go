package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

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
	if err := s.snapshotInto(ctx, s.snapPath(id), prevDir, false); err != nil {
		return "", err
	}
	s.mu.Lock()
	s.lastSnap = id
	s.mu.Unlock()
	return id, nil
}

// SnapshotTo saves the workspace into dir unless it equals prev's.
func (s *localSandbox) SnapshotTo(ctx context.Context, dir, prev string) (bool, error) {
	if prev != "" {
		same, err := sameTree(ctx, s.info.WorkDir, prev)
		if err != nil {
			return false, fmt.Errorf("local sandbox %s: compare the workspace with snapshot %s: %w", s.info.ID, prev, err)
		}
		if same {
			return false, nil
		}
	}
	if err := s.snapshotInto(ctx, dir, prev, true); err != nil {
		return false, err
	}
	return true, nil
}

func (s *localSandbox) snapshotInto(ctx context.Context, dst, prev string, mustBeNew bool) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return errors.New("local sandbox is closed: cannot snapshot it")
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("local sandbox %s: snapshot: %w", s.info.ID, err)
	}
	if mustBeNew {
		if err := os.Mkdir(dst, 0o700); err != nil {
			return fmt.Errorf("local sandbox %s: snapshot into %s: %w", s.info.ID, dst, err)
		}
	}
	if err := copyTree(ctx, s.info.WorkDir, dst, prev); err != nil {
		_ = localRemoveAll(dst)
		return fmt.Errorf("local sandbox %s: snapshot the workspace: %w", s.info.ID, err)
	}
	return nil
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
	if err := copyTree(ctx, src, work, ""); err != nil {
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

// copyTree copies src to dst (which may exist as an empty or missing
// directory). With prev set, a regular file that matches prev's copy in
// size, mode and mtime is hard-linked from it instead.
func copyTree(ctx context.Context, src, dst, prev string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.MkdirAll(to, 0o700); err != nil {
				return err
			}
			return os.Chmod(to, info.Mode().Perm()|0o700) // tether must be able to write into it
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case info.Mode().IsRegular():
			if prev != "" {
				if pi, err := os.Lstat(filepath.Join(prev, rel)); err == nil && pi.Mode().IsRegular() &&
					pi.Size() == info.Size() && pi.Mode() == info.Mode() && pi.ModTime().Equal(info.ModTime()) {
					if os.Link(filepath.Join(prev, rel), to) == nil {
						return nil
					} // another file system (EXDEV), a link limit: copy
				}
			}
			return copyFile(p, to, info)
		}
		return nil // devices, sockets, fifos: not kept
	})
}

func copyFile(from, to string, info fs.FileInfo) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, info.Mode().Perm())
	if err != nil {
		return err
	}
	if unix.IoctlFileClone(int(out.Fd()), int(in.Fd())) != nil {
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Chmod(to, info.Mode().Perm()); err != nil {
		return err
	}
	return os.Chtimes(to, info.ModTime(), info.ModTime())
}
