package local

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tether-dev/tether/sandbox"
)

func localNeedCgroups(t *testing.T) {
	t.Helper()
	if localPidsParent() == "" {
		t.Skip("no pids cgroup can be made here")
	}
}

// A sandbox's cgroups live under the cgroup of the tether that made it; a
// `tether cleanup` run from elsewhere (another terminal's scope, another
// CI job) computes other paths. Delete must remove the sandbox's own.
func TestDeleteRemovesCgroupsMadeUnderAnotherTether(t *testing.T) {
	localNeedCgroups(t)
	base := t.TempDir()
	p := localTestProvider(t, Options{BaseDir: base, Isolation: IsolationNone})
	sb, err := p.Create(context.Background(), sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	localRun(t, sb, "true")
	ls := sb.(*localSandbox)
	made := []string{ls.cgroup, ls.memCg}
	// The tether dies: no Close; its init goes with it.
	ls.stopInit()
	p.forget(sb.ID())
	// The cleaning tether sits in another cgroup.
	oldPids, oldMem := localPidsParent, localMemParent
	elsewhere := t.TempDir()
	localPidsParent = func() string { return elsewhere }
	localMemParent = func() string { return elsewhere }
	defer func() { localPidsParent, localMemParent = oldPids, oldMem }()
	cleaner := localTestProvider(t, Options{BaseDir: base, Isolation: IsolationNone})
	if err := cleaner.Delete(context.Background(), sb.ID()); err != nil {
		t.Fatal(err)
	}
	for _, cg := range made {
		if cg == "" {
			continue
		}
		if _, err := os.Stat(cg); !errors.Is(err, fs.ErrNotExist) {
			_ = os.Remove(cg)
			t.Errorf("cgroup %s left after Delete from another tether (stat: %v)", cg, err)
		}
	}
}

// `tether cleanup` finds the empty cgroups of sandboxes whose directory is
// gone (a crashed tether's, its BaseDir deleted) and removes them; a live
// sandbox's stay, and one removed while its sandbox was idle comes back on
// the next command.
func TestStaleCgroupsFoundAndRemoved(t *testing.T) {
	localNeedCgroups(t)
	oldAge := localStaleAge
	localStaleAge = 0
	defer func() { localStaleAge = oldAge }()
	leftover := filepath.Join(localPidsParent(), "tether-"+localIDPrefix+localRandomHex(6))
	if err := os.Mkdir(leftover, 0o755); err != nil {
		t.Skipf("cannot make a cgroup: %v", err)
	}
	defer os.Remove(leftover)
	p := localTestProvider(t, Options{Isolation: IsolationNone})
	sb, err := p.Create(context.Background(), sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close(context.Background())
	ls := sb.(*localSandbox)
	localRun(t, sb, "true")
	stale := p.StaleCgroups()
	if !slices.Contains(stale, leftover) {
		t.Fatalf("StaleCgroups = %v, lacks the leftover %s", stale, leftover)
	}
	if slices.Contains(stale, ls.cgroup) {
		t.Fatalf("StaleCgroups lists the live sandbox's cgroup %s", ls.cgroup)
	}
	if err := p.RemoveCgroup(leftover); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("leftover still there: %v", err)
	}
	if err := p.RemoveCgroup("/sys/fs/cgroup"); err == nil {
		t.Fatal("RemoveCgroup accepted a path that is not a sandbox's cgroup")
	}
	// Another tether's cleanup removes this sandbox's cgroup while it is
	// idle (its init gone): the next command makes it again and runs.
	ls.stopInit()
	localWaitFor(t, "the sandbox's cgroup to empty", func() bool { return localCgroupEmpty(ls.cgroup) })
	if err := p.RemoveCgroup(ls.cgroup); err != nil {
		t.Fatal(err)
	}
	localRun(t, sb, "true")
	if _, err := os.Stat(ls.cgroup); err != nil {
		t.Fatalf("cgroup not made again: %v", err)
	}
}
