package local

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// Restore by overlay. Copying a snapshot back is bound by creating its
// files (10k files / 200 MB: 0.5–4 s on ext4, which has no reflinks).
// Where tether may mount file systems (it runs as root), RestoreFrom
// copies nothing: the workspace becomes an overlayfs whose read-only lower
// layer is the snapshot and whose upper layer, beside the workspace in
// <dir>/overlay (out of the agent's sight), takes every write; the kernel
// copies a file up on its first write, so the snapshot is never changed
// and a fork costs the same for any workspace size. Host-side readers
// (snapshots, diffs, the file tools) see the merged tree at the same
// path, as they see a plain directory. The mount is made in tether's own
// mount namespace; a sandbox's init, which bound the workspace before,
// is restarted to bind the overlay. Close, Delete and cleanup unmount it.
// Elsewhere (not root, no overlayfs, a kept workspace, a path overlayfs
// options cannot carry) the snapshot is copied.
const localOverlayDir = "overlay"

// errNoOverlay says an overlay cannot be used here: copy instead.
var errNoOverlay = errors.New("overlay restore not available")

// restoreOverlay mounts an overlay of snapshot src on the (cleared,
// unmounted) workspace.
func (s *localSandbox) restoreOverlay(src string) error {
	if s.p.keep || s.p.noOverlay.Load() || strings.ContainsAny(src+s.dir, ",:\\\n") {
		return errNoOverlay
	}
	ovl := filepath.Join(s.dir, localOverlayDir)
	upper, work := filepath.Join(ovl, "upper"), filepath.Join(ovl, "work")
	for _, d := range []string{ovl, upper, work} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fmt.Errorf("local sandbox %s: restore: %w", s.info.ID, err)
		}
	}
	// The upper layer's root gives the merged root its mode, as a copy
	// takes the snapshot root's.
	if st, err := os.Stat(src); err == nil {
		_ = os.Chmod(upper, st.Mode().Perm())
	}
	opts := "lowerdir=" + src + ",upperdir=" + upper + ",workdir=" + work
	if err := unix.Mount("overlay", s.info.WorkDir, "overlay", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		_ = localRemoveAll(ovl)
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EACCES) {
			if !s.p.noOverlay.Swap(true) {
				s.p.log.Info("local sandbox: restores copy snapshots (overlayfs cannot be mounted here)", "err", err)
			}
			return errNoOverlay
		}
		return fmt.Errorf("local sandbox %s: restore: mount an overlay of %s: %w", s.info.ID, src, err)
	}
	return nil
}

// unmountWork takes an overlay off the workspace, if one is mounted there,
// and removes its upper layer. It reports whether it unmounted one.
func (s *localSandbox) unmountWork() (bool, error) {
	if !slices.Contains(localMountsUnder(s.info.WorkDir), s.info.WorkDir) {
		return false, nil
	}
	if err := localUnmount(s.info.WorkDir); err != nil {
		return false, fmt.Errorf("local sandbox %s: unmount the workspace's overlay: %w", s.info.ID, err)
	}
	if err := localRemoveAll(filepath.Join(s.dir, localOverlayDir)); err != nil {
		return true, fmt.Errorf("local sandbox %s: remove the workspace's overlay: %w", s.info.ID, err)
	}
	return true, nil
}

// localUnmount unmounts path, detaching it when something still uses it
// (a process that escaped the sweep keeps its view; nothing else does).
func localUnmount(path string) error {
	err := unix.Unmount(path, unix.UMOUNT_NOFOLLOW)
	if errors.Is(err, unix.EBUSY) {
		err = unix.Unmount(path, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW)
	}
	if errors.Is(err, unix.EINVAL) { // not a mount point (any more)
		return nil
	}
	return err
}

// localUnmountUnder unmounts every mount at or below dir, deepest first,
// so that a sandbox left by a dead tether can be deleted.
func localUnmountUnder(dir string) error {
	ms := localMountsUnder(dir)
	slices.SortFunc(ms, func(a, b string) int { return len(b) - len(a) })
	var errs []error
	for _, m := range ms {
		if err := localUnmount(m); err != nil {
			errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
		}
	}
	return errors.Join(errs...)
}

// localMountsUnder lists the mount points at or below dir in tether's
// mount namespace.
func localMountsUnder(dir string) []string {
	var out []string
	localEachMount(func(point, fstype, opts string) {
		if point == dir || strings.HasPrefix(point, dir+"/") {
			out = append(out, point)
		}
	})
	return out
}

// OverlayLowerDirs lists the directories mounted as the read-only lower
// layer of an overlay anywhere in this mount namespace: snapshots that a
// live sandbox's workspace is made of, which must not be deleted.
func OverlayLowerDirs() []string {
	var out []string
	localEachMount(func(point, fstype, opts string) {
		if fstype != "overlay" {
			return
		}
		for _, o := range strings.Split(opts, ",") {
			if low, ok := strings.CutPrefix(o, "lowerdir="); ok {
				out = append(out, strings.Split(low, ":")...)
			}
		}
	})
	return out
}

func localEachMount(fn func(point, fstype, opts string)) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, after := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(after) < 3 {
			continue
		}
		fn(localUnescapeMount(fields[4]), after[0], after[2])
	}
}

// localUnescapeMount decodes mountinfo's octal escapes (\040 is a space).
func localUnescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	oct := func(c byte) bool { return c >= '0' && c <= '7' }
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && oct(s[i+1]) && oct(s[i+2]) && oct(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
