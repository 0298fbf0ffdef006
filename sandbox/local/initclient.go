package local

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tether-dev/tether/sandbox"
)

// localInitTimeout bounds the init's start (a healthy one is ready in a
// few milliseconds) and how long a killed command may take to be reported.
const localInitTimeout = 10 * time.Second

// localInitProc is tether's end of a sandbox's init (initproc.go).
type localInitProc struct {
	cmd    *exec.Cmd
	fd     int
	wmu    sync.Mutex
	host   bool          // on the host (isolation "none", hostinit.go)
	done   chan struct{} // closed when the socket to the init is gone
	exited chan struct{} // closed when the init's process has been waited for
	err    error         // why, once done is closed
	// killGrace is how long a killed command may take to be reported
	// before the init is ended with it: localInitTimeout (tests shorten it).
	killGrace time.Duration

	mu      sync.Mutex
	waiters map[uint64]chan localInitMsg
	abi     int
}

// initProc returns the sandbox's init, starting it on first use (or again
// after it died: the agent can kill it, and then only the commands running
// at that moment are lost).
func (s *localSandbox) initProc() (*localInitProc, error) {
	s.initMu.Lock()
	defer s.initMu.Unlock()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("local sandbox %s: %w: create a new sandbox", s.info.ID, sandbox.ErrClosed)
	}
	if in := s.init; in != nil {
		select {
		case <-in.done:
			s.initLost = true
		default:
			return in, nil
		}
	}
	in, err := s.startInit()
	if err != nil {
		return nil, err
	}
	s.init = in
	return in, nil
}

// prestartInit starts the sandbox's init in the background, so that it is
// ready by the time the first command comes (an agent's first command
// follows a model's reply).
func (s *localSandbox) prestartInit() {
	if s.iso.helper == "" {
		return
	}
	go func() {
		if _, err := s.initProc(); err != nil && !errors.Is(err, sandbox.ErrClosed) {
			s.p.log.Warn("local sandbox: init did not start", "id", s.info.ID, "err", err)
		}
	}()
}

// startInit runs bubblewrap with the helper in init mode and waits until it
// is confined and ready.
func (s *localSandbox) startInit() (*localInitProc, error) {
	s.ensureCgroups()
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sandbox init: %w", err)
	}
	child := os.NewFile(uintptr(pair[1]), "init")
	var cmd *exec.Cmd
	var sec *os.File
	var net *localNetStart // the init's network, when it has one of its own
	if s.iso.bwrap {
		if sec, err = localSeccompFile(); err != nil {
			_ = child.Close()
			_ = unix.Close(pair[0])
			return nil, err
		}
		spec := s.bwrapSpec(s.info.WorkDir)
		spec.Helper = s.iso.helper
		spec.Argv = spec.helperArgv(localHelperInit, 4, nil)
		extra := []*os.File{sec, child}
		if net, err = s.netPrepare(&spec, &extra); err != nil {
			_ = sec.Close()
			_ = child.Close()
			_ = unix.Close(pair[0])
			return nil, err
		}
		full := localCgroupJoin([]string{s.cgroup, s.memCg}, append([]string{s.iso.bwrapBin}, bwrapArgs(spec)...))
		cmd = exec.Command(full[0], full[1:]...)
		cmd.Dir = s.info.WorkDir
		cmd.ExtraFiles = extra
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	} else {
		cmd = s.hostInitCmd(child)
	}
	cmd.Env = s.buildEnv(nil, localSandboxTag(s.info.ID)+"init")
	var stderr bytes.Buffer
	cmd.Stderr = &localLimited{w: &stderr, n: 4096}
	err = localStartPinned(cmd, localAffinity(s.limits.CPU))
	if sec != nil {
		_ = sec.Close()
	}
	_ = child.Close()
	if err != nil {
		net.abort()
		_ = unix.Close(pair[0])
		return nil, fmt.Errorf("sandbox init: start: %w", err)
	}
	if !s.iso.bwrap {
		if err := localJoinCgroups(cmd.Process.Pid, s.cgroup, s.memCg); err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			_ = unix.Close(pair[0])
			return nil, fmt.Errorf("sandbox init: %w", err)
		}
	}
	s.mu.Lock()
	if s.closed {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	} else {
		s.initStarting = cmd.Process.Pid
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.initStarting = 0
		s.mu.Unlock()
	}()
	in := &localInitProc{cmd: cmd, fd: pair[0], host: !s.iso.bwrap, done: make(chan struct{}), exited: make(chan struct{}), killGrace: localInitTimeout, waiters: map[uint64]chan localInitMsg{}}
	ready := make(chan localInitMsg, 1)
	go in.read(ready)
	go func() {
		_ = cmd.Wait()
		close(in.exited)
		// Wake the reader: nothing will come any more.
		in.wmu.Lock()
		if in.fd >= 0 {
			_ = unix.Shutdown(in.fd, unix.SHUT_RDWR)
		}
		in.wmu.Unlock()
	}()
	// The network comes up while the helper confines itself; the first
	// command may only come once both are done.
	netUp := make(chan error, 1)
	go func() {
		_, err := net.attach(cmd.Process.Pid)
		netUp <- err
	}()
	select {
	case m := <-ready:
		if m.Err != "" {
			in.kill()
			return nil, fmt.Errorf("sandbox init: %s", m.Err)
		}
		if err := <-netUp; err != nil {
			in.kill()
			return nil, fmt.Errorf("sandbox init: %w", err)
		}
		in.abi = m.ABI
		return in, nil
	case <-in.done:
		msg := strings.TrimSpace(stderr.String())
		return nil, fmt.Errorf("sandbox init ended before it was ready (%v): %s", in.err, msg)
	case <-time.After(localInitTimeout):
		in.kill()
		return nil, fmt.Errorf("sandbox init not ready after %s", localInitTimeout)
	}
}

// read dispatches the init's frames until the socket closes; then every
// command still waiting is told the init is gone.
func (in *localInitProc) read(ready chan<- localInitMsg) {
	in.wmu.Lock()
	r := &localFrameReader{fd: in.fd}
	in.wmu.Unlock()
	var err error
	for {
		var m localInitMsg
		m, err = r.next()
		if err != nil {
			break
		}
		if m.Op == localOpReady {
			ready <- m
			continue
		}
		in.mu.Lock()
		ch := in.waiters[m.ID]
		if m.Op == localOpExit || m.Err != "" {
			delete(in.waiters, m.ID)
		}
		in.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
	in.mu.Lock()
	in.err = fmt.Errorf("the sandbox's init process ended: %w", err)
	waiters := in.waiters
	in.waiters = nil
	in.mu.Unlock()
	close(in.done)
	for _, ch := range waiters {
		ch <- localInitMsg{Op: localOpExit, Code: -1, Err: in.err.Error()}
	}
	in.wmu.Lock()
	_ = unix.Close(in.fd)
	in.fd = -1
	in.wmu.Unlock()
	for _, fd := range r.files {
		_ = unix.Close(fd)
	}
}

// write sends one frame unless the socket is closed.
func (in *localInitProc) write(m localInitMsg, files []int) error {
	in.wmu.Lock()
	defer in.wmu.Unlock()
	if in.fd < 0 {
		return localErrInit
	}
	return localWriteFrame(in.fd, m, files)
}

// spawn asks the init to start argv with stdio as its descriptors 0-2.
// The channel gets "started" (or an error), then "exit".
func (in *localInitProc) spawn(id uint64, m localInitMsg, stdio [3]*os.File) (<-chan localInitMsg, error) {
	ch := make(chan localInitMsg, 2)
	in.mu.Lock()
	if in.waiters == nil {
		in.mu.Unlock()
		return nil, in.err
	}
	in.waiters[id] = ch
	in.mu.Unlock()
	m.Op, m.ID = localOpSpawn, id
	err := in.write(m, []int{int(stdio[0].Fd()), int(stdio[1].Fd()), int(stdio[2].Fd())})
	if err != nil {
		in.mu.Lock()
		if in.waiters != nil {
			delete(in.waiters, id)
		}
		in.mu.Unlock()
		return nil, fmt.Errorf("sandbox init: %w", err)
	}
	return ch, nil
}

// killCmd asks the init to kill command id and everything it started.
func (in *localInitProc) killCmd(id uint64) {
	_ = in.write(localInitMsg{Op: localOpKill, ID: id}, nil)
}

// kill ends the init and with it (PID namespace) every process of the
// sandbox's commands, and waits for it. An init on the host is not
// killed but told, by its socket closing, to kill all its descendants
// and exit: killed, it would leave them to PID 1. Only one that does not
// exit in time is killed.
// It reports whether the init ended as asked: a host init that had to be
// killed may have left its descendants to PID 1.
func (in *localInitProc) kill() (clean bool) {
	if in.host {
		in.wmu.Lock()
		if in.fd >= 0 {
			_ = unix.Shutdown(in.fd, unix.SHUT_RDWR)
		}
		in.wmu.Unlock()
		select {
		case <-in.exited:
			return in.cmd.ProcessState != nil && in.cmd.ProcessState.Success()
		case <-time.After(localInitTimeout):
		}
	}
	select {
	case <-in.exited:
		// Waited for already: its PID, the number of its process group,
		// may be another process's by now (PIDs wrap fast on a busy
		// machine), and that one must not be killed.
	default:
		_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
	}
	select {
	case <-in.done:
	case <-time.After(localInitTimeout):
		return false
	}
	return !in.host
}

// localDevNull is the host's /dev/null, for a command's stdio with no
// reader or writer. Opened once, never closed.
var localDevNull = sync.OnceValues(func() (*os.File, error) { return os.OpenFile(os.DevNull, os.O_RDWR, 0) })

// localErrInit says a command died with its init.
var localErrInit = errors.New("the sandbox's init process ended")

// startInInit starts argv through the sandbox's init with the stdio cmd
// carries (nil ones are /dev/null). The returned wait gives the exit code
// once the command and everything it started are gone.
func (s *localSandbox) startInInit(id uint64, cwd string, argv, env []string, tag string, cmd *exec.Cmd, tty bool) (*localProc, func() (int, error), error) {
	in, err := s.initProc()
	if err != nil {
		return nil, nil, err
	}
	var stdio [3]*os.File
	for i, f := range []any{cmd.Stdin, cmd.Stdout, cmd.Stderr} {
		if file, ok := f.(*os.File); ok && file != nil {
			stdio[i] = file
			continue
		}
		if stdio[i], err = localDevNull(); err != nil {
			return nil, nil, err
		}
	}
	ch, err := in.spawn(id, localInitMsg{Argv: argv, Env: env, Dir: cwd, Tag: tag, TTY: tty}, stdio)
	if err != nil {
		return nil, nil, err
	}
	var m localInitMsg
	select {
	case m = <-ch:
	case <-time.After(localInitTimeout):
		in.kill()
		m = <-ch
	}
	if m.Op != localOpStarted || m.Err != "" {
		return nil, nil, fmt.Errorf("sandbox init: %s", m.Err)
	}
	pr := &localProc{pgid: -1}
	// A command the init does not report dead soon after its kill is
	// ended with the init: the first kill arms a timer, the exit stops
	// it. A kill that comes once the exit is in arms nothing: nothing
	// would stop that timer, and it would end the init, with whatever
	// runs in it by then, a grace later. Such kills are common: the disk
	// watchdog and Close kill from a list taken before, Exec's cancel
	// watcher races the exit, a shell kills what is left once it ended,
	// and a kill's frame can reach the init, and its exit come back,
	// before the killer gets here to arm.
	var mu sync.Mutex
	var timer *time.Timer
	ended := false
	pr.killFn = func() {
		in.killCmd(id)
		mu.Lock()
		if timer == nil && !ended {
			timer = time.AfterFunc(in.killGrace, func() { in.kill() })
		}
		mu.Unlock()
	}
	wait := func() (int, error) {
		m := <-ch
		mu.Lock()
		ended = true
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		if m.Err != "" {
			return -1, errors.New(m.Err)
		}
		return m.Code, nil
	}
	return pr, wait, nil
}

// stopInit kills the sandbox's init, if it runs, and everything in it.
// It reports whether an init of this sandbox ever ended otherwise than
// by being told to (killed from inside, or not exiting in time): its
// orphans may then live on outside it (hostinit.go).
func (s *localSandbox) stopInit() (lost bool) {
	s.initMu.Lock()
	in := s.init
	s.init = nil
	lost = s.initLost
	s.initMu.Unlock()
	if in != nil {
		select {
		case <-in.done:
			lost = true // it was gone before we asked
		default:
		}
		if !in.kill() {
			lost = true
		}
	}
	return lost
}
