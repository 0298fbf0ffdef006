package local

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Landlock is the second wall inside the sandbox, under bubblewrap's mount
// view: the helper (helper.go) restricts itself with these rules before it
// starts the agent's commands, which inherit them. It is applied per
// thread with the raw system calls (golang.org/x/sys/unix), not through
// go-landlock: that package confines every thread of a process through
// libcap's psx, which under cgo wraps pthread_create in the whole tether
// binary, and the helper needs only the one thread that forks.

// Filesystem access rights, as in <linux/landlock.h>.
const (
	llExecute    = 1 << 0
	llWriteFile  = 1 << 1
	llReadFile   = 1 << 2
	llReadDir    = 1 << 3
	llRemoveDir  = 1 << 4
	llRemoveFile = 1 << 5
	llMakeChar   = 1 << 6
	llMakeDir    = 1 << 7
	llMakeReg    = 1 << 8
	llMakeSock   = 1 << 9
	llMakeFifo   = 1 << 10
	llMakeBlock  = 1 << 11
	llMakeSym    = 1 << 12
	llRefer      = 1 << 13 // ABI 2
	llTruncate   = 1 << 14 // ABI 3
	llIoctlDev   = 1 << 15 // ABI 5

	llScopeAbstractUnix = 1 << 0 // ABI 6
	llScopeSignal       = 1 << 1 // ABI 6

	llCreateRulesetVersion = 1 << 0

	// llFileRights are the rights that apply to a file (rather than a
	// directory) in a rule.
	llFileRights = llExecute | llWriteFile | llReadFile | llTruncate | llIoctlDev
	llRO         = llExecute | llReadFile | llReadDir
)

// localLandlockABI is the Landlock ABI version of the running kernel, 0 when
// it has none (or it is disabled at boot).
func localLandlockABI() int {
	v, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, llCreateRulesetVersion)
	if errno != 0 {
		return 0
	}
	return int(v)
}

// llHandledFS is every filesystem right ABI abi knows.
func llHandledFS(abi int) uint64 {
	switch {
	case abi >= 5:
		return 1<<16 - 1
	case abi >= 3:
		return 1<<15 - 1
	case abi == 2:
		return 1<<14 - 1
	case abi == 1:
		return 1<<13 - 1
	}
	return 0
}

// localLandlockRules is what the sandbox's processes may do, path by path,
// as they see the filesystem (inside bubblewrap's view). Everything not
// listed is denied, but listing any directory: a path may be read, run and
// listed (RO), also written (RW), or only executed (Exec: the helper's own
// binary, which carries nothing the agent should read).
type localLandlockRules struct {
	RO   []string `json:"ro,omitempty"`
	RW   []string `json:"rw,omitempty"`
	Dev  []string `json:"dev,omitempty"` // device directories: read, write, ioctl, no creation
	Exec []string `json:"exec,omitempty"`
	List []string `json:"list,omitempty"` // listed, nothing beneath read
}

// localLandlockSelf restricts the calling thread (and what it starts from
// now on) to rules. abi is localLandlockABI(); with 0 it does nothing. The
// thread must stay locked (runtime.LockOSThread) for the restriction to
// mean anything in Go.
func localLandlockSelf(abi int, rules localLandlockRules) error {
	if abi <= 0 {
		return nil
	}
	handled := llHandledFS(abi)
	attr := struct{ fs, net, scoped uint64 }{fs: handled}
	size := unsafe.Sizeof(attr.fs)
	switch {
	case abi >= 6:
		attr.scoped = llScopeAbstractUnix | llScopeSignal
		size = unsafe.Sizeof(attr)
	case abi >= 4:
		size = 2 * unsafe.Sizeof(attr.fs)
	}
	fd, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(&attr)), size, 0)
	if errno != 0 {
		return fmt.Errorf("landlock: create ruleset: %w", errno)
	}
	defer unix.Close(int(fd))
	add := func(path string, access uint64) error {
		pfd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) {
			return nil // not in this sandbox's view
		}
		if err != nil {
			return fmt.Errorf("landlock: open %s: %w", path, err)
		}
		defer unix.Close(pfd)
		var st unix.Stat_t
		if err := unix.Fstat(pfd, &st); err != nil {
			return fmt.Errorf("landlock: stat %s: %w", path, err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			access &= llFileRights
		}
		rule := unix.LandlockPathBeneathAttr{Allowed_access: access & handled, Parent_fd: int32(pfd)}
		// The kernel's struct is packed (12 bytes); Go's has 4 of padding at
		// the end, which the kernel does not read.
		_, _, errno := unix.Syscall6(unix.SYS_LANDLOCK_ADD_RULE, fd, unix.LANDLOCK_RULE_PATH_BENEATH, uintptr(unsafe.Pointer(&rule)), 0, 0, 0)
		if errno != 0 {
			return fmt.Errorf("landlock: rule for %s: %w", path, errno)
		}
		return nil
	}
	all := handled
	dev := uint64(llReadFile | llWriteFile | llReadDir | llTruncate | llIoctlDev)
	for _, set := range []struct {
		paths  []string
		access uint64
	}{{rules.RO, llRO}, {rules.RW, all}, {rules.Dev, dev}, {rules.Exec, llExecute}, {rules.List, llReadDir}} {
		for _, p := range set.paths {
			if err := add(p, set.access); err != nil {
				return err
			}
		}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("landlock: no_new_privs: %w", err)
	}
	if _, _, errno := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, fd, 0, 0); errno != 0 {
		return fmt.Errorf("landlock: restrict: %w", errno)
	}
	return nil
}

// landlockRules is the rule set for this sandbox's processes: the system
// directories read-only, the workspace, HOME, /tmp and writable mounts
// read-write, read-only mounts read-only, /dev usable, the helper only
// runnable, and "/" listable (so `ls /` works; listing reads no file).
func (spec bwrapSpec) landlockRules() localLandlockRules {
	r := localLandlockRules{
		RO:   []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/var", "/proc"},
		RW:   []string{spec.Work, spec.Home, "/tmp", "/dev/shm"},
		Dev:  []string{"/dev"},
		Exec: []string{localHelperPath},
		List: []string{"/"},
	}
	for _, m := range spec.Mounts {
		if m.Writable {
			r.RW = append(r.RW, m.Target)
		} else {
			r.RO = append(r.RO, m.Target)
		}
	}
	return r
}
