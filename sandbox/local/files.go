package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// abs makes a sandbox path absolute: relative paths are in the workspace.
func (s *localSandbox) abs(path string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(s.info.WorkDir, path)
}

// localWritable is a directory the sandbox may write, as the command inside
// sees it and where it is on the host (they differ only for bwrap's /tmp).
type localWritable struct{ inside, host string }

// writable lists the directories commands can write, most specific first:
// the workspace and home may themselves lie under /tmp. Writable extra
// mounts come first of all: they sit on top of whatever is beneath.
func (s *localSandbox) writable() []localWritable {
	tmp := localWritable{s.tmpDir(), s.tmpDir()}
	if s.iso.bwrap {
		tmp.inside = "/tmp"
	}
	var out []localWritable
	if s.iso.bwrap {
		for _, m := range s.mounts() {
			if m.Writable {
				out = append(out, localWritable{m.Target, m.Source})
			}
		}
	}
	return append(out,
		localWritable{s.info.WorkDir, s.info.WorkDir},
		localWritable{s.homeDir(), s.homeDir()},
		tmp,
	)
}

// locate finds the writable directory holding the sandbox path p and p's
// path relative to it.
func (s *localSandbox) locate(p string) (root, rel string, ok bool) {
	for _, w := range s.writable() {
		if r, err := filepath.Rel(w.inside, p); err == nil && r != ".." && !strings.HasPrefix(r, "../") {
			return w.host, r, true
		}
	}
	return "", "", false
}

// resolveDir turns ExecRequest.Cwd into an existing directory path as the
// command sees it, failing early with a clear message rather than letting
// bash or bwrap fail obscurely.
func (s *localSandbox) resolveDir(cwd string) (string, error) {
	if cwd == "" {
		return s.info.WorkDir, nil
	}
	p := s.abs(cwd)
	host := p
	if root, rel, ok := s.locate(p); ok {
		host = filepath.Join(root, rel)
	}
	st, err := os.Stat(host)
	if err != nil {
		return "", fmt.Errorf("local sandbox %s: working directory %s: %w: create it first or use a path relative to %s", s.info.ID, cwd, err, s.info.WorkDir)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("local sandbox %s: working directory %s is not a directory", s.info.ID, cwd)
	}
	return p, nil
}

// ReadFile reads a file as the sandbox sees it. Under bwrap, a path in a
// writable directory is opened with openat2(RESOLVE_IN_ROOT) on that
// directory, so neither "..", a symlink planted by the agent nor a /proc
// magic link can lead out of it; anything else (and anything that fails
// there, such as a symlink to elsewhere in the sandbox) is read by `cat`
// inside the sandbox, which sees exactly what the agent's commands see and
// nothing of the host they do not. With isolation "none" the agent runs
// as you, and so does this.
func (s *localSandbox) ReadFile(ctx context.Context, path string) ([]byte, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, errors.New("local sandbox: read file: empty path: give a file path")
	}
	p := s.abs(path)
	var data []byte
	var err error
	switch root, rel, ok := s.locate(p); {
	case !s.iso.bwrap:
		data, err = os.ReadFile(p)
	case ok:
		data, err = localReadInRoot(root, rel)
		if err != nil {
			data, err = s.readInside(ctx, p)
		}
	default:
		data, err = s.readInside(ctx, p)
	}
	if err != nil {
		return nil, fmt.Errorf("local sandbox %s: read %s: %w", s.info.ID, path, err)
	}
	return data, nil
}

// localReadMax bounds a file read through the sandbox, so a huge file
// cannot eat tether's memory.
const localReadMax = 256 << 20

// Exit codes of the in-sandbox read script.
const (
	localReadMissing = 44
	localReadIsDir   = 45
)

// readInside reads path with cat inside the sandbox.
func (s *localSandbox) readInside(ctx context.Context, path string) ([]byte, error) {
	script := "p=" + localQuote(path) + "\n" + `[ -e "$p" ] || exit ` + strconv.Itoa(localReadMissing) + `
[ -d "$p" ] && exit ` + strconv.Itoa(localReadIsDir) + `
exec cat -- "$p"`
	out := &localCapped{max: localReadMax}
	var stderr strings.Builder
	res, err := s.Exec(ctx, sandbox.ExecRequest{Command: script, Stdout: out, Stderr: &stderr, Timeout: time.Minute})
	switch {
	case err != nil:
		return nil, err
	case out.over:
		return nil, fmt.Errorf("file is over %d MB: read it in pieces with the terminal", localReadMax>>20)
	case res.ExitCode == localReadMissing:
		return nil, fmt.Errorf("no such file in the sandbox: %w", fs.ErrNotExist)
	case res.ExitCode == localReadIsDir:
		return nil, errors.New("is a directory: give a file path")
	case res.ExitCode != 0:
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return nil, fmt.Errorf("cannot read it in the sandbox (exit %d): %s", res.ExitCode, msg)
	}
	return out.buf.Bytes(), nil
}

// localCapped keeps up to max bytes and notes that more came.
type localCapped struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (c *localCapped) Write(p []byte) (int, error) {
	if c.buf.Len()+len(p) > c.max {
		c.over = true
		return len(p), nil
	}
	return c.buf.Write(p)
}

// WriteFile writes only where the sandbox's commands could write, through
// openat2(RESOLVE_IN_ROOT) on that directory, so neither a path nor a
// symlink planted by the agent can make tether write outside the sandbox.
func (s *localSandbox) WriteFile(ctx context.Context, path string, data []byte) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if path == "" {
		return errors.New("local sandbox: write file: empty path: give a file path")
	}
	p := s.abs(path)
	root, rel, ok := s.locate(p)
	if !ok || rel == "." {
		return fmt.Errorf("local sandbox %s: write %s: outside the sandbox's writable directories: write under %s", s.info.ID, path, s.info.WorkDir)
	}
	var old int64
	if st, err := os.Lstat(filepath.Join(root, rel)); err == nil {
		old = st.Size()
	}
	if err := s.disk.room(int64(len(data)), old); err != nil {
		return fmt.Errorf("local sandbox %s: write %s: %w", s.info.ID, path, err)
	}
	if err := localWriteInRoot(root, rel, data); err != nil {
		return fmt.Errorf("local sandbox %s: write %s: %w", s.info.ID, path, err)
	}
	return nil
}

// usable fails once the sandbox is closed or ctx is done.
func (s *localSandbox) usable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return fmt.Errorf("local sandbox %s: %w: create a new sandbox", s.info.ID, sandbox.ErrClosed)
	}
	return nil
}
