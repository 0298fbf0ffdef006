package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/tether-dev/tether/sandbox"
)

// localShell is an interactive bash on a pseudo-terminal, confined like
// Exec's commands (same bwrap command line, seccomp program, environment
// and CPU pinning).
type localShell struct {
	s    *localSandbox
	ptmx *os.File
	pr   *localProc
	tag  string // this shell's entry of localTagVar

	out      sandbox.ShellOutput
	done     chan struct{}
	code     int
	closeOne sync.Once
}

// OpenShell implements sandbox.Terminal.
func (s *localSandbox) OpenShell(ctx context.Context, spec sandbox.ShellSpec) (sandbox.Shell, error) {
	if err := localCheckEnv(spec.Env); err != nil {
		return nil, fmt.Errorf("local sandbox: shell env: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n, err := s.begin()
	if err != nil {
		return nil, err
	}
	defer s.execs.Done()
	cwd, err := s.resolveDir(spec.Cwd)
	if err != nil {
		return nil, err
	}
	argv := []string{s.p.bash, "--noprofile", "--norc", "-i"}
	// The shell is started by the sandbox's init, as Exec's commands are:
	// in the same namespaces (a server one shell starts on 127.0.0.1 is
	// reachable from the others and from Exec, one slirp4netns serves
	// them all, ps sees everything), with the same seccomp filter,
	// Landlock domain, cgroups and CPU set; unconfined, on the host
	// (hostinit.go). What it leaves behind cannot outlive it. The init
	// starts it in a session of its own with the PTY as its controlling
	// terminal, so Ctrl+C and job control work.
	viaInit := s.iso.helper != ""
	if !viaInit && s.iso.bwrap {
		// Without the helper, a bwrap of its own, which starts its child
		// in a new session without a controlling terminal (so nothing
		// inside can reach tether's); setsid -c makes this PTY the
		// shell's own.
		argv = append([]string{"setsid", "-w", "-c"}, argv...)
	}
	cmd := &exec.Cmd{}
	if !viaInit {
		if cmd, err = s.command(cwd, argv...); err != nil {
			return nil, fmt.Errorf("local sandbox %s: shell: %w", s.info.ID, err)
		}
		defer localCloseExtra(cmd)
	}
	tag := localSandboxTag(s.info.ID) + "sh" + strconv.FormatUint(n, 10)
	cmd.Env = s.buildEnv(spec.Env, tag)

	ptmx, tty, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("local sandbox: open a pseudo-terminal: %w", err)
	}
	defer tty.Close()
	cols, rows := shellSize(spec)
	_ = pty.Setsize(ptmx, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	// Under a bwrap of its own the PTY is nobody's controlling terminal
	// until setsid -c inside claims it; unconfined, the shell takes it at
	// once. (Through the init, only the stdio of cmd is used.)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: !s.iso.bwrap, Pdeathsig: syscall.SIGKILL}
	var pr *localProc
	var wait func() (int, error)
	if viaInit {
		pr, wait, err = s.startInInit(n, cwd, argv, cmd.Env, tag, cmd, true)
	} else if err = s.start(cmd); err == nil {
		pr = &localProc{pgid: cmd.Process.Pid}
		wait = func() (int, error) {
			_ = cmd.Wait()
			return cmd.ProcessState.ExitCode(), nil
		}
	}
	if err != nil {
		ptmx.Close()
		return nil, fmt.Errorf("local sandbox %s: start shell: %w", s.info.ID, err)
	}
	sh := &localShell{s: s, ptmx: ptmx, pr: pr, tag: tag, done: make(chan struct{}), code: -1}
	sh.out.Limit = localShellQueue
	if !s.track(sh.pr) {
		sh.pr.kill(localKillClosed)
	}
	s.disk.enter()
	read := make(chan struct{})
	go func() {
		defer close(read)
		buf := make([]byte, 64<<10)
		for {
			n, err := ptmx.Read(buf)
			if n > 0 {
				_, _ = sh.out.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		sh.code, _ = wait()
		_, used := s.disk.leave()
		if sh.pr.reason.Load() == localKillDisk {
			_, _ = sh.out.Write([]byte("\r\ntether: " + s.disk.reached(used) + ": the shell was stopped; delete files or raise [local] disk_gb\r\n"))
		}
		// What the shell left behind ends with it, as under bwrap when
		// its PID namespace goes; then nothing holds the PTY any more.
		sh.killAll()
		// Nothing is left to wait for: what the PTY still holds is
		// drained even if nobody reads the shell any more.
		sh.out.Unblock()
		select {
		case <-read:
		case <-time.After(localPipeGrace):
		}
		_ = ptmx.Close()
		<-read
		s.untrack(sh.pr)
		sh.out.CloseWrite()
		close(sh.done)
	}()
	return sh, nil
}

// localShellQueue bounds the shell's output read from the PTY but not yet
// taken by its reader (sandbox.ShellOutput.Limit): past it the program
// inside waits on the terminal, as on any terminal, so a flood's lines
// reach the screen milliseconds after they are printed instead of behind
// megabytes queued here. One PTY read's worth.
const localShellQueue = 64 << 10

func shellSize(spec sandbox.ShellSpec) (cols, rows int) {
	cols, rows = spec.Cols, spec.Rows
	if cols <= 0 || cols > 1000 {
		cols = sandbox.DefaultShellCols
	}
	if rows <= 0 || rows > 1000 {
		rows = sandbox.DefaultShellRows
	}
	return cols, rows
}

func (sh *localShell) killAll() {
	if sh.pr.killFn != nil {
		sh.pr.killFn()
	} else {
		_ = syscall.Kill(-sh.pr.pgid, syscall.SIGKILL)
	}
	localKillTagged(sh.tag + "\x00")
}

func (sh *localShell) Read(p []byte) (int, error) { return sh.out.Read(p) }

func (sh *localShell) Send(ctx context.Context, p []byte) error {
	select {
	case <-sh.done:
		return errors.New("local shell: the shell has ended")
	default:
	}
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(time.Minute)
	}
	_ = sh.ptmx.SetWriteDeadline(dl)
	for len(p) > 0 {
		n, err := sh.ptmx.Write(p)
		p = p[n:]
		if err != nil {
			return fmt.Errorf("local shell: type into the terminal: %w", err)
		}
		if err := ctx.Err(); err != nil && len(p) > 0 {
			return err
		}
	}
	return nil
}

func (sh *localShell) Resize(ctx context.Context, cols, rows int) error {
	cols, rows = shellSize(sandbox.ShellSpec{Cols: cols, Rows: rows})
	return pty.Setsize(sh.ptmx, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
}

// KillTagged kills the processes carrying env and the terminal's
// foreground job (which may ignore Ctrl+C or be a subshell that never
// exec'ed, so carries no tag of its own), unless that is the shell.
func (sh *localShell) KillTagged(ctx context.Context, env string) error {
	// A child forked just before the kill may not have exec'ed yet (it
	// carries the tag only then): a few passes, a moment apart.
	for i := range localKillPasses {
		if pg := sh.foreground(); pg > 0 {
			_ = syscall.Kill(-pg, syscall.SIGKILL)
		}
		if localKillJobPass([]byte("\x00"+env+"\x00"), os.Getpid()) == 0 && i >= 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// localKillJobPass SIGKILLs the processes carrying needle and the process
// groups they are in, unless a group is its session's own (the shell's):
// a job's forked subshell (`( loop ) &`) never exec'ed, so carries no tag,
// but shares its group with its tagged children.
func localKillJobPass(needle []byte, self int) (killed int) {
	d, err := os.Open("/proc")
	if err != nil {
		return 0
	}
	names, _ := d.Readdirnames(-1)
	_ = d.Close()
	buf := make([]byte, 0, 4096)
	groups := map[int]bool{}
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid == self {
			continue
		}
		env, err := localReadEnviron(pid, buf[:0])
		if err != nil || !bytes.Contains(env, needle) {
			continue
		}
		if pg, sid, ok := localGroup(pid); ok && pg != sid && pg > 1 {
			groups[pg] = true
		}
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed++
		}
	}
	for pg := range groups {
		_ = syscall.Kill(-pg, syscall.SIGKILL)
	}
	return killed
}

// localGroup reads a process's group and session ids.
func localGroup(pid int) (pgid, sid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:])) // state ppid pgrp session ...
	if len(f) < 4 {
		return 0, 0, false
	}
	pgid, err1 := strconv.Atoi(f[2])
	sid, err2 := strconv.Atoi(f[3])
	return pgid, sid, err1 == nil && err2 == nil
}

// foreground is the terminal's foreground process group when it is not
// the shell's own (a command is running), else 0. Both ids are as tether
// sees them, also for a shell in bwrap's PID namespace.
func (sh *localShell) foreground() int {
	rc, err := sh.ptmx.SyscallConn()
	if err != nil {
		return 0
	}
	pg, sid := 0, 0
	_ = rc.Control(func(fd uintptr) {
		var e1, e2 error
		pg, e1 = unix.IoctlGetInt(int(fd), unix.TIOCGPGRP)
		sid, e2 = unix.IoctlGetInt(int(fd), unix.TIOCGSID)
		if e1 != nil || e2 != nil {
			pg = 0
		}
	})
	if pg <= 0 || pg == sid {
		return 0
	}
	return pg
}

func (sh *localShell) Done() <-chan struct{} { return sh.done }

func (sh *localShell) ExitCode() int {
	select {
	case <-sh.done:
		return sh.code
	default:
		return -1
	}
}

func (sh *localShell) Close(ctx context.Context) error {
	sh.closeOne.Do(sh.killAll)
	select {
	case <-sh.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("local shell: close: %w", ctx.Err())
	}
}
