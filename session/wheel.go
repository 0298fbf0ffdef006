package session

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/sandbox"
)

// KindWheel reports that the user took the wheel: they had a live shell
// of their own in the sandbox while the agent waited, and handed back.
// It carries what they ran and which files changed, and the note the
// model is given about it.
const KindWheel Kind = "wheel"

// WheelInfo is the payload of a KindWheel event.
type WheelInfo struct {
	// Commands are the command lines the user ran, in order, as the
	// shell's history recorded them (bounded by maxWheelCommands).
	Commands []WheelCommand `json:"commands,omitempty"`
	// CommandsDropped counts commands left out beyond the bound.
	CommandsDropped int `json:"commands_dropped,omitempty"`
	// CommandsUnknown says why the commands could not be recorded ("" =
	// they were).
	CommandsUnknown string `json:"commands_unknown,omitempty"`
	// Files are the workspace files added, modified or deleted, judged
	// by a before/after listing (kind, size, mode, modification time).
	Files        []FileChange `json:"files,omitempty"`
	FilesDropped int          `json:"files_dropped,omitempty"`
	// FilesUnknown says why files could not be compared ("" = they were).
	FilesUnknown string        `json:"files_unknown,omitempty"`
	Duration     time.Duration `json:"duration_ns"`
	// Note is exactly what the model is told.
	Note string `json:"note"`
	// InRun: handed back while a run waited; the note goes to the model
	// as a user message before that run's next model call. Otherwise it
	// goes with the next prompt, as a `!cmd`'s note does.
	InRun bool `json:"in_run,omitempty"`
}

// WheelCommand is one command line the user ran.
type WheelCommand struct {
	Command string `json:"command"`
	// ExitCode is nil when the command was still running at hand-back.
	ExitCode *int      `json:"exit_code,omitempty"`
	Time     time.Time `json:"time,omitzero"`
}

// FileChange is one workspace entry the user changed.
type FileChange struct {
	Path   string `json:"path"` // relative to the workspace
	Change string `json:"change"`
}

// The kinds of FileChange.
const (
	FileAdded    = "added"
	FileModified = "modified"
	FileDeleted  = "deleted"
)

// ErrWheelTaken is returned by TakeWheel while the user already has it.
var ErrWheelTaken = errors.New("you already have the wheel: hand it back first")

// Wheel is the user's live shell in the sandbox, opened by TakeWheel. Its
// output is the terminal's raw byte stream: render it through a terminal
// emulator, never to a real terminal. Call HandBack when done (also when
// the shell has ended by itself).
type Wheel struct {
	s       *Session
	shell   sandbox.Shell
	started time.Time
	before  listing
	beforeE error
	logPath string
	paused  bool // TakeWheel asked for the pause (Resume on hand-back)

	pre []byte // output that came with the ready marker, for Read

	once sync.Once
	info WheelInfo
	err  error
}

// wheelReadyWait bounds how long TakeWheel waits for the shell to be
// prepared; wheelBootstrapAfter is when it types the line that turns
// another shell (the Daytona daemon prefers zsh) into a prepared bash.
var (
	wheelReadyWait      = 20 * time.Second
	wheelBootstrapAfter = 1500 * time.Millisecond
)

// TakeWheel pauses the agent and opens a shell of the user's own in the
// sandbox, in the terminal tool's working directory. It blocks (call it
// from a goroutine): a tool call in progress finishes first, and the
// agent then waits at its next step (before the next model call or tool
// call); a run waiting for approval keeps waiting. cols and rows are the
// terminal's size. ctx bounds the wait and the opening, not the shell.
func (s *Session) TakeWheel(ctx context.Context, cols, rows int) (*Wheel, error) {
	term, ok := sandbox.As[sandbox.Terminal](s.sb)
	if !ok {
		return nil, errors.New("this sandbox cannot open a terminal, so the wheel cannot be taken")
	}
	if err := s.awaitWorkspace(ctx); err != nil { // a fork's files are put back first
		return nil, err
	}
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return nil, ErrClosed
	case s.wheel != nil:
		s.mu.Unlock()
		return nil, ErrWheelTaken
	}
	w := &Wheel{s: s, started: time.Now()}
	s.wheel = w
	if s.active && !s.pauseReq {
		s.pauseReq, w.paused = true, true
		s.pauseWhy = "paused: you have the wheel"
	}
	s.mu.Unlock()
	s.wake()
	fail := func(err error) (*Wheel, error) {
		s.mu.Lock()
		s.wheel = nil
		s.mu.Unlock()
		if w.paused {
			s.Resume()
		}
		return nil, err
	}
	if err := s.awaitStopped(ctx); err != nil {
		return fail(fmt.Errorf("waiting for the agent to pause: %w", err))
	}
	w.before, w.beforeE = listWorkspace(ctx, s.sb)
	nonce := wheelNonce()
	w.logPath = "/tmp/.tether-wheel-" + nonce + ".log"
	cwd := s.sb.WorkDir()
	if t, ok := s.tools[ToolTerminal].(*TerminalTool); ok && t.Cwd() != "" {
		cwd = t.Cwd()
	}
	sh, err := term.OpenShell(ctx, sandbox.ShellSpec{Cwd: cwd, Env: wheelEnv(nonce, w.logPath, cwd), Cols: cols, Rows: rows})
	if err != nil {
		return fail(fmt.Errorf("opening a shell in the sandbox: %w", err))
	}
	s.mu.Lock()
	w.shell = sh
	closed := s.closed
	s.mu.Unlock()
	if closed { // Close ran meanwhile and could not see this shell
		_ = sh.Close(context.WithoutCancel(ctx))
		return fail(ErrClosed)
	}
	pre, err := awaitWheelReady(ctx, sh, []byte(wheelMarker(nonce)))
	if err != nil {
		_ = sh.Close(context.WithoutCancel(ctx))
		return fail(err)
	}
	w.pre = pre
	return w, nil
}

// awaitStopped waits until no run is active, or the active one is
// paused or waiting for approval.
func (s *Session) awaitStopped(ctx context.Context) error {
	for {
		s.mu.Lock()
		stopped := !s.active || s.state == StatePaused || s.state == StateWaiting
		s.mu.Unlock()
		if stopped {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// awaitWheelReady reads the shell's output until the ready marker, and
// returns what followed it (the prompt). What came before (an echoed
// bootstrap line, another shell's prompt) is dropped.
func awaitWheelReady(ctx context.Context, sh sandbox.Shell, marker []byte) ([]byte, error) {
	type chunk struct {
		b   []byte
		err error
	}
	ch := make(chan chunk, 1)
	stop := make(chan struct{})
	defer close(stop)
	var buf []byte
	readOne := func() {
		go func() {
			p := make([]byte, 32<<10)
			n, err := sh.Read(p)
			select {
			case ch <- chunk{p[:n], err}:
			case <-stop:
			}
		}()
	}
	readOne()
	boot := time.NewTimer(wheelBootstrapAfter)
	defer boot.Stop()
	limit := time.NewTimer(wheelReadyWait)
	defer limit.Stop()
	for {
		select {
		case c := <-ch:
			buf = append(buf, c.b...)
			if i := bytes.Index(buf, marker); i >= 0 {
				return buf[i+len(marker):], nil
			}
			if len(buf) > 1<<20 {
				buf = buf[len(buf)-len(marker):]
			}
			if c.err != nil {
				return nil, fmt.Errorf("the shell in the sandbox ended before it was ready (%v)", c.err)
			}
			readOne()
		case <-boot.C:
			if err := sh.Send(ctx, []byte(wheelBootstrapLine)); err != nil {
				return nil, fmt.Errorf("preparing the shell: %w", err)
			}
		case <-limit.C:
			return nil, fmt.Errorf("the shell in the sandbox was not ready within %s", wheelReadyWait)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Read returns the shell's output (raw terminal bytes); io.EOF once the
// shell has ended. One reader at a time.
func (w *Wheel) Read(p []byte) (int, error) {
	if len(w.pre) > 0 {
		n := copy(p, w.pre)
		w.pre = w.pre[n:]
		return n, nil
	}
	return w.shell.Read(p)
}

// Send types p (keys encoded as a terminal sends them) into the shell.
func (w *Wheel) Send(ctx context.Context, p []byte) error { return w.shell.Send(ctx, p) }

// Resize changes the terminal's size (the shell gets SIGWINCH).
func (w *Wheel) Resize(ctx context.Context, cols, rows int) error {
	return w.shell.Resize(ctx, cols, rows)
}

// Done is closed when the shell has ended by itself (the user typed exit).
func (w *Wheel) Done() <-chan struct{} { return w.shell.Done() }

// HandBack closes the shell and everything the user started in it,
// records what they did (a KindWheel event: commands, files changed),
// tells the model about it and lets the agent go on if TakeWheel paused
// it. It blocks; calling it again returns the first result.
func (w *Wheel) HandBack(ctx context.Context) (WheelInfo, error) {
	w.once.Do(func() { w.info, w.err = w.handBack(ctx) })
	return w.info, w.err
}

func (w *Wheel) handBack(ctx context.Context) (WheelInfo, error) {
	s := w.s
	ctx = context.WithoutCancel(ctx)
	closeErr := w.shell.Close(ctx)
	info := WheelInfo{Duration: time.Since(w.started)}
	log, err := readWheelLog(ctx, s.sb, w.logPath)
	if err != nil {
		info.CommandsUnknown = err.Error()
	} else {
		info.Commands, info.CommandsDropped = parseWheelLog(log)
	}
	if w.beforeE != nil {
		info.FilesUnknown = w.beforeE.Error()
	} else if after, err := listWorkspace(ctx, s.sb); err != nil {
		info.FilesUnknown = err.Error()
	} else {
		info.Files, info.FilesDropped = compareListings(w.before, after)
	}
	s.mu.Lock()
	s.wheel = nil
	s.wheelSeq++
	id := fmt.Sprintf("wheel_%d", s.wheelSeq)
	info.InRun = s.active
	s.mu.Unlock()
	info.Note = wheelNote(info)
	if len(info.Files) > 0 || info.FilesUnknown != "" {
		s.snapshotStep(ctx, id, false)
		s.providerSnapshotStep(ctx, "wheel", nil, id)
	}
	ev := s.publish(Event{Kind: KindWheel, Wheel: &info})
	note := ev.Wheel.Note // as recorded: redacted
	s.mu.Lock()
	if info.InRun {
		s.runNotes = append(s.runNotes, note)
	} else {
		s.notes = append(s.notes, note)
	}
	s.mu.Unlock()
	if w.paused {
		s.mu.Lock()
		s.pauseWhy = ""
		s.mu.Unlock()
		s.Resume()
	}
	if closeErr != nil {
		return *ev.Wheel, fmt.Errorf("closing your shell in the sandbox: %w", closeErr)
	}
	return *ev.Wheel, nil
}

// closeWheel closes a wheel still open when the session closes.
func (s *Session) closeWheel() {
	s.mu.Lock()
	var sh sandbox.Shell
	if s.wheel != nil {
		sh = s.wheel.shell
	}
	s.mu.Unlock()
	if sh != nil {
		_ = sh.Close(context.Background())
	}
}

func wheelNonce() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// deliverRunNotes gives the model, as a user message before its next
// call, what the user did at the wheel while this run waited.
func (s *Session) deliverRunNotes() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.runNotes) == 0 {
		return
	}
	s.conv = append(s.conv, llm.Message{Role: llm.RoleUser, Content: strings.Join(s.runNotes, "\n\n")})
	s.runNotes = nil
}
