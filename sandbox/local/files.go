package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
// the workspace and home may themselves lie under /tmp.
func (s *localSandbox) writable() []localWritable {
	tmp := localWritable{s.tmpDir(), s.tmpDir()}
	if s.iso.bwrap {
		tmp.inside = "/tmp"
	}
	return []localWritable{
		{s.info.WorkDir, s.info.WorkDir},
		{s.homeDir(), s.homeDir()},
		tmp,
	}
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

// ReadFile reads a file the sandbox can see. Inside its writable
// directories the read goes through os.Root, so a symlink planted there
// cannot point it elsewhere; other paths are read as they are, since the
// sandbox can read the host's files anyway.
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
	if root, rel, ok := s.locate(p); ok {
		data, err = localInRoot(root, func(r *os.Root) ([]byte, error) { return r.ReadFile(rel) })
	} else {
		data, err = os.ReadFile(p)
	}
	if err != nil {
		return nil, fmt.Errorf("local sandbox %s: read %s: %w", s.info.ID, path, err)
	}
	return data, nil
}

// WriteFile writes only where the sandbox's commands could write, and
// through os.Root, so neither a path nor a symlink planted by the agent can
// make tether write outside the sandbox.
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
	_, err := localInRoot(root, func(r *os.Root) ([]byte, error) {
		if dir := filepath.Dir(rel); dir != "." {
			if err := r.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
		}
		return nil, r.WriteFile(rel, data, 0o644)
	})
	if err != nil {
		return fmt.Errorf("local sandbox %s: write %s: %w", s.info.ID, path, err)
	}
	return nil
}

func localInRoot(dir string, f func(*os.Root) ([]byte, error)) ([]byte, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return f(r)
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
