package shellrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// Errors of Runner.
var (
	// ErrBusy: a command is still running; send it input, wait for it or
	// kill it before starting another.
	ErrBusy = errors.New("a command is still running")
	// ErrNotRunning: there is no running command to send input to.
	ErrNotRunning = errors.New("no command is running")
	// ErrClosed: the Runner was closed.
	ErrClosed = errors.New("the shell was closed")
	// ErrNoShell: the Terminal could not open a shell at all (the
	// sandbox has no PTY support, say).
	ErrNoShell = errors.New("could not open a shell")
)

// Timings of the protocol.
const (
	startTimeout = 30 * time.Second       // open + prepare a shell
	pingEvery    = 250 * time.Millisecond // re-ping while a shell starts
	intrGrace    = 300 * time.Millisecond // after Ctrl+C, before the tree kill
	killGrace    = time.Second            // after the tree kill, before the shell is replaced
	maxPending   = 64 << 20               // output kept for a detached command
)

// Result is how a command (or a wait on it) ended.
type Result struct {
	ExitCode  int  // the command's exit status; -1 when killed or unknown
	Running   bool // still running: Input, Wait or Kill it later
	TimedOut  bool // killed at the timeout
	Cancelled bool // killed because ctx was cancelled
	// Restarted: the shell itself ended during the command (exit, exec,
	// set -e, a kill). The next command gets a fresh shell in the working
	// directory and with the exported variables of the last finished one.
	Restarted bool
	Duration  time.Duration
	// Cwd is the shell's working directory after the command (as of the
	// last prompt seen; "" before the first).
	Cwd string
	// Lost: the transport dropped while the command ran (the Daytona
	// daemon drops a slow reader); output printed meanwhile is missing.
	Lost bool
}

// Runner runs commands over one persistent shell of a sandbox.Terminal,
// opening it on first use and again whenever it ends. Safe for concurrent
// use; one command runs at a time.
type Runner struct {
	term sandbox.Terminal
	spec sandbox.ShellSpec

	nonce  string // in the completion marker
	jobTag string // in JobVar, distinct from nonce: commands can read it

	mu        sync.Mutex
	stateFile string
	sh        *conn
	seq       int
	job       *job // running, or finished and not yet observed
	starting  bool // a Run is opening the shell: another Run is busy too
	closed    bool
	cwd       string // as of the last prompt
}

// New returns a Runner for shells of t opened with spec. The state that
// survives a shell restart is kept in a file under stateDir in the sandbox
// (default /tmp).
func New(t sandbox.Terminal, spec sandbox.ShellSpec, stateDir string) *Runner {
	if stateDir == "" {
		stateDir = "/tmp"
	}
	r := &Runner{term: t, spec: spec, nonce: randomHex(8), jobTag: randomHex(8)}
	r.stateFile = stateDir + "/.tether-shell-" + randomHex(6)
	return r
}

type conn struct {
	sh      sandbox.Shell
	pingSeq int
	ready   chan struct{}
	isReady bool
	ended   chan struct{}
}

// Running reports whether a command is still running.
func (r *Runner) Running() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.starting || r.job != nil && !r.job.finished()
}

// Run types cmd into the shell and streams its output into out until it
// finishes, ctx is cancelled (the command's whole tree is killed) or
// timeout passes (0: none). At the timeout the command is killed, unless
// keep is set: then it goes on running, its output is kept, and Result
// says Running.
func (r *Runner) Run(ctx context.Context, cmd string, out io.Writer, timeout time.Duration, keep bool) (Result, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return Result{}, ErrClosed
	}
	if r.starting || r.job != nil && !r.job.finished() {
		r.mu.Unlock()
		return Result{}, ErrBusy
	}
	r.job = nil
	// Opening the first shell takes a while: a second Run meanwhile is
	// busy, not a second shell opened beside the first.
	r.starting = true
	r.mu.Unlock()

	c, err := r.ensure(ctx)
	r.mu.Lock()
	r.starting = false
	r.mu.Unlock()
	if err != nil {
		return Result{}, err
	}
	r.mu.Lock()
	r.seq++
	j := &job{seq: r.seq, conn: c, w: out, done: make(chan struct{}), start: time.Now()}
	if g, ok := c.sh.(Gapper); ok {
		j.gaps = g.Gaps()
	}
	r.job = j
	r.mu.Unlock()
	if err := c.sh.Send(ctx, encodeCommand(cmd, j.seq, r.jobTag, keep || mayChangeTTY.MatchString(cmd))); err != nil {
		r.drop(c)
		r.mu.Lock()
		r.job = nil
		r.mu.Unlock()
		return Result{}, fmt.Errorf("type the command into the shell: %w", err)
	}
	return r.wait(ctx, j, timeout, keep), nil
}

// Input sends data (text or keys, see Keys) to the running command, then
// waits for it as Run does, streaming into out first what it printed since
// the last call. data may be empty: then it only waits.
func (r *Runner) Input(ctx context.Context, data []byte, out io.Writer, timeout time.Duration, keep bool) (Result, error) {
	r.mu.Lock()
	j := r.job
	r.mu.Unlock()
	if j == nil {
		return Result{}, ErrNotRunning
	}
	j.attach(out)
	if len(data) > 0 && !j.finished() {
		if data[len(data)-1] == 0x03 {
			j.interrupting()
		}
		if err := j.conn.sh.Send(ctx, data); err != nil {
			j.detach()
			return Result{}, fmt.Errorf("send input to the command: %w", err)
		}
	}
	return r.wait(ctx, j, timeout, keep), nil
}

// KillDetached kills the running command's whole tree if no call is
// waiting on it (it was left running after a timeout with keep), and
// reports whether it did.
func (r *Runner) KillDetached(ctx context.Context) bool {
	r.mu.Lock()
	j := r.job
	r.mu.Unlock()
	if j == nil || j.finished() {
		return false
	}
	j.mu.Lock()
	attached := j.w != nil
	j.mu.Unlock()
	if attached {
		return false
	}
	r.kill(ctx, j)
	return true
}

// Kill kills the running command's whole tree, if any.
func (r *Runner) Kill(ctx context.Context) {
	r.mu.Lock()
	j := r.job
	r.mu.Unlock()
	if j != nil && !j.finished() {
		r.kill(ctx, j)
	}
}

func (r *Runner) wait(ctx context.Context, j *job, timeout time.Duration, keep bool) Result {
	var tc <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		tc = t.C
	}
	var resync <-chan time.Time
	if _, ok := j.conn.sh.(Gapper); ok {
		t := time.NewTicker(resyncEvery)
		defer t.Stop()
		resync = t.C
	}
	res := Result{}
wait:
	for {
		select {
		case <-j.done:
		case <-ctx.Done():
			r.kill(ctx, j)
			res.Cancelled = true
		case <-tc:
			if keep {
				j.detach()
				return Result{Running: true, ExitCode: -1, Duration: time.Since(j.start), Cwd: r.Cwd(), Lost: j.lost}
			}
			r.kill(ctx, j)
			res.TimedOut = true
		case <-resync:
			r.resync(ctx, j)
			continue wait
		}
		break
	}
	j.detach()
	r.mu.Lock()
	if r.job == j {
		r.job = nil
	}
	r.mu.Unlock()
	res.ExitCode, res.Restarted, res.Duration = j.code, j.restarted, time.Since(j.start)
	res.Cwd, res.Lost = r.Cwd(), j.lost
	if res.Cancelled || res.TimedOut {
		res.ExitCode = -1
	}
	return res
}

// Cwd is the shell's working directory as of the last prompt ("" before
// the first).
func (r *Runner) Cwd() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cwd
}

// kill interrupts the command (Ctrl+C for its foreground job), kills every
// process tagged with its job entry wherever it went, and replaces the
// shell when that does not bring the prompt back (a builtin loop, a trap).
func (r *Runner) kill(ctx context.Context, j *job) {
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	sh := j.conn.sh
	// Ctrl+C first: bash then abandons the rest of the command line, which
	// it would not do for a job that died of SIGKILL.
	j.interrupting()
	_ = sh.Send(kctx, []byte{0x03})
	select {
	case <-j.done:
	case <-time.After(intrGrace):
	}
	// Then what the job left behind (&, nohup, setsid) and a foreground
	// job that ignores SIGINT.
	_ = sh.KillTagged(kctx, JobVar+"="+r.jobTag+"/"+strconv.Itoa(j.seq))
	select {
	case <-j.done:
		return
	case <-time.After(killGrace):
	}
	r.drop(j.conn)
	j.finish(-1, true)
}

// drop closes a shell and waits until its reader has finished.
func (r *Runner) drop(c *conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = c.sh.Close(ctx)
	select {
	case <-c.ended:
	case <-ctx.Done():
	}
	r.mu.Lock()
	if r.sh == c {
		r.sh = nil
	}
	r.mu.Unlock()
}

// ensure returns the current shell, opening and preparing one if needed.
func (r *Runner) ensure(ctx context.Context) (*conn, error) {
	r.mu.Lock()
	if c := r.sh; c != nil {
		r.mu.Unlock()
		return c, nil
	}
	spec := r.spec
	spec.Env = maps.Clone(r.spec.Env)
	if spec.Env == nil {
		spec.Env = map[string]string{}
	}
	maps.Copy(spec.Env, shellEnv(r.nonce, r.stateFile, r.spec.Cwd))
	r.seq++
	c := &conn{pingSeq: r.seq, ready: make(chan struct{}), ended: make(chan struct{})}
	r.mu.Unlock()

	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	sh, err := r.term.OpenShell(sctx, spec)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoShell, err)
	}
	c.sh = sh
	go r.read(c)
	fail := func(err error) (*conn, error) {
		r.drop(c)
		return nil, err
	}
	if err := sh.Send(sctx, []byte(bootstrapLine)); err != nil {
		return fail(fmt.Errorf("start bash in the shell: %w", err))
	}
	tick := time.NewTicker(pingEvery)
	defer tick.Stop()
	for {
		// A ping is repeated: a shell that was exec'ed away may have read
		// one meant for its successor.
		if err := sh.Send(sctx, encodePing(c.pingSeq)); err != nil {
			return fail(fmt.Errorf("prepare the shell: %w", err))
		}
		select {
		case <-c.ready:
			r.mu.Lock()
			if r.closed {
				r.mu.Unlock()
				return fail(ErrClosed)
			}
			r.sh = c
			r.mu.Unlock()
			return c, nil
		case <-c.ended:
			return fail(fmt.Errorf("the shell ended while starting (exit code %d): check that bash is installed in the sandbox", sh.ExitCode()))
		case <-sctx.Done():
			return fail(fmt.Errorf("the shell did not get ready: %w", sctx.Err()))
		case <-tick.C:
		}
	}
}

// read feeds one shell's output to the parser until the shell ends.
func (r *Runner) read(c *conn) {
	defer close(c.ended)
	p := &parser{
		prefix: []byte(markStart + r.nonce + ":"),
		emit:   func(b []byte) { r.emit(c, b) },
		prompt: func(seq, st int, cwd string) { r.prompt(c, seq, st, cwd) },
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := c.sh.Read(buf)
		if n > 0 {
			p.feed(buf[:n])
		}
		if err != nil {
			break
		}
	}
	p.flush()
	<-c.sh.Done()
	r.mu.Lock()
	if r.sh == c {
		r.sh = nil
	}
	j := r.job
	r.mu.Unlock()
	if j != nil && j.conn == c {
		j.finish(c.sh.ExitCode(), true)
	}
}

func (r *Runner) emit(c *conn, b []byte) {
	r.mu.Lock()
	j := r.job
	r.mu.Unlock()
	if j != nil && j.conn == c && !j.finished() {
		j.write(b)
	}
}

func (r *Runner) prompt(c *conn, seq, status int, cwd string) {
	r.mu.Lock()
	if cwd != "" {
		r.cwd = cwd
	}
	if !c.isReady && seq == c.pingSeq {
		c.isReady = true
		close(c.ready)
	}
	j := r.job
	r.mu.Unlock()
	if j != nil && j.conn == c && j.seq == seq {
		j.finish(status, false)
	}
}

// Reset ends the shell (killing what runs in it) and forgets the carried
// state: the next command starts in a fresh shell.
func (r *Runner) Reset(ctx context.Context) {
	r.Kill(ctx)
	r.mu.Lock()
	c := r.sh
	r.stateFile = r.stateFile[:len(r.stateFile)-12] + randomHex(6)
	r.job, r.cwd = nil, ""
	r.mu.Unlock()
	if c != nil {
		r.drop(c)
	}
}

// Close kills the running command's tree and the shell. Safe to call twice.
func (r *Runner) Close(ctx context.Context) error {
	r.Kill(ctx)
	r.mu.Lock()
	r.closed = true
	c := r.sh
	r.mu.Unlock()
	if c != nil {
		r.drop(c)
	}
	return nil
}
