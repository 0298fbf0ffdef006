package local

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A sandbox's processes go into a pids cgroup of their own when this
// machine lets tether make one (cgroup v2 with the pids controller
// delegated to tether's cgroup, or a v1 pids hierarchy tether may write,
// as root in most containers). pids.max then bounds the whole sandbox, and
// the cgroup finds every process of it, even one that cleared its
// environment and left its session. Without one, RLIMIT_NPROC is the
// fallback, which does not hold for root (the kernel exempts uid 0).

// localPidsParent is the directory sandbox cgroups are made in, or "" when
// none can be. Found once.
var localPidsParent = sync.OnceValue(func() string { return localCgroupParent("pids") })

// localCgroupParent is the directory of tether's own cgroup in which a child
// with controller ctrl can be made (cgroup v2 with ctrl delegated, or the
// v1 hierarchy of ctrl, writable), or "".
func localCgroupParent(ctrl string) string {
	own := map[string]string{} // controller ("" for v2) -> our path
	if f, err := os.Open("/proc/self/cgroup"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			parts := strings.SplitN(sc.Text(), ":", 3)
			if len(parts) != 3 {
				continue
			}
			for _, c := range strings.Split(parts[1], ",") {
				own[c] = parts[2]
			}
		}
		_ = f.Close()
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	var v1, v2 string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, after := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(after) < 3 {
			continue
		}
		switch {
		case after[0] == "cgroup2" && own[""] != "":
			v2 = filepath.Join(fields[4], own[""])
		case after[0] == "cgroup" && own[ctrl] != "" && localHasOpt(after[2], ctrl):
			v1 = filepath.Join(fields[4], own[ctrl])
		}
	}
	if v2 != "" && localV2Has(v2, ctrl) {
		return v2
	}
	if v1 != "" && localWritableDir(v1) {
		return v1
	}
	return ""
}

func localHasOpt(opts, want string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// localV2Has reports whether children of dir get controller ctrl.
func localV2Has(dir, ctrl string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control"))
	if err != nil || !localWritableDir(dir) {
		return false
	}
	return localHasOpt(strings.ReplaceAll(strings.TrimSpace(string(data)), " ", ","), ctrl)
}

func localWritableDir(dir string) bool {
	return syscall.Access(dir, 2 /* W_OK */) == nil
}

// localCgroupPath is where sandbox id's cgroup lives ("" when none).
func localCgroupPath(id string) string {
	parent := localPidsParent()
	if parent == "" {
		return ""
	}
	return filepath.Join(parent, "tether-"+id)
}

// localMakeCgroup creates sandbox id's pids cgroup with pids.max = max and
// returns its path, or "" when the machine allows none.
func localMakeCgroup(id string, max int) string {
	dir := localCgroupPath(id)
	if dir == "" {
		return ""
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return ""
	}
	if err := os.WriteFile(filepath.Join(dir, "pids.max"), []byte(strconv.Itoa(max)), 0o644); err != nil {
		_ = os.Remove(dir)
		return ""
	}
	return dir
}

// localCgroupJoin wraps argv so that the process writes itself into the
// cgroups (directories, "" ones skipped) before it runs anything, leaving
// no window for a fork outside them.
func localCgroupJoin(dirs []string, argv []string) []string {
	var procs []string
	for _, d := range dirs {
		if d != "" && !slices.Contains(procs, filepath.Join(d, "cgroup.procs")) {
			procs = append(procs, filepath.Join(d, "cgroup.procs"))
		}
	}
	if len(procs) == 0 {
		return argv
	}
	script := `n=$0; while [ "$n" -gt 0 ]; do echo $$ > "$1" || { echo "tether: cannot join the sandbox's cgroup $1" >&2; exit 125; }; shift; n=$((n-1)); done; exec "$@"`
	out := append([]string{"/bin/sh", "-c", script, strconv.Itoa(len(procs))}, procs...)
	return append(out, argv...)
}

// localKillCgroup kills every process in the cgroup until it is empty (or
// a few seconds pass), then removes it.
func localKillCgroup(dir string) {
	if dir == "" {
		return
	}
	// No fork succeeds any more, so the kills below converge at once
	// rather than chase a fork bomb; cgroup v2 kills everything in one
	// write where the kernel has cgroup.kill.
	_ = os.WriteFile(filepath.Join(dir, "pids.max"), []byte("0"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0o644)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		if err != nil {
			return
		}
		pids := strings.Fields(string(data))
		if len(pids) == 0 {
			break
		}
		for _, p := range pids {
			if pid, err := strconv.Atoi(p); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	for range 100 {
		if localRemoveCgroup(dir) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Killed processes still exiting (a loaded machine takes its time)
	// keep the cgroup busy: go on trying in the background rather than
	// leave it behind or hold up Close.
	go func() {
		for range 300 {
			time.Sleep(100 * time.Millisecond)
			if localRemoveCgroup(dir) {
				return
			}
		}
	}()
}

// localRemoveCgroup removes an empty cgroup; true when it is gone.
func localRemoveCgroup(dir string) bool {
	err := os.Remove(dir)
	return err == nil || errors.Is(err, os.ErrNotExist)
}
