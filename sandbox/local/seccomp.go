package local

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"sync"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// localDeniedSyscalls are calls an agent has no business making; they fail
// with EPERM. Most need capabilities the sandbox does not have anyway: the
// filter is the second wall, for the day a kernel bug makes one reachable.
var localDeniedSyscalls = []string{
	// Filesystem topology and privileged file access.
	"mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
	"fsconfig", "fsmount", "fspick", "mount_setattr", "open_by_handle_at", "name_to_handle_at",
	"quotactl", "swapon", "swapoff", "acct",
	// Namespaces: no new ones, no joining others'.
	"unshare", "setns",
	// Other processes and the kernel.
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
	"keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
	"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
	"reboot", "syslog", "iopl", "ioperm", "settimeofday", "clock_settime", "clock_adjtime",
	"adjtimex", "lookup_dcookie", "vhangup", "uselib",
	// The CPU limit is an affinity mask: it may not be widened.
	"sched_setaffinity",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
}

// localCloneNSFlags are the namespace flags clone may not carry.
var localCloneNSFlags = []uint64{
	unix.CLONE_NEWUSER, unix.CLONE_NEWNS, unix.CLONE_NEWNET, unix.CLONE_NEWPID,
	unix.CLONE_NEWIPC, unix.CLONE_NEWUTS, unix.CLONE_NEWCGROUP, unix.CLONE_NEWTIME,
}

// localSeccompProgram is the filter in the binary form bwrap's --seccomp
// reads (an array of struct sock_filter), built once.
var localSeccompProgram = sync.OnceValues(func() ([]byte, error) {
	info, err := arch.GetInfo("")
	if err != nil {
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	var names []string
	for _, n := range localDeniedSyscalls {
		if _, ok := info.SyscallNames[n]; ok {
			names = append(names, n)
		}
	}
	group := seccomp.SyscallGroup{Names: names, Action: seccomp.ActionErrno}
	for _, f := range localCloneNSFlags {
		group.NamesWithCondtions = append(group.NamesWithCondtions, seccomp.NameWithConditions{
			Name:       "clone",
			Conditions: seccomp.ArgumentConditions{{Argument: localCloneFlagsArg(info), Operation: seccomp.BitsSet, Value: f}},
		})
	}
	policy := seccomp.Policy{DefaultAction: seccomp.ActionAllow, Syscalls: []seccomp.SyscallGroup{group}}
	body, err := policy.Assemble()
	if err != nil {
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	// Our prefix: a foreign architecture (i386 through int 0x80 would number
	// the calls differently and slip past the list) kills the process, and
	// clone3, whose flags a filter cannot read, answers ENOSYS so that libc
	// falls back to clone, which the filter can check.
	prefix := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(info.ID), SkipTrue: 1},
		bpf.RetConstant{Val: unix.SECCOMP_RET_KILL_PROCESS},
	}
	if nr, ok := info.SyscallNames["clone3"]; ok {
		prefix = append(prefix,
			bpf.LoadAbsolute{Off: 0, Size: 4},
			bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: uint32(nr), SkipTrue: 1},
			bpf.RetConstant{Val: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
		)
	}
	raw, err := bpf.Assemble(append(prefix, body...))
	if err != nil {
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	var buf bytes.Buffer
	for _, ins := range raw {
		_ = binary.Write(&buf, binary.NativeEndian, unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K})
	}
	return buf.Bytes(), nil
})

// localCloneFlagsArg is the clone argument holding the flags: the first
// everywhere but s390x.
func localCloneFlagsArg(info *arch.Info) uint32 {
	if info.Name == "s390x" {
		return 1
	}
	return 0
}

// localSeccompFile returns a file bwrap can read the filter from: a pipe
// already holding the whole program (a few KB, well under the pipe buffer),
// its write end closed.
func localSeccompFile() (*os.File, error) {
	prog, err := localSeccompProgram()
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	_, err = w.Write(prog)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = r.Close()
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	return r, nil
}
