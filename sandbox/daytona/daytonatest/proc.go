package daytonatest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// markerVar is put in the environment of every process the fake starts, so
// cleanup can find descendants that moved to their own session or process
// group (as tether's kill wrapper does with setsid).
const markerVar = "SANDBOXTEST_MARK"

// chunk is a piece of output from one stream.
type chunk struct {
	stderr bool
	data   []byte
}

// runningProc is a command the fake started, with its output log. Readers
// follow the log through changed, a channel closed and replaced whenever
// output arrives or the command ends.
type runningProc struct {
	id, command string
	cmd         *exec.Cmd

	mu       sync.Mutex
	chunks   []chunk
	exited   bool // the exit code is known
	done     bool // exited and the output is complete
	exitCode int
	changed  chan struct{}
	finished chan struct{}
}

func (s *Server) startProc(sb *fakeSandbox, argv []string, cwd string, env map[string]string, id string) (*runningProc, error) {
	if len(argv) == 0 {
		return nil, errors.New("empty command")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = sb.Dir
	if cwd != "" {
		cmd.Dir = resolve(sb.Dir, cwd)
	}
	sb.ranProcs.Store(true)
	cmd.Env = append(os.Environ(), s.sandboxEnv(sb)...)
	for k, v := range sb.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &runningProc{id: id, command: strings.Join(argv, " "), cmd: cmd, changed: make(chan struct{}), finished: make(chan struct{})}
	// Our own pipes, so Wait does not wait for them: like the daemon, whose
	// commands write to log files, the exit code is known when the command
	// exits, even if a background child still holds its output open.
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return nil, err
	}
	var copies sync.WaitGroup
	for _, c := range []struct {
		r      *os.File
		stderr bool
	}{{outR, false}, {errR, true}} {
		copies.Add(1)
		go func() {
			defer copies.Done()
			_, _ = io.Copy(&procWriter{p: p, stderr: c.stderr}, c.r)
		}()
	}
	copied := make(chan struct{})
	go func() { copies.Wait(); close(copied) }()
	go func() {
		_ = cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
		p.mu.Lock()
		p.exited, p.exitCode = true, code
		p.mu.Unlock()
		// Output still in the pipes is flushed; what background children
		// write later is lost, as it is for the daemon's log stream.
		select {
		case <-copied:
		case <-time.After(outputGrace):
			outR.Close()
			errR.Close()
			<-copied
		}
		outR.Close()
		errR.Close()
		p.mu.Lock()
		p.done = true
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
		close(p.finished)
	}()
	return p, nil
}

// outputGrace is how long output is still collected after a command exits.
const outputGrace = 200 * time.Millisecond

type procWriter struct {
	p      *runningProc
	stderr bool
}

func (w *procWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	w.p.chunks = append(w.p.chunks, chunk{stderr: w.stderr, data: bytes.Clone(b)})
	close(w.p.changed)
	w.p.changed = make(chan struct{})
	w.p.mu.Unlock()
	return len(b), nil
}

// from returns the chunks after index i, whether the command has ended, and a
// channel that is closed on the next change.
func (p *runningProc) from(i int) ([]chunk, bool, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.chunks[i:], p.done, p.changed
}

// outputs returns the stdout, stderr and interleaved output so far.
func (p *runningProc) outputs() (stdout, stderr, all string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var o, e, a strings.Builder
	for _, c := range p.chunks {
		a.Write(c.data)
		if c.stderr {
			e.Write(c.data)
		} else {
			o.Write(c.data)
		}
	}
	return o.String(), e.String(), a.String()
}

func (p *runningProc) exit() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitCode, p.exited
}

func (p *runningProc) wait(ctx context.Context) bool {
	select {
	case <-p.finished:
		return true
	case <-ctx.Done():
		return false
	}
}

// kill kills the command's process group, unless the command is over: its
// group id may then belong to someone else.
func (p *runningProc) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.exited && p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// killAll kills every process group the sandbox's commands started.
func (sb *fakeSandbox) killAll() {
	sb.procMu.Lock()
	var ps []*runningProc
	for p := range sb.execs {
		ps = append(ps, p)
	}
	for _, ss := range sb.sessions {
		for _, p := range ss.cmds {
			ps = append(ps, p)
		}
	}
	sb.procMu.Unlock()
	for _, p := range ps {
		p.kill()
	}
}

// killMarked kills every process whose environment carries this server's
// marker (and, when sandboxID is not empty, that sandbox's). Linux only; a
// no-op where /proc is missing.
func killMarked(token, sandboxID string) {
	want := []byte(markerVar + "=" + token + "/" + sandboxID)
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	self := os.Getpid()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for v := range bytes.SplitSeq(env, []byte{0}) {
			if bytes.HasPrefix(v, want) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				break
			}
		}
	}
}

// sandboxEnv is what every process of the sandbox gets on top of this
// process's environment: its own home and temp directory (so files a client
// leaves in /tmp-like places die with the sandbox) and the cleanup marker.
func (s *Server) sandboxEnv(sb *fakeSandbox) []string {
	return []string{"HOME=" + sb.Dir, "TMPDIR=" + filepath.Join(sb.Dir, ".tmp"), markerVar + "=" + s.token + "/" + sb.ID}
}

// resolve maps a sandbox path to a real one: relative paths live under the
// sandbox directory, absolute ones are used as they are.
func resolve(dir, p string) string {
	if p == "" {
		return dir
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		p = strings.TrimPrefix(strings.TrimPrefix(p, "~"), "/")
	}
	return filepath.Join(dir, p)
}

// splitArgs splits a command line like the Daytona daemon does for
// /process/execute: words separated by blanks, with single quotes, double
// quotes and backslashes; no shell operators (use "sh -c ...").
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	var quote rune
	esc := false
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch r {
			case '"':
				quote = 0
			case '\\':
				esc = true
			default:
				cur.WriteRune(r)
			}
		case r == '\\':
			esc, inWord = true, true
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || esc {
		return nil, errors.New("unterminated quote or escape in command")
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}
