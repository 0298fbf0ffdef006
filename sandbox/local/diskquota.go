package local

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// disk_gb caps what a sandbox keeps on the host's disk as a whole: its
// workspace, HOME and /tmp together (all of <BaseDir>/<id>, an overlay's
// upper layer included; the snapshots an overlay reads from and the extra
// mounts the user asked for are not). No filesystem quota is assumed (it
// needs root and a filesystem made with quotas), so a watchdog measures:
// while any command or shell of the sandbox runs it checks every
// localDiskTick, and when the sandbox is over the cap and growing it stops
// every running command, which then reads "disk limit … reached" in its
// output. Between commands nothing of the sandbox runs (the init ends what
// each leaves), so nothing can write then; tether's own file tools check
// before they write.
//
// While commands run, the sandbox is walked (lstat of every entry) every
// localDiskTick, but never more than a twentieth of the time: a workspace
// that costs 20 ms of CPU to walk is walked at most every 400 ms. Before a
// command starts, statfs saying the filesystem has not grown enough since
// the last walk to cross the cap spares the walk (nothing of the sandbox
// ran in between). So the cap is not a hard one: a writer overshoots it
// by what it writes in one walk gap (100 ms, more for big workspaces),
// and RLIMIT_FSIZE still stops any single file at the cap.

// Watchdog timings.
const (
	localDiskTick      = 100 * time.Millisecond
	localDiskCostRatio = 20 // at most 1/20 of the time walking
)

// localDisk is one sandbox's disk watchdog.
type localDisk struct {
	dir   string // <BaseDir>/<id>
	limit int64  // bytes
	stop  func() // stops the sandbox's running commands

	mu      sync.Mutex
	active  int           // commands and shells running
	quit    chan struct{} // closed to end the watching goroutine
	used    int64         // last walk's total
	fsUsed  uint64        // the filesystem's used bytes at that walk
	walked  time.Time     // when; zero before the first
	cost    time.Duration // how long it took
	allowed int64         // over this (never under limit) and growing: stop
	hits    int64         // times it stopped the running commands
}

func newLocalDisk(dir string, limit int64, stop func()) *localDisk {
	return &localDisk{dir: dir, limit: limit, stop: stop, allowed: limit}
}

// enter registers a running command; the first starts the watching, and
// what the sandbox holds then is allowed (a workspace already over the cap
// can still be cleaned up, it just must not grow).
func (d *localDisk) enter() {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.active++
	if d.active > 1 {
		return
	}
	used, _ := d.measureLocked(localDiskGated)
	d.allowed = max(d.limit, used)
	d.quit = make(chan struct{})
	go d.watch(d.quit)
}

// leave unregisters one; the last stops the watching. It reports whether
// the sandbox is over its cap now, and by how much it is used.
func (d *localDisk) leave() (over bool, used int64) {
	if d == nil {
		return false, 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.active--
	if d.active == 0 && d.quit != nil {
		close(d.quit)
		d.quit = nil
	}
	mode := localDiskPeriodic
	if d.used > d.limit {
		mode = localDiskForced // over it: see whether the command cleaned up
	}
	used, _ = d.measureLocked(mode)
	return used > d.limit, used
}

// stopped is how many times the watchdog has stopped commands.
func (d *localDisk) stopped() int64 {
	if d == nil {
		return 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hits
}

func (d *localDisk) watch(quit <-chan struct{}) {
	t := time.NewTicker(localDiskTick)
	defer t.Stop()
	for {
		select {
		case <-quit:
			return
		case <-t.C:
		}
		d.mu.Lock()
		used, walked := d.measureLocked(localDiskPeriodic)
		over := walked && used > d.allowed
		if walked && !over {
			d.allowed = max(d.limit, min(d.allowed, used))
		}
		if over {
			d.hits++
		}
		d.mu.Unlock()
		if over {
			d.stop()
		}
	}
}

// room checks, before tether writes n bytes over a file of old bytes,
// that the sandbox stays under its cap.
func (d *localDisk) room(n, old int64) error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	used, _ := d.measureLocked(localDiskForced)
	d.mu.Unlock()
	if n > old && used+n-old > d.limit {
		return errors.New(d.reached(used) + ": delete files or raise [local] disk_gb")
	}
	return nil
}

// reached is how hitting the cap is told, with the usage.
func (d *localDisk) reached(used int64) string {
	return "disk limit of " + localSize(d.limit) + " for the workspace reached (workspace, HOME and /tmp hold " + localSize(used) + ")"
}

// How measureLocked decides to walk.
const (
	localDiskForced   = iota // always
	localDiskGated           // when statfs says the cap may have been crossed
	localDiskPeriodic        // unless that would take more than the budget
)

// measureLocked returns the sandbox's usage: a fresh walk, or the last
// walk's when mode says one is not needed. walked says a walk happened.
func (d *localDisk) measureLocked(mode int) (used int64, walked bool) {
	var st unix.Statfs_t
	var fsUsed uint64
	if unix.Statfs(d.dir, &st) == nil {
		fsUsed = (st.Blocks - st.Bfree) * uint64(st.Frsize)
	}
	if mode != localDiskForced && !d.walked.IsZero() {
		switch mode {
		case localDiskGated:
			if grew := int64(fsUsed) - int64(d.fsUsed); d.used+grew <= d.allowed && d.used <= d.limit {
				return d.used, false
			}
		case localDiskPeriodic:
			if time.Since(d.walked) < localDiskCostRatio*d.cost {
				return d.used, false
			}
		}
	}
	d.used, d.cost = localDiskUsageTimed(d.dir)
	d.walked = time.Now()
	d.fsUsed = fsUsed
	return d.used, true
}

// localDiskUsageTimed is localDiskUsage and the CPU time the walk took.
// CPU time, not wall time: on a busy machine one walk descheduled for a
// while (200 ms of wall for 5 ms of CPU was seen at load 10) would
// otherwise put the next walk seconds away, while a writer fills the
// disk far past the cap. The budget is then a twentieth of one CPU's
// time, as meant. Wall time where the thread's clock cannot be read.
func localDiskUsageTimed(dir string) (used int64, cost time.Duration) {
	runtime.LockOSThread() // the thread's clock counts this walk only
	defer runtime.UnlockOSThread()
	start := time.Now()
	cpu0, ok0 := localThreadCPU()
	used = localDiskUsage(dir)
	cpu1, ok1 := localThreadCPU()
	if !ok0 || !ok1 {
		return used, time.Since(start)
	}
	return used, cpu1 - cpu0
}

// localThreadCPU is the CPU time the calling thread has used.
func localThreadCPU() (time.Duration, bool) {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}

// localDiskUsage is the disk space (allocated blocks, each hard-linked
// inode once) of the tree at dir, not crossing into other filesystems (an
// overlay mounted on the workspace: its upper layer is counted where it
// lies, beside it). A directory the agent made unreadable to hide what is
// in it is made readable to its owner first.
func localDiskUsage(dir string) int64 {
	var root unix.Stat_t
	if unix.Lstat(dir, &root) != nil {
		return 0
	}
	seen := map[uint64]bool{}
	total := int64(root.Blocks) * 512
	var walk func(path string, depth int)
	walk = func(path string, depth int) {
		if depth > 256 {
			return
		}
		f, err := os.Open(path)
		if errors.Is(err, os.ErrPermission) {
			if st, serr := os.Lstat(path); serr == nil && os.Chmod(path, st.Mode().Perm()|0o700) == nil {
				f, err = os.Open(path)
			}
		}
		if err != nil {
			return
		}
		names, _ := f.Readdirnames(-1)
		fd := int(f.Fd())
		for _, name := range names {
			var st unix.Stat_t
			if unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
				continue
			}
			if st.Nlink > 1 && st.Mode&unix.S_IFMT != unix.S_IFDIR {
				if seen[st.Ino] {
					continue
				}
				seen[st.Ino] = true
			}
			if st.Dev != root.Dev {
				continue // a mount point: another filesystem
			}
			total += st.Blocks * 512
			if st.Mode&unix.S_IFMT == unix.S_IFDIR {
				walk(filepath.Join(path, name), depth+1)
			}
		}
		_ = f.Close()
	}
	walk(dir, 0)
	return total
}

// localSize names a byte count for people: whole GB as such, else MB.
func localSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GB", n>>30)
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
}
