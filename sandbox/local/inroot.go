package local

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// localResolve is how paths are resolved inside a sandbox directory: as if
// it were /, ".." and absolute symlinks included, and never through a /proc
// magic link (/proc/self/root and the like) or onto another mount.
const localResolve = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV

// localOpenInRoot opens rel inside the directory root with openat2. Kernels
// without openat2 (before 5.6) get os.Root, which also refuses to leave root.
func localOpenInRoot(root, rel string, flags int, perm uint32) (*os.File, error) {
	dir, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: root, Err: err}
	}
	defer unix.Close(dir)
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Mode: uint64(perm), Resolve: localResolve}
	fd, err := unix.Openat2(dir, rel, &how)
	for err == unix.EINTR || err == unix.EAGAIN {
		fd, err = unix.Openat2(dir, rel, &how)
	}
	if errors.Is(err, unix.ENOSYS) {
		r, err := os.OpenRoot(root)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return r.OpenFile(rel, flags, os.FileMode(perm))
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: rel, Err: err}
	}
	return os.NewFile(uintptr(fd), filepath.Join(root, rel)), nil
}

// localReadInRoot reads the regular file rel inside root.
func localReadInRoot(root, rel string) ([]byte, error) {
	f, err := localOpenInRoot(root, rel, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &os.PathError{Op: "read", Path: rel, Err: errors.New("not a regular file")}
	}
	return io.ReadAll(io.LimitReader(f, localReadMax+1))
}

// localWriteInRoot creates or replaces rel inside root, making its parent
// directories (through os.Root, which cannot leave root either).
func localWriteInRoot(root, rel string, data []byte) error {
	if dir := filepath.Dir(rel); dir != "." {
		r, err := os.OpenRoot(root)
		if err != nil {
			return err
		}
		err = r.MkdirAll(dir, 0o755)
		_ = r.Close()
		if err != nil {
			return err
		}
	}
	f, err := localOpenInRoot(root, rel, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NONBLOCK, 0o644)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = &os.PathError{Op: "write", Path: rel, Err: errors.New("not a regular file")}
	}
	if err == nil {
		_, err = f.Write(data)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
