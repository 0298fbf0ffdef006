package local

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// treeEntry is what a snapshot keeps of one workspace entry, and what
// decides whether it changed: kind and mode, size and mtime of a file,
// the target of a symlink.
type treeEntry struct {
	rel    string
	mode   fs.FileMode
	size   int64
	mtime  time.Time
	target string
}

// keptMode is the part of a mode a snapshot keeps (and restores).
func keptMode(m fs.FileMode) fs.FileMode {
	return m & (fs.ModeType | fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

// snapDirMode is the mode a directory has in a snapshot: tether must be
// able to write into it while it copies.
func snapDirMode(m fs.FileMode) fs.FileMode { return keptMode(m) | 0o700 }

// kept reports whether a snapshot keeps an entry of this mode (devices,
// sockets and fifos are not kept).
func kept(m fs.FileMode) bool {
	return m.IsDir() || m.IsRegular() || m&fs.ModeSymlink != 0
}

// scanTree lists the entries of src a snapshot keeps, each directory
// before what it holds: one walk, one lstat per entry.
func scanTree(ctx context.Context, src string) ([]treeEntry, error) {
	var out []treeEntry
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !kept(info.Mode()) {
			return nil
		}
		rel, _ := filepath.Rel(src, p)
		e := treeEntry{rel: rel, mode: keptMode(info.Mode())}
		switch {
		case info.Mode().IsRegular():
			e.size, e.mtime = info.Size(), info.ModTime()
		case info.Mode()&fs.ModeSymlink != 0:
			if e.target, err = os.Readlink(p); err != nil {
				return err
			}
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// treeIndex is a snapshot's entries by path.
type treeIndex map[string]treeEntry

func indexOf(entries []treeEntry) treeIndex {
	idx := make(treeIndex, len(entries))
	for _, e := range entries {
		idx[e.rel] = e
	}
	return idx
}

// asSnapshot is the index a snapshot made of entries has: its directories
// carry snapDirMode.
func asSnapshot(entries []treeEntry) treeIndex {
	idx := make(treeIndex, len(entries))
	for _, e := range entries {
		if e.mode.IsDir() {
			e.mode = snapDirMode(e.mode)
		}
		idx[e.rel] = e
	}
	return idx
}

// unchanged reports whether workspace entry e is what snapshot entry s
// holds, so s's copy can stand for it.
func unchanged(e treeEntry, s treeEntry, ok bool) bool {
	switch {
	case !ok || e.mode.Type() != s.mode.Type():
		return false
	case e.mode.IsDir():
		return e.rel == "." || snapDirMode(e.mode) == s.mode
	case e.mode&fs.ModeSymlink != 0:
		return e.target == s.target
	}
	return e.mode == s.mode && e.size == s.size && e.mtime.Equal(s.mtime)
}

// sameEntries reports whether the workspace's entries are exactly the
// snapshot's.
func sameEntries(work []treeEntry, snap treeIndex) bool {
	if len(work) != len(snap) {
		return false
	}
	for _, e := range work {
		s, ok := snap[e.rel]
		if !unchanged(e, s, ok) {
			return false
		}
	}
	return true
}

// treeWorkers is how many files writeTree creates at once: creating files
// is bound by the kernel's per-file work, which spreads over cores.
const treeWorkers = 4

// writeTree makes dst (an empty or missing directory) hold src's entries:
// directories first, then the files and symlinks by treeWorkers at once.
// With prev set, a regular file unchanged since prev (judged by prevIdx)
// is hard-linked from prev's copy; others are cloned (FICLONE, where the
// file system has reflinks) or copied.
func writeTree(ctx context.Context, src, dst string, entries []treeEntry, prev string, prevIdx treeIndex) error {
	var files []treeEntry
	for _, e := range entries {
		if !e.mode.IsDir() {
			files = append(files, e)
			continue
		}
		to := filepath.Join(dst, e.rel)
		if err := os.MkdirAll(to, 0o700); err != nil {
			return err
		}
		if err := os.Chmod(to, snapDirMode(e.mode)); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan treeEntry)
	var wg sync.WaitGroup
	for range min(treeWorkers, max(1, len(files))) {
		wg.Go(func() {
			for e := range jobs {
				if err := writeEntry(src, dst, e, prev, prevIdx); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for _, e := range files {
		select {
		case jobs <- e:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return context.Cause(ctx) // nil unless a file failed or ctx ended
}

func writeEntry(src, dst string, e treeEntry, prev string, prevIdx treeIndex) error {
	to := filepath.Join(dst, e.rel)
	if e.mode&fs.ModeSymlink != 0 {
		return os.Symlink(e.target, to)
	}
	if prev != "" {
		if s, ok := prevIdx[e.rel]; ok && unchanged(e, s, ok) {
			if os.Link(filepath.Join(prev, e.rel), to) == nil {
				return nil
			} // another file system (EXDEV), a link limit, a pruned snapshot: copy
		}
	}
	return copyFile(filepath.Join(src, e.rel), to, e)
}

func copyFile(from, to string, e treeEntry) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if unix.IoctlFileClone(int(out.Fd()), int(in.Fd())) != nil {
		if _, err := io.Copy(out, in); err != nil { // copy_file_range where it can
			out.Close()
			return err
		}
	}
	if err := out.Chmod(e.mode); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chtimes(to, e.mtime, e.mtime)
}
