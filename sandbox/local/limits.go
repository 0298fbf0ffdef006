package local

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/tether-dev/tether/sandbox"
	"golang.org/x/sys/unix"
)

// Limits bounds what one local sandbox may use, as [local] cpu, memory_gb,
// pids and disk_gb do. Zero fields take the defaults (see withDefaults).
//
// How each is enforced (no delegated cgroup v2 is assumed; see Describe):
//   - CPU: the command is pinned to that many CPUs (sched affinity, which
//     the seccomp filter stops it from widening);
//   - MemoryGB: a memory cgroup for the whole sandbox where one can be
//     made (memcgroup.go), and RLIMIT_DATA per process;
//   - PIDs: RLIMIT_NPROC inside the command's own user namespace, so it
//     counts the sandbox's processes only;
//   - DiskGB: the workspace, HOME and /tmp together, by a watchdog that
//     stops the running commands when they go over it (diskquota.go: not a
//     hard cap, a writer overshoots by what it writes in one check), and
//     RLIMIT_FSIZE for any one file.
type Limits struct {
	CPU      int `json:"cpu,omitempty"`
	MemoryGB int `json:"memory_gb,omitempty"`
	PIDs     int `json:"pids,omitempty"`
	DiskGB   int `json:"disk_gb,omitempty"`

	diskBytes int64 // tests: the watchdog's cap in bytes instead of DiskGB
}

// diskCap is the watchdog's cap in bytes.
func (l Limits) diskCap() int64 {
	if l.diskBytes > 0 {
		return l.diskBytes
	}
	return int64(l.DiskGB) << 30
}

// Default limits. Memory defaults to half the machine (at least 1 GB).
const (
	DefaultPIDs   = 1024
	DefaultDiskGB = 10
)

// localMachine reports the machine's CPUs and memory, read once.
var localMachine = sync.OnceValues(func() (cpu, memGB int) {
	cpu = runtime.NumCPU()
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return cpu, 0
	}
	for line := range strings.Lines(string(data)) {
		rest, ok := strings.CutPrefix(line, "MemTotal:")
		if !ok {
			continue
		}
		var kb int64
		if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d", &kb); err == nil {
			memGB = int((kb + 512*1024) / (1024 * 1024))
		}
		break
	}
	return cpu, memGB
})

// withDefaults checks l and fills its zero fields.
func (l Limits) withDefaults() (Limits, error) {
	cpu, mem := localMachine()
	if l.CPU < 0 || l.MemoryGB < 0 || l.PIDs < 0 || l.DiskGB < 0 {
		return l, fmt.Errorf("local sandbox: limits must not be negative (cpu %d, memory_gb %d, pids %d, disk_gb %d): use 0 for the default", l.CPU, l.MemoryGB, l.PIDs, l.DiskGB)
	}
	if l.CPU > cpu {
		return l, fmt.Errorf("local sandbox: [local] cpu = %d but this machine has %d CPUs: use at most %d", l.CPU, cpu, cpu)
	}
	if l.CPU == 0 {
		l.CPU = cpu
	}
	if l.MemoryGB == 0 {
		l.MemoryGB = max(1, mem/2)
	}
	if l.PIDs == 0 {
		l.PIDs = DefaultPIDs
	}
	if l.PIDs < 16 {
		return l, fmt.Errorf("local sandbox: [local] pids = %d is too few to run a shell: use at least 16", l.PIDs)
	}
	if l.DiskGB == 0 {
		l.DiskGB = DefaultDiskGB
	}
	return l, nil
}

// forSpec applies a Spec's CPU, MemoryGB and DiskGB over the provider's.
func (l Limits) forSpec(spec sandbox.Spec) (Limits, error) {
	if spec.CPU > 0 {
		l.CPU = spec.CPU
	}
	if spec.MemoryGB > 0 {
		l.MemoryGB = spec.MemoryGB
	}
	if spec.DiskGB > 0 {
		l.DiskGB = spec.DiskGB
	}
	return l.withDefaults()
}

// describe says what the limits are and how they are held, for the
// sandbox pane: cgroup and memCg say whether the sandbox has its pids and
// memory cgroups.
func (l Limits) describe(cgroup, memCg bool) string {
	pids := "cgroup"
	switch {
	case cgroup:
	case os.Getuid() == 0:
		pids = "not enforced: no cgroup, and RLIMIT_NPROC does not bind root"
	default:
		pids = "rlimit"
	}
	mem := "per process (rlimit)"
	if memCg {
		mem = "for the sandbox (cgroup) and per process (rlimit)"
	}
	return fmt.Sprintf("%d CPU (affinity), %d GB memory %s, %d processes (%s), %s disk for workspace, HOME and /tmp together (watched) and per file (rlimit)", l.CPU, l.MemoryGB, mem, l.PIDs, pids, localSize(l.diskCap()))
}

// prelude is the shell text that sets the rlimits, soft and hard so the
// command cannot raise them again; it runs first on the command's own line,
// so the agent's line numbers stay as they are. Each limit is set on its
// own: one the host already holds lower fails alone, keeping the lower one.
func (l Limits) prelude() string {
	var b strings.Builder
	set := func(flag string, v int64) {
		b.WriteString("ulimit -SH " + flag + " " + strconv.FormatInt(v, 10) + " 2>/dev/null; ")
	}
	set("-u", int64(l.PIDs))
	set("-d", int64(l.MemoryGB)<<20) // KiB
	set("-f", int64(l.DiskGB)<<20)   // 1 KiB blocks (bash -c is not in POSIX mode)
	return b.String()
}

// localAffinity is the CPU set of l.CPU CPUs commands are pinned to, or nil
// when they may use all of them.
func localAffinity(n int) *unix.CPUSet {
	var cur unix.CPUSet
	if err := unix.SchedGetaffinity(0, &cur); err != nil || n <= 0 || n >= cur.Count() {
		return nil
	}
	var set unix.CPUSet
	for i := 0; i < 1024 && set.Count() < n; i++ {
		if cur.IsSet(i) {
			set.Set(i)
		}
	}
	return &set
}

// localPidsHits is how often the sandbox's pids cgroup has refused a fork
// (pids.events "max"), -1 without one.
func localPidsHits(cgroup string) int64 {
	if cgroup == "" {
		return -1
	}
	data, err := os.ReadFile(filepath.Join(cgroup, "pids.events"))
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "max "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// noteLimits tells the model, on the command's stderr (or stdout), which
// of the sandbox's limits the command ran into, so a failure it caused
// reads as the limit and not as a mystery. pidsBefore is localPidsHits
// when the command started.
func (s *localSandbox) noteLimits(req sandbox.ExecRequest, code int, pidsBefore, oomBefore int64) {
	w := req.Stderr
	if w == nil {
		w = req.Stdout
	}
	if w == nil {
		return
	}
	if pidsBefore >= 0 && localPidsHits(s.cgroup) > pidsBefore {
		fmt.Fprintf(w, "\ntether: the sandbox's process limit (pids = %d) refused new processes: run fewer at once or raise [local] pids\n", s.limits.PIDs)
	}
	if oomBefore >= 0 && localMemOOMKills(s.memCg) > oomBefore {
		fmt.Fprintf(w, "\ntether: the sandbox's memory limit (memory_gb = %d, all its processes together) was reached and the kernel killed a process: use less memory or raise [local] memory_gb\n", s.limits.MemoryGB)
	}
	if code == 128+int(unix.SIGXFSZ) {
		fmt.Fprintf(w, "\ntether: a file reached the sandbox's size limit (disk_gb = %d per file) and the writer was stopped: raise [local] disk_gb\n", s.limits.DiskGB)
	}
}

// noteDisk tells the model the sandbox's disk cap stopped the command
// (the watchdog's stops went up from hitsBefore), or that the sandbox is
// over it now.
func (s *localSandbox) noteDisk(req sandbox.ExecRequest, hitsBefore int64, over bool, used int64) {
	w := req.Stderr
	if w == nil {
		w = req.Stdout
	}
	if w == nil {
		return
	}
	switch {
	case s.disk.stopped() > hitsBefore:
		fmt.Fprintf(w, "\ntether: %s: the command was stopped; delete files (the workspace must shrink before anything writes more) or raise [local] disk_gb\n", s.disk.reached(used))
	case over:
		fmt.Fprintf(w, "\ntether: %s: commands that write more will be stopped; delete files or raise [local] disk_gb\n", s.disk.reached(used))
	}
}
