// Package ptyterm runs a program on a pseudo-terminal and reads its output
// through a real terminal emulator (charmbracelet/x/vt), so a benchmark sees
// the screen as the user would, with a timestamp for every chunk of output
// the program wrote: the moment the harness read it and the emulator
// applied it.
//
// It owns only measurement plumbing (pty, emulator, waits, counters); it
// must not know anything about tether's screens beyond what callers match.
package ptyterm

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
)

// Term is one program on a pty behind an emulator.
type Term struct {
	Cmd   *exec.Cmd
	W, H  int
	Start time.Time // just before exec

	ptmx *os.File
	emu  *vt.Emulator

	mu       sync.Mutex
	lines    []string // screen text, refreshed after each chunk
	dirty    bool     // lines is stale
	watchers []*watch
	onChunk  func(t time.Time, n int, screen func() []string)
	bytes    int64
	chunks   int64
	bursts   []Burst
	lastRead time.Time
	exited   chan struct{}
	readErr  error
}

// Burst is output that arrived with no gap longer than BurstGap: one frame
// of a renderer that writes a frame at a time.
type Burst struct {
	At    time.Time
	Bytes int
}

// BurstGap separates two bursts (frames) of output.
const BurstGap = 2 * time.Millisecond

type watch struct {
	cond func(lines []string) bool
	done chan time.Time
}

// Options start a Term.
type Options struct {
	Path string
	Args []string
	Env  []string
	Dir  string
	W, H int
}

// Run starts the program on a new pty of W×H.
func Run(o Options) (*Term, error) {
	if o.W == 0 {
		o.W, o.H = 160, 48
	}
	cmd := exec.Command(o.Path, o.Args...)
	cmd.Env, cmd.Dir = o.Env, o.Dir
	t := &Term{Cmd: cmd, W: o.W, H: o.H, emu: vt.NewEmulator(o.W, o.H), exited: make(chan struct{}), dirty: true}
	t.Start = time.Now()
	ptmx, err := pty.StartWithAttrs(cmd, &pty.Winsize{Cols: uint16(o.W), Rows: uint16(o.H)},
		&syscall.SysProcAttr{Setsid: true, Setctty: true})
	if err != nil {
		return nil, fmt.Errorf("start %s on a pty: %w", o.Path, err)
	}
	t.ptmx = ptmx
	// The emulator answers the program's queries (colours, modes, cursor
	// position) through its input pipe: forward those answers to the pty.
	go func() { _, _ = io.Copy(ptmx, t.emu) }()
	go t.read()
	return t, nil
}

func (t *Term) read() {
	buf := make([]byte, 64<<10)
	for {
		n, err := t.ptmx.Read(buf)
		if n > 0 {
			t.apply(buf[:n])
		}
		if err != nil {
			t.mu.Lock()
			t.readErr = err
			t.mu.Unlock()
			close(t.exited)
			return
		}
	}
}

// apply feeds one chunk to the emulator and checks the watchers; the time
// recorded is when the chunk was read, before parsing (parsing is the
// terminal's cost, like a real terminal's, and is small next to a frame).
func (t *Term) apply(p []byte) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	_, _ = t.emu.Write(p)
	t.dirty = true
	t.bytes += int64(len(p))
	t.chunks++
	if n := len(t.bursts); n > 0 && now.Sub(t.lastRead) <= BurstGap {
		t.bursts[n-1].Bytes += len(p)
	} else {
		t.bursts = append(t.bursts, Burst{At: now, Bytes: len(p)})
	}
	t.lastRead = now
	if t.onChunk != nil {
		t.onChunk(now, len(p), t.screenLocked)
	}
	if len(t.watchers) == 0 {
		return
	}
	lines := t.screenLocked()
	keep := t.watchers[:0]
	for _, w := range t.watchers {
		if w.cond(lines) {
			w.done <- now
			continue
		}
		keep = append(keep, w)
	}
	t.watchers = keep
}

func (t *Term) screenLocked() []string {
	if t.dirty {
		t.lines = t.lines[:0]
		for y := 0; y < t.H; y++ {
			var b strings.Builder
			for x := 0; x < t.W; x++ {
				c := t.emu.CellAt(x, y)
				if c == nil || c.Content == "" {
					if c == nil || c.Width != 0 {
						b.WriteByte(' ')
					}
					continue
				}
				b.WriteString(c.Content)
			}
			t.lines = append(t.lines, b.String())
		}
		t.dirty = false
	}
	return t.lines
}

// Screen is the screen's text now, one string per row.
func (t *Term) Screen() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.screenLocked()...)
}

// OnChunk sets a function called (with the Term locked) after each chunk of
// output is applied; screen returns the rows then. Keep it cheap.
func (t *Term) OnChunk(f func(at time.Time, n int, screen func() []string)) {
	t.mu.Lock()
	t.onChunk = f
	t.mu.Unlock()
}

// Expect starts waiting for the first chunk after which cond holds on the
// screen (checked at once too). Call it before sending what causes it.
func (t *Term) Expect(cond func(lines []string) bool) *Expectation {
	w := &watch{cond: cond, done: make(chan time.Time, 1)}
	t.mu.Lock()
	if cond(t.screenLocked()) {
		w.done <- time.Now()
	} else {
		t.watchers = append(t.watchers, w)
	}
	t.mu.Unlock()
	return &Expectation{t: t, w: w}
}

// Expectation is a screen state being waited for.
type Expectation struct {
	t *Term
	w *watch
}

// Wait returns when the screen first matched, or an error with the screen
// after timeout or when the program ended.
func (e *Expectation) Wait(timeout time.Duration) (time.Time, error) {
	tm := time.NewTimer(timeout)
	defer tm.Stop()
	select {
	case at := <-e.w.done:
		return at, nil
	case <-tm.C:
	case <-e.t.exited:
		select {
		case at := <-e.w.done:
			return at, nil
		default:
		}
	}
	e.t.mu.Lock()
	for i, x := range e.t.watchers {
		if x == e.w {
			e.t.watchers = append(e.t.watchers[:i], e.t.watchers[i+1:]...)
			break
		}
	}
	e.t.mu.Unlock()
	return time.Time{}, fmt.Errorf("screen never matched within %v; screen:\n%s", timeout, strings.Join(e.t.Screen(), "\n"))
}

// WaitFor is Expect(cond).Wait(timeout).
func (t *Term) WaitFor(cond func(lines []string) bool, timeout time.Duration) (time.Time, error) {
	return t.Expect(cond).Wait(timeout)
}

// Send writes keys (raw bytes, as a terminal sends them) and returns the
// time just before the write.
func (t *Term) Send(s string) time.Time {
	now := time.Now()
	_, _ = t.ptmx.Write([]byte(s))
	return now
}

// Counters are the output totals so far.
func (t *Term) Counters() (bytes, chunks int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bytes, t.chunks
}

// Bursts returns and forgets the output bursts so far (the last one may
// still grow).
func (t *Term) Bursts() []Burst {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.bursts
	t.bursts = nil
	return b
}

// Contains reports whether any row holds s.
func Contains(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// CPU is the process's user+system CPU time so far (Linux /proc; the
// process itself, not its children).
func (t *Term) CPU() (time.Duration, error) {
	return ProcCPU(t.Cmd.Process.Pid)
}

// ProcCPU is a process's user+system CPU time from /proc/PID/stat.
func ProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	var ut, st int64
	_, _ = fmt.Sscan(f[11], &ut)
	_, _ = fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * time.Second / clkTck, nil
}

// clkTck is USER_HZ, 100 on every Linux this runs on.
const clkTck = 100

// Exited is closed when the program's side of the pty is gone.
func (t *Term) Exited() <-chan struct{} { return t.exited }

// Close ends the program: SIGTERM, then SIGKILL after grace, and waits.
func (t *Term) Close(grace time.Duration) error {
	if t.Cmd.Process != nil {
		_ = t.Cmd.Process.Signal(syscall.SIGTERM)
	}
	waited := make(chan error, 1)
	go func() { waited <- t.Cmd.Wait() }()
	var err error
	select {
	case err = <-waited:
	case <-time.After(grace):
		_ = t.Cmd.Process.Kill()
		err = <-waited
	}
	_ = t.ptmx.Close()
	_ = t.emu.Close()
	return err
}
