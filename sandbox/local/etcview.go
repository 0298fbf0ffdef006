package local

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// The sandbox's /etc is one directory, not one bind mount per entry of
// bwrapEtc: each mount costs bubblewrap time, and fifty of them were most
// of a sandbox's start. The directory is a copy of those entries, made
// once per content under BaseDir (.etc-<hash>) and shared by every sandbox
// of that content; only world-readable files go in, so a key only root may
// read on the host (/etc/ssl/private) stays out even when tether runs as
// root. passwd, group and resolv.conf are empty placeholders: the real ones
// are bound on top per sandbox.

// localEtcPlaceholders are bound over per sandbox.
var localEtcPlaceholders = []string{"passwd", "group", "resolv.conf"}

// localEtcEntry is one thing to copy, relative to /etc.
type localEtcEntry struct {
	rel  string
	info fs.FileInfo
	link string // symlink target
}

// localEtcScan lists what of bwrapEtc a sandbox gets.
func localEtcScan(root string) []localEtcEntry {
	var out []localEtcEntry
	for _, name := range bwrapEtc {
		_ = filepath.WalkDir(filepath.Join(root, name), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			e := localEtcEntry{rel: rel, info: info}
			switch {
			case info.Mode()&fs.ModeSymlink != 0:
				if e.link, err = os.Readlink(p); err != nil {
					return nil
				}
			case info.IsDir():
				if info.Mode().Perm()&0o005 != 0o005 {
					return fs.SkipDir // not for everyone: not for the sandbox
				}
			case info.Mode().IsRegular():
				if info.Mode().Perm()&0o004 == 0 {
					return nil
				}
			default:
				return nil
			}
			out = append(out, e)
			return nil
		})
	}
	return out
}

// localEtcView returns the directory to bind at /etc for sandboxes under
// base, building it when /etc's content changed.
func localEtcView(base string) (string, error) { return localEtcViewOf("/etc", base) }

// localEtcViewOf is localEtcView of another root than /etc.
func localEtcViewOf(root, base string) (string, error) {
	entries := localEtcScan(root)
	h := sha256.New()
	for _, e := range entries {
		fmt.Fprintf(h, "%s\x00%o\x00%d\x00%d\x00%s\n", e.rel, e.info.Mode(), e.info.Size(), e.info.ModTime().UnixNano(), e.link)
	}
	dir := filepath.Join(base, ".etc-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(base, ".etc-tmp-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		_ = os.RemoveAll(tmp)
		return "", err
	}
	if err := localEtcCopy(root, tmp, entries); err != nil {
		_ = os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.RemoveAll(tmp)
		if _, serr := os.Stat(dir); serr == nil {
			return dir, nil // another tether made it first
		}
		return "", err
	}
	localEtcPrune(base, dir)
	return dir, nil
}

// localEtcPruneAge is how old a view /etc has since left must be before
// it is removed: a tether started before the change may still use it
// (and makes it again if it is gone).
const localEtcPruneAge = 7 * 24 * time.Hour

// localEtcPrune removes views other than keep not touched for a week.
func localEtcPrune(base, keep string) {
	old, _ := filepath.Glob(filepath.Join(base, ".etc-*"))
	for _, d := range old {
		if st, err := os.Stat(d); err == nil && d != keep && time.Since(st.ModTime()) > localEtcPruneAge {
			_ = os.RemoveAll(d)
		}
	}
}

// etcViewDir is the provider's /etc view, made again should it have been
// removed since; "" when there is none (bwrapEtc is then bound entry by
// entry).
func (p *Provider) etcViewDir() string {
	dir := p.etcView()
	if dir == "" {
		return ""
	}
	if _, err := os.Stat(dir); err != nil {
		if dir, err = localEtcView(p.baseDir); err != nil {
			return ""
		}
	}
	return dir
}

func localEtcCopy(root, dst string, entries []localEtcEntry) error {
	for _, e := range entries {
		to := filepath.Join(dst, e.rel)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		var err error
		switch {
		case e.link != "":
			err = os.Symlink(e.link, to)
		case e.info.IsDir():
			err = os.Mkdir(to, 0o755)
			if errors.Is(err, fs.ErrExist) {
				err = nil
			}
		default:
			err = localCopyRegular(filepath.Join(root, e.rel), to, 0o644)
		}
		if err != nil {
			return fmt.Errorf("copy /etc/%s: %w", e.rel, err)
		}
	}
	for _, name := range localEtcPlaceholders {
		p := filepath.Join(dst, name)
		if _, err := os.Lstat(p); err == nil {
			continue
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// localCopyRegular copies the regular file src to a new file dst.
func localCopyRegular(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
