package realdaemon

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// EnvBinary names the environment variable that points at the daemon.
const EnvBinary = "TETHER_DAYTONA_DAEMON"

// ErrUnavailable is wrapped by the errors that say the real daemon cannot
// run here (no binary, no namespaces): tests skip on it.
var ErrUnavailable = errors.New("the real Daytona daemon is not available")

// Binary finds the daemon: $TETHER_DAYTONA_DAEMON if set (it must exist),
// else shared/daytona/daemon in the working directory or one of its
// parents (a checkout's ../shared, as in CI).
func Binary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return "", fmt.Errorf("realdaemon: %s=%s is not a file: point it at the daemon binary or unset it", EnvBinary, p)
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("realdaemon: %w: %w", ErrUnavailable, err)
	}
	for {
		p := filepath.Join(dir, "shared", "daytona", "daemon")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("realdaemon: %w: no shared/daytona/daemon above the working directory and %s is not set", ErrUnavailable, EnvBinary)
		}
		dir = parent
	}
}

var (
	nsOnce sync.Once
	nsErr  error
)

// checkNamespaces makes sure, once per process, that unshare can make the
// namespaces the daemon runs in and that ip can bring loopback up there.
func checkNamespaces() error {
	nsOnce.Do(func() {
		for _, tool := range []string{"unshare", "bash", "ip"} {
			if _, err := exec.LookPath(tool); err != nil {
				nsErr = fmt.Errorf("realdaemon: %w: %s is not installed", ErrUnavailable, tool)
				return
			}
		}
		cmd := exec.Command("unshare", "--net", "--pid", "--fork", "--mount-proc", "--kill-child", "--", "ip", "link", "set", "lo", "up")
		if out, err := cmd.CombinedOutput(); err != nil {
			nsErr = fmt.Errorf("realdaemon: %w: namespaces are not permitted here (unshare: %v: %s)", ErrUnavailable, err, bytes.TrimSpace(out))
		}
	})
	return nsErr
}

// Available says why the real daemon cannot run here, or nil if it can.
func Available() error {
	if _, err := Binary(); err != nil {
		return err
	}
	return checkNamespaces()
}

// The forker: every daemon is started from one OS thread that is locked
// and never exits. Pdeathsig fires when the thread that forked a child
// exits, not the process; the dialers' threads do exit (they are thrown
// away after setns), so no daemon may be forked from one of them.
var (
	forkOnce sync.Once
	forks    chan forkReq
)

type forkReq struct {
	cmd *exec.Cmd
	res chan error
}

func startOnForker(cmd *exec.Cmd) error {
	forkOnce.Do(func() {
		forks = make(chan forkReq)
		go func() {
			runtime.LockOSThread()
			for r := range forks {
				r.res <- r.cmd.Start()
			}
		}()
	})
	r := forkReq{cmd: cmd, res: make(chan error, 1)}
	forks <- r
	return <-r.res
}

// firstChild is the first child process of pid, or 0.
func firstChild(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(f[0])
	return n
}

// nsInode is the inode of a process's namespace of a kind ("pid", "net").
func nsInode(pid int, kind string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/%s", pid, kind), &st); err != nil {
		return 0, fmt.Errorf("realdaemon: the %s namespace of %d: %w", kind, pid, err)
	}
	return st.Ino, nil
}

// hostPIDsIn lists the host PIDs of the processes in a PID namespace.
func hostPIDsIn(ns uint64) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ino, err := nsInode(pid, "pid"); err == nil && ino == ns {
			out = append(out, pid)
		}
	}
	return out
}

// waitNSEmpty waits up to d for a PID namespace to have no process left
// and returns those still there.
func waitNSEmpty(ns uint64, d time.Duration) []int {
	deadline := time.Now().Add(d)
	for {
		left := hostPIDsIn(ns)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readProc reads one process from a /proc directory.
func readProc(root string, pid int) (Process, bool) {
	dir := filepath.Join(root, strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return Process{}, false
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return Process{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return Process{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
	args := strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
	if args == "" { // a kernel thread or a zombie: its name then
		if j := strings.IndexByte(s, '('); j >= 0 {
			args = "[" + s[j+1:i] + "]"
		}
	}
	return Process{PID: pid, PPID: ppid, Args: args, State: f[0]}, true
}
