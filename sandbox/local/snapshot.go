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
// (FICLONE, where the file system has reflinks) or copied. Restore copies
// back (never links), so the agent cannot reach a snapshot's files.
const localSnapshotDir = "snapshots"

var _ sandbox.Snapshotter = (*localSandbox)(nil)

// Snapshot saves the workspace's files.
func (s *localSandbox) Snapshot(ctx context.Context) (sandbox.SnapshotID, error) {
	s.mu.Lock()
	s.nextSnap++
	n := s.nextSnap
	prev := s.lastSnap
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return "", errors.New("local sandbox is closed: cannot snapshot it")
	}
	id := sandbox.SnapshotID(strconv.Itoa(n))
	dst := s.snapPath(id)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", fmt.Errorf("local sandbox %s: snapshot: %w", s.info.ID, err)
	}
	prevDir := ""
	if prev != "" {
		prevDir = s.snapPath(prev)
	}
	if err := copyTree(ctx, s.info.WorkDir, dst, prevDir); err != nil {
		_ = localRemoveAll(dst)
		return "", fmt.Errorf("local sandbox %s: snapshot the workspace: %w", s.info.ID, err)
	}
	s.mu.Lock()
	s.lastSnap = id
	s.mu.Unlock()
	return id, nil
}

// Restore puts the workspace back as it was at snapshot id.
func (s *localSandbox) Restore(ctx context.Context, id sandbox.SnapshotID) error {
	if _, err := strconv.Atoi(string(id)); err != nil {
		return fmt.Errorf("local sandbox %s: no snapshot %q", s.info.ID, id)
	}
	src := s.snapPath(id)
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("local sandbox %s: snapshot %s is gone: %w", s.info.ID, id, err)
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
	if err := copyTree(ctx, src, work, ""); err != nil {
		return fmt.Errorf("local sandbox %s: restore snapshot %s: %w", s.info.ID, id, err)
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
					return os.Link(filepath.Join(prev, rel), to)
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
