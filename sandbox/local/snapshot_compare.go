package local

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// errTreeDiffers stops a comparison walk at the first difference.
var errTreeDiffers = errors.New("tree differs")

// sameTree reports whether the workspace work holds what snapshot snap
// holds, judged as copyTree judges an unchanged file (kind, size, mode,
// mtime; a symlink's target): a stat walk of both trees, no reads, so a
// tool call that changed nothing costs no snapshot.
func sameTree(ctx context.Context, work, snap string) (bool, error) {
	n := 0
	err := filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
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
		rel, _ := filepath.Rel(work, p)
		si, err := os.Lstat(filepath.Join(snap, rel))
		if err != nil {
			return errTreeDiffers
		}
		n++
		switch {
		case info.IsDir():
			if !si.IsDir() || (rel != "." && si.Mode().Perm() != info.Mode().Perm()|0o700) {
				return errTreeDiffers
			}
		case info.Mode()&fs.ModeSymlink != 0:
			a, err1 := os.Readlink(p)
			b, err2 := os.Readlink(filepath.Join(snap, rel))
			if si.Mode()&fs.ModeSymlink == 0 || err1 != nil || err2 != nil || a != b {
				return errTreeDiffers
			}
		default:
			if !si.Mode().IsRegular() || si.Size() != info.Size() || si.Mode() != info.Mode() || !si.ModTime().Equal(info.ModTime()) {
				return errTreeDiffers
			}
		}
		return nil
	})
	if errors.Is(err, errTreeDiffers) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	m := 0
	err = filepath.WalkDir(snap, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if m++; m > n {
			return errTreeDiffers // the snapshot has entries the workspace lost
		}
		return nil
	})
	if errors.Is(err, errTreeDiffers) {
		return false, nil
	}
	return err == nil && m == n, err
}

// kept reports whether copyTree keeps an entry of this mode.
func kept(m fs.FileMode) bool {
	return m.IsDir() || m.IsRegular() || m&fs.ModeSymlink != 0
}
