package local

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Sandbox cgroups left behind. A sandbox's cgroups live under the cgroup
// of the tether that made it, which another tether (the `tether cleanup`
// run from another terminal, another systemd scope, another CI job's
// memory cgroup) computes differently: so each sandbox records its cgroup
// directories beside its meta file, and Delete removes those. What a
// crash leaves with no sandbox directory any more (its BaseDir deleted, as
// a test's temporary directory is) is found by walking the hierarchies:
// StaleCgroups lists every empty tether-local-* cgroup no sandbox of this
// provider is using. Removing an empty one is harmless even if a sandbox
// of another tether still owns it: ensureCgroups makes it again on use.

// localCgroupRecord is the file beside the meta file listing the
// sandbox's cgroup directories, one a line.
const localCgroupRecord = "cgroups"

// localStaleAge spares cgroups made moments ago (a sandbox being created
// whose first process has not joined yet). A variable for tests.
var localStaleAge = 10 * time.Second

// localRecordCgroups writes the record of a sandbox's cgroups in dir.
func localRecordCgroups(dir string, cgroups ...string) error {
	var b strings.Builder
	for _, c := range cgroups {
		if c != "" {
			b.WriteString(c + "\n")
		}
	}
	return os.WriteFile(filepath.Join(dir, localCgroupRecord), []byte(b.String()), 0o600)
}

// localRecordedCgroups reads the record in dir: only tether sandbox
// cgroup paths are believed (the file sits beside the workspace, which the
// agent cannot write, but a damaged file must not name /sys/fs/cgroup).
func localRecordedCgroups(dir string) []string {
	data, err := os.ReadFile(filepath.Join(dir, localCgroupRecord))
	if err != nil {
		return nil
	}
	var out []string
	for line := range strings.Lines(string(data)) {
		p := filepath.Clean(strings.TrimSpace(line))
		if strings.HasPrefix(p, "/sys/fs/cgroup/") && localValidID(strings.TrimPrefix(filepath.Base(p), "tether-")) {
			out = append(out, p)
		}
	}
	return out
}

// ensureCgroups makes the sandbox's cgroups again if they went (removed
// as empty by a `tether cleanup` while the sandbox was idle).
func (s *localSandbox) ensureCgroups() {
	if s.cgroup != "" {
		if _, err := os.Stat(s.cgroup); errors.Is(err, fs.ErrNotExist) {
			localMakeCgroup(s.info.ID, s.limits.PIDs)
		}
	}
	if s.memCg != "" && s.memCg != s.cgroup {
		if _, err := os.Stat(s.memCg); errors.Is(err, fs.ErrNotExist) {
			localMakeMemCgroup(s.info.ID, s.limits.MemoryGB)
		}
	}
}

// localCgroupRoots are the mount points of the hierarchies tether makes
// sandbox cgroups in: cgroup v2, and the v1 pids and memory hierarchies.
func localCgroupRoots() []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var roots []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, after := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(after) < 3 {
			continue
		}
		if after[0] == "cgroup2" || after[0] == "cgroup" && (localHasOpt(after[2], "pids") || localHasOpt(after[2], "memory")) {
			roots = append(roots, fields[4])
		}
	}
	return roots
}

// localCgroupDepth bounds the walk: tether's own cgroup is rarely deeper.
const localCgroupDepth = 8

// StaleCgroups lists the empty sandbox cgroups (tether-local-*) on this
// machine that no sandbox of this provider is using: what crashed or
// interrupted tethers left. `tether cleanup` lists them and, with --yes,
// removes them (RemoveCgroup).
func (p *Provider) StaleCgroups() []string {
	return localStaleCgroups(localCgroupRoots(), func(id string) bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.live[id] != nil
	})
}

func localStaleCgroups(roots []string, live func(id string) bool) []string {
	var out []string
	for _, root := range roots {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(root, path)
			if rel != "." && strings.Count(rel, "/") >= localCgroupDepth {
				return fs.SkipDir
			}
			id, ok := strings.CutPrefix(d.Name(), "tether-")
			if !ok || !localValidID(id) {
				return nil
			}
			if !live(id) && localCgroupEmpty(path) {
				out = append(out, path)
			}
			return fs.SkipDir // a sandbox's cgroup has no children of tether's
		})
	}
	return out
}

// localCgroupEmpty reports whether cgroup dir has no process and was not
// made moments ago.
func localCgroupEmpty(dir string) bool {
	fi, err := os.Stat(dir)
	if err != nil || time.Since(fi.ModTime()) < localStaleAge {
		return false
	}
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	return err == nil && strings.TrimSpace(string(data)) == ""
}

// RemoveCgroup removes one of StaleCgroups' cgroups, if it is still empty.
func (p *Provider) RemoveCgroup(dir string) error {
	id, ok := strings.CutPrefix(filepath.Base(dir), "tether-")
	if !ok || !localValidID(id) || !strings.HasPrefix(filepath.Clean(dir), "/sys/fs/cgroup/") {
		return errors.New("local sandbox: " + dir + " is not a sandbox cgroup")
	}
	// Gone already, or busy because a process joined since it was found
	// empty: nothing to remove.
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.EBUSY) {
		return err
	}
	return nil
}
