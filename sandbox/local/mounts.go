package local

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ParseMount reads one [local] mounts entry: "SRC[:DEST][:ro|rw]". SRC may
// start with ~ (the user's home); DEST defaults to SRC, and a SRC under ~
// with no DEST lands at the same place under the sandbox's own HOME (so
// "~/.cache/pip:ro" gives the agent your pip cache, read-only). Mounts are
// read-only unless ":rw" is given.
func ParseMount(s string) (Mount, error) {
	spec := s
	var m Mount
	switch {
	case strings.HasSuffix(spec, ":rw"):
		m.Writable = true
		spec = strings.TrimSuffix(spec, ":rw")
	case strings.HasSuffix(spec, ":ro"):
		spec = strings.TrimSuffix(spec, ":ro")
	}
	src, dst, _ := strings.Cut(spec, ":")
	if src == "" {
		return m, fmt.Errorf("mount %q: empty source: write it as SRC[:DEST][:ro|rw], e.g. \"~/.cache/pip:ro\"", s)
	}
	if rest, ok := localCutHome(src); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return m, fmt.Errorf("mount %q: no home directory to expand ~ (%w): give an absolute path", s, err)
		}
		src = filepath.Join(home, rest)
		if dst == "" {
			dst = "~/" + rest
		}
	}
	if dst == "" {
		dst = src
	}
	if !filepath.IsAbs(src) {
		return m, fmt.Errorf("mount %q: source must be absolute or start with ~", s)
	}
	if _, ok := localCutHome(dst); !ok && !filepath.IsAbs(dst) {
		return m, fmt.Errorf("mount %q: destination must be absolute or start with ~", s)
	}
	m.Source, m.Target = filepath.Clean(src), dst
	return m, nil
}

func localCutHome(p string) (string, bool) {
	if p == "~" {
		return "", true
	}
	return strings.CutPrefix(p, "~/")
}

// localCheckMounts checks that every mount exists and exposes nothing of
// tether's own: its sandboxes, state (recordings, logs) or config (keys).
func localCheckMounts(mounts []Mount, baseDir string) ([]Mount, error) {
	protected := []string{baseDir}
	if dir, err := os.UserConfigDir(); err == nil {
		protected = append(protected, filepath.Join(dir, "tether"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		protected = append(protected, filepath.Join(home, ".local", "state", "tether"))
	}
	if dir := os.Getenv("XDG_STATE_HOME"); dir != "" {
		protected = append(protected, filepath.Join(dir, "tether"))
	}
	out := make([]Mount, 0, len(mounts))
	for _, m := range mounts {
		real, err := filepath.EvalSymlinks(m.Source)
		if err != nil {
			return nil, fmt.Errorf("local sandbox: mount %s: %w: create it or remove it from [local] mounts", m.Source, err)
		}
		for _, p := range protected {
			if localOverlaps(real, p) {
				return nil, fmt.Errorf("local sandbox: mount %s would show the agent tether's own files (%s: keys, recordings, logs): mount a narrower directory", m.Source, p)
			}
		}
		m.Source = real
		out = append(out, m)
	}
	return out, nil
}

// localOverlaps reports whether one of a and b contains the other.
func localOverlaps(a, b string) bool {
	a, b = filepath.Clean(a), filepath.Clean(b)
	if ra, err := filepath.EvalSymlinks(b); err == nil {
		b = ra
	}
	within := func(x, y string) bool { // x inside y
		r, err := filepath.Rel(y, x)
		return err == nil && r != ".." && !strings.HasPrefix(r, "../")
	}
	return within(a, b) || within(b, a)
}

// localMountTarget resolves a mount's destination for a sandbox whose HOME
// is home.
func localMountTarget(m Mount, home string) string {
	if rest, ok := localCutHome(m.Target); ok {
		return filepath.Join(home, rest)
	}
	return filepath.Clean(m.Target)
}
