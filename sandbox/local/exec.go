package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// localPipeGrace is how long Exec waits, once the command is over, for its
// output pipes to drain. Only a process that escaped the kill and still holds
// them makes this wait expire; the pipes are then closed on it.
const localPipeGrace = 500 * time.Millisecond

// Why a command was killed.
const (
	localKillNone int32 = iota
	localKillCancelled
	localKillTimedOut
	localKillClosed
	localKillDisk // the sandbox went over disk_gb (diskquota.go)
)

// localProc is one running command, killable from Close.
type localProc struct {
	pgid   int
	killFn func() // how to kill it when not by its process group (the init's commands)
	reason atomic.Int32
}

// kill ends the command's whole process group. The first reason given wins.
// bash is the group leader (or bwrap is, and its PID namespace takes every
// process inside down with it; or the sandbox's init does it, inside).
func (pr *localProc) kill(reason int32) {
	pr.reason.CompareAndSwap(localKillNone, reason)
	if pr.killFn != nil {
		pr.killFn()
		return
	}
	_ = syscall.Kill(-pr.pgid, syscall.SIGKILL)
}

// Exec runs req.Command with bash in the sandbox, streaming output as it
// comes. Everything the command started is killed when it returns: under
// bwrap the PID namespace guarantees it, and the unconfined mode kills the
// process group to behave the same.
func (s *localSandbox) Exec(ctx context.Context, req sandbox.ExecRequest) (sandbox.ExecResult, error) {
	if strings.TrimSpace(req.Command) == "" {
		return sandbox.ExecResult{}, errors.New("local sandbox: exec: empty command: give a bash command to run")
	}
	if err := localCheckEnv(req.Env); err != nil {
		return sandbox.ExecResult{}, fmt.Errorf("local sandbox: exec env: %w", err)
	}
	if req.Timeout < 0 {
		return sandbox.ExecResult{}, fmt.Errorf("local sandbox: exec: negative timeout %s: use 0 for none", req.Timeout)
	}
	n, err := s.begin()
	if err != nil {
		return sandbox.ExecResult{}, err
	}
	defer s.execs.Done()
	if err := ctx.Err(); err != nil {
		return sandbox.ExecResult{ExitCode: -1, Cancelled: true}, nil
	}

	cwd, err := s.resolveDir(req.Cwd)
	if err != nil {
		return sandbox.ExecResult{}, err
	}
	tag := localSandboxTag(s.info.ID) + strconv.FormatUint(n, 10)
	argv := []string{s.p.bash, "-c", s.limits.prelude() + req.Command}
	env := s.buildEnv(req.Env, tag)
	// With the sandbox's init, the command is started by it, inside the
	// sandbox; cmd then only carries the stdio to hand over.
	useInit := s.iso.helper != ""
	cmd := &exec.Cmd{}
	if !useInit {
		if cmd, err = s.command(cwd, argv...); err != nil {
			return sandbox.ExecResult{}, fmt.Errorf("local sandbox %s: exec: %w", s.info.ID, err)
		}
		defer localCloseExtra(cmd)
		cmd.Env = env
		// A new session: its own process group, so one kill reaches every
		// process, and no controlling terminal, so the command cannot read
		// or type into tether's (/dev/tty, TIOCSTI). Pdeathsig so a
		// crashing tether takes its commands with it.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	}

	stdin, err := localStdin(cmd, req.Stdin)
	if err != nil {
		return sandbox.ExecResult{}, fmt.Errorf("local sandbox: exec: %w", err)
	}
	defer stdin()
	pipes, err := localOpenPipes(cmd, req.Stdout, req.Stderr)
	if err != nil {
		return sandbox.ExecResult{}, fmt.Errorf("local sandbox: exec: %w", err)
	}
	pidsHit, oomKills, diskHits := localPidsHits(s.cgroup), localMemOOMKills(s.memCg), s.disk.stopped()
	s.disk.enter()
	diskLeft := false
	defer func() {
		if !diskLeft {
			s.disk.leave()
		}
	}()
	start := time.Now()
	var pr *localProc
	var wait func() (int, error)
	if useInit {
		pr, wait, err = s.startInInit(n, cwd, argv, env, tag, cmd, false)
	} else if err = s.start(cmd); err == nil {
		pr = &localProc{pgid: cmd.Process.Pid}
		wait = func() (int, error) {
			_ = cmd.Wait() // non-zero exit is reported in the result, not as an error
			// Stragglers left in the group (`cmd &`) end with the command,
			// as they do under bwrap when its PID namespace goes.
			_ = syscall.Kill(-pr.pgid, syscall.SIGKILL)
			return cmd.ProcessState.ExitCode(), nil
		}
	}
	pipes.closeWriters()
	localCloseExtra(cmd)
	if err != nil {
		pipes.closeReaders()
		if s.usable(context.Background()) != nil && !errors.Is(err, sandbox.ErrClosed) {
			err = fmt.Errorf("%w (%v)", sandbox.ErrClosed, err) // Close won the race
		}
		return sandbox.ExecResult{}, fmt.Errorf("local sandbox %s: start command: %w", s.info.ID, err)
	}
	if !s.track(pr) {
		pr.kill(localKillClosed)
	}
	defer s.untrack(pr)
	pumped := pipes.pump()

	runCtx := ctx
	if req.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, req.Timeout)
		defer cancel()
	}
	exited := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-runCtx.Done():
			if ctx.Err() != nil {
				pr.kill(localKillCancelled)
			} else {
				pr.kill(localKillTimedOut)
			}
			// Now, not after the pipe grace: escapees hold the pipes.
			localKillTagged(tag + "\x00")
		case <-exited:
		}
	}()
	code, werr := wait()
	close(exited)
	<-watched
	dur := time.Since(start)

	select {
	case <-pumped:
	case <-time.After(localPipeGrace):
		// Someone outside the group (setsid) still holds the pipes.
		localKillTagged(tag + "\x00")
		pipes.closeReaders()
		<-pumped
	}
	pipes.closeReaders()
	diskLeft = true
	diskOver, diskUsed := s.disk.leave()
	s.noteLimits(req, code, pidsHit, oomKills)
	s.noteDisk(req, diskHits, diskOver, diskUsed)

	reason := pr.reason.Load()
	if useInit && reason != localKillNone && code == 128+int(syscall.SIGKILL) {
		code = -1 // our kill, which the host's sweep may have delivered first
	}
	res := sandbox.ExecResult{ExitCode: code, Duration: dur}
	if werr != nil && reason == localKillNone {
		return res, fmt.Errorf("local sandbox %s: %w: the command was killed; run it again", s.info.ID, werr)
	}
	if res.ExitCode == -1 {
		switch reason {
		case localKillCancelled:
			res.Cancelled = true
		case localKillTimedOut:
			res.TimedOut = true
		case localKillClosed:
			return res, fmt.Errorf("local sandbox %s: command killed: %w", s.info.ID, sandbox.ErrClosed)
		case localKillDisk:
			res.ExitCode = 128 + int(syscall.SIGKILL) // and the output says why
		default:
			// Killed by a signal we did not send (kill -9 $$, the OOM
			// killer): report it as bash's $? would, 128+signal, as bwrap
			// and Daytona do.
			// (The init's commands come as 128+n already: cmd never ran.)
			if cmd.ProcessState == nil {
				break
			}
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				res.ExitCode = 128 + int(ws.Signal())
			}
		}
	}
	return res, nil
}

// buildEnv gives commands a small, known environment. tether's own
// environment is not passed on wholesale: it holds API keys the agent must
// not see.
func (s *localSandbox) buildEnv(extra map[string]string, tag string) []string {
	env := make(map[string]string, 16)
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if localPassEnv[k] || strings.HasPrefix(k, "LC_") {
			env[k] = v
		}
	}
	if env["PATH"] == "" {
		env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	env["HOME"] = s.homeDir()
	if s.iso.bwrap {
		env["TMPDIR"] = "/tmp"
	} else {
		env["TMPDIR"] = s.tmpDir()
	}
	for k, v := range s.env {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	out := make([]string, 0, len(env)+1)
	for k, v := range env {
		if k != localTagVar {
			out = append(out, k+"="+v)
		}
	}
	return append(out, tag)
}

// localPassEnv is the part of tether's environment commands inherit.
var localPassEnv = map[string]bool{
	"PATH": true, "LANG": true, "LANGUAGE": true, "TERM": true, "COLORTERM": true,
	"TZ": true, "USER": true, "LOGNAME": true, "SHELL": true,
}

func localCheckEnv(env map[string]string) error {
	for k, v := range env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("variable name %q is not valid: names must be non-empty without '=' or NUL", k)
		}
		if strings.ContainsRune(v, 0) {
			return fmt.Errorf("variable %s contains a NUL byte, which the environment cannot carry", k)
		}
	}
	return nil
}

// localPipes carries a command's output to the caller's writers as it is
// produced. We make the pipes ourselves rather than let os/exec do it so
// that Wait returns when the command exits, not when the last holder of the
// pipe lets go.
type localPipes struct {
	readers []*os.File
	writers []*os.File
	dests   []io.Writer
	once    sync.Once
}

func localOpenPipes(cmd *exec.Cmd, stdout, stderr io.Writer) (*localPipes, error) {
	p := &localPipes{}
	open := func(w io.Writer) (*os.File, error) {
		if w == nil {
			return nil, nil // os/exec connects it to /dev/null
		}
		r, wf, err := os.Pipe()
		if err != nil {
			p.closeWriters()
			p.closeReaders()
			return nil, err
		}
		p.readers = append(p.readers, r)
		p.writers = append(p.writers, wf)
		p.dests = append(p.dests, w)
		return wf, nil
	}
	out, err := open(stdout)
	if err != nil {
		return nil, err
	}
	if out != nil {
		cmd.Stdout = out
	}
	if out != nil && localSameWriter(stdout, stderr) {
		// One pipe for both, as os/exec does: the caller's writer then sees
		// one writer goroutine and the two streams interleave in order.
		cmd.Stderr = out
		return p, nil
	}
	errW, err := open(stderr)
	if err != nil {
		return nil, err
	}
	if errW != nil {
		cmd.Stderr = errW
	}
	return p, nil
}

// localSameWriter compares two writers without panicking on uncomparable
// dynamic types.
func localSameWriter(a, b io.Writer) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a != nil && a == b
}

func (p *localPipes) closeWriters() {
	for _, w := range p.writers {
		_ = w.Close()
	}
}

func (p *localPipes) closeReaders() {
	p.once.Do(func() {
		for _, r := range p.readers {
			_ = r.Close()
		}
	})
}

// pump copies every pipe to its writer and closes the returned channel when
// all are drained (or closed under them).
func (p *localPipes) pump() <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i, r := range p.readers {
		wg.Go(func() { localPump(p.dests[i], r) })
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}

// localPump keeps reading after the writer fails: a command blocked on a
// full pipe would otherwise never finish.
func localPump(w io.Writer, r io.Reader) {
	buf := make([]byte, 32*1024)
	var werr error
	for {
		n, err := r.Read(buf)
		if n > 0 && werr == nil {
			_, werr = w.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// localStdin connects r to the command's standard input through a pipe of
// our own: os/exec would make Wait wait for its copy, which blocks in
// r.Read for as long as r has nothing to say. Our copy ends when r does or
// when the returned function closes the pipe (after the command is over);
// a Read blocked in r until then returns into a closed pipe and stops.
func localStdin(cmd *exec.Cmd, r io.Reader) (done func(), err error) {
	if r == nil {
		return func() {}, nil // os/exec connects it to /dev/null
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdin = pr
	go func() {
		_, _ = io.Copy(pw, r)
		_ = pw.Close()
	}()
	return func() {
		_ = pr.Close()
		_ = pw.Close()
	}, nil
}
