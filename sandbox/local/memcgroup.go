package local

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// A sandbox's memory is capped as a whole, beside RLIMIT_DATA's cap per
// process, when this machine lets tether make a memory cgroup (cgroup v2
// with the memory controller delegated, or a v1 memory hierarchy tether
// may write, as root in most containers). Going over it, the kernel kills
// a process of the sandbox (and only of the sandbox), which Exec then
// names in the command's output.

// localMemParent is where sandbox memory cgroups are made, "" when none.
var localMemParent = sync.OnceValue(func() string { return localCgroupParent("memory") })

// localMemCgroupPath is where sandbox id's memory cgroup lives ("" when
// none). Under cgroup v2 it is the same directory as the pids one.
func localMemCgroupPath(id string) string {
	parent := localMemParent()
	if parent == "" {
		return ""
	}
	return filepath.Join(parent, "tether-"+id)
}

// localMakeMemCgroup creates sandbox id's memory cgroup limited to gb GiB
// (swap included where the kernel accounts it) and returns its path, or
// "" when the machine allows none.
func localMakeMemCgroup(id string, gb int) string {
	dir := localMemCgroupPath(id)
	if dir == "" || gb <= 0 {
		return ""
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return ""
	}
	limit := strconv.FormatInt(int64(gb)<<30, 10)
	v2 := false
	if _, err := os.Stat(filepath.Join(dir, "memory.max")); err == nil {
		v2 = true
	}
	file, swap := "memory.limit_in_bytes", "memory.memsw.limit_in_bytes"
	if v2 {
		file, swap = "memory.max", "memory.swap.max"
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(limit), 0o644); err != nil {
		if dir != localCgroupPath(id) {
			_ = os.Remove(dir)
		}
		return ""
	}
	if v2 {
		limit = "0"
	}
	_ = os.WriteFile(filepath.Join(dir, swap), []byte(limit), 0o644) // absent without swap accounting
	return dir
}

// localMemOOMKills is how many processes the memory cgroup's limit has had
// killed, -1 without one.
func localMemOOMKills(dir string) int64 {
	if dir == "" {
		return -1
	}
	for _, f := range []string{"memory.events", "memory.oom_control"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(data)) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "oom_kill "); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
	}
	return -1
}
