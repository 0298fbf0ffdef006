package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/sandbox"
)

// Model is what the session needs of an LLM client (*llm.Client satisfies it).
type Model interface {
	Stream(ctx context.Context, req llm.Request, onDelta func(llm.Delta)) (llm.Response, error)
}

// Errors callers may test for with errors.Is.
var (
	ErrNoModel     = errors.New("no model configured: set Options.Model to send prompts (Shell works without one)")
	ErrClosed      = errors.New("session is closed: start a new session")
	ErrEmptyPrompt = errors.New("empty prompt: type something for the agent to do")
	ErrNoSandbox   = errors.New("no sandbox: set Options.Sandbox (create one with a sandbox.Provider)")
)

// DefaultMaxIterations bounds LLM calls per run when Options.MaxIterations is 0.
const DefaultMaxIterations = 100

// Options configures a Session.
type Options struct {
	Sandbox   sandbox.Sandbox // required; the session does NOT close it (its owner does)
	Model     Model           // nil: Send returns ErrNoModel, Shell still works
	ModelName string          // for display/results
	// ModelFor builds a client for another model: a resumed or forked
	// session goes on with the model its recording had switched to (the
	// user's ctrl+o), not the configured one. nil: Model's own WithModel
	// when it has one (*llm.Client does).
	ModelFor func(name string) (Model, error)
	// ModelPinned keeps Model for a resumed or forked session even when
	// its recording had switched to another (the user named this one).
	ModelPinned  bool
	SystemPrompt string // "" = built-in default
	// Tools makes the session's tools; it is called once per session, so
	// tools may keep per-session state (the terminal's cwd, the editor's
	// undo history) and an Executor running many prompts never shares
	// them. nil = DefaultTools(PlanningMode).
	Tools func() []Tool
	// ExtraTools makes custom tools, added to the set (a same-named tool
	// replaces the earlier one). Called once per session, like Tools.
	ExtraTools func() []Tool
	// ToolSources add tools once the sandbox exists (MCP servers, see
	// package mcp); a source that fails is reported, not fatal.
	ToolSources  []ToolSource
	PlanningMode bool
	StepMode     bool
	// Confirm asks for approval by policy besides step mode: every action
	// (ConfirmAlways) or those the model rates risky (ConfirmRisky).
	Confirm        ConfirmPolicy
	MaxIterations  int          // LLM calls per run; 0 = DefaultMaxIterations
	MaxBudgetUSD   float64      // 0 = unlimited; compared with the accumulated known cost
	RecordPath     string       // "" = no JSONL recording
	ConversationID string       // "" = generated
	Logger         *slog.Logger // nil = discard

	// Secrets are replaced by "[REDACTED]" in every event before it is
	// published or recorded, also when streamed output or text splits one
	// across chunks (the possible start of a secret is held back until
	// the next chunk shows whether it is one).
	Secrets []string
	// LiveBufferBytes bounds undelivered output text held for a slow
	// Events() reader; beyond it output is elided from the live view (not
	// from the recording). 0 = 1 MiB.
	LiveBufferBytes int64
	// PipelineRestore lets a Fork or Resume whose workspace comes back
	// from a local snapshot return at once: the copy runs in the
	// background while the branch starts (its first model call goes
	// out), and everything that touches the sandbox (tool calls, Shell,
	// TakeWheel, snapshot steps) waits for it; WorkspaceRestored says
	// when it is done. false: Fork returns with the files in place.
	PipelineRestore bool

	parent *parent         // set by Fork and Resume
	branch *providerBranch // set by Start: the provider restored the files
}

// Session owns one conversation with one sandbox. All methods are safe to
// call from any goroutine at any time.
type Session struct {
	opts   Options
	sb     sandbox.Sandbox
	model  Model
	logger *slog.Logger
	bus    *bus
	rec    *recorder
	// recordFailed is why the recording could not start ("" = it did).
	recordFailed string
	tools        map[string]Tool
	defs         []llm.Tool
	convID       string
	created      time.Time

	base       context.Context // cancelled by Close
	baseCancel context.CancelFunc
	wg         sync.WaitGroup // run loop and shell commands
	ctrl       chan struct{}  // wakes the run loop after a control call

	mu            sync.Mutex
	closed        bool
	closeDone     chan struct{} // closed when Close has finished
	state         State
	conv          []llm.Message
	notes         []string // user shell commands to tell the model about
	active        bool     // a run (or queue of runs) is in progress
	idle          chan struct{}
	queue         []string
	runCancel     context.CancelFunc
	cancelReason  string
	shells        map[int]context.CancelFunc
	shellSeq      int
	contextTried  bool // AGENTS.md was looked for (loadProjectContext)
	stepMode      bool
	approveAll    bool // ApproveAll: Options.Confirm asks no more
	sourceClosers []io.Closer
	pauseReq      bool
	pauseWhy      string // the paused state's reason when not the user's own pause
	wheel         *Wheel // the user's shell, while they have the wheel
	wheelSeq      int
	runNotes      []string // wheel notes for the active run's next model call
	pending       *Action
	openAction    string          // id of the action published but not yet observed
	queued        map[string]bool // ids announced by KindQueued that have not started
	decision      *decision
	totals        totals
	result        Result
	pendingCalls  []llm.ToolCall // a fork's tool calls still to run
	ended         bool           // the rebuilt run had ended: Continue needs a prompt

	snapMu sync.Mutex // serializes workspace snapshots (run loop, Shell)
	snaps  *snapshots
	psnaps *providerSnaps // nil: the sandbox takes no provider snapshots

	restored   *Restore // how a fork or resume put the workspace back
	restoreErr string   // why a snapshot could not be restored
	// wsReady, when a fork's restore runs in the background
	// (PipelineRestore), is closed once it has ended; wsSnap is the
	// snapshot it restores. Both are set before Fork returns, never after.
	wsReady chan struct{}
	wsSnap  string
}

type totals struct {
	prompt, completion int
	cost               float64
	calls, knownCalls  int
}

// New starts a session on a sandbox the caller holds (an agent spawned
// into an existing sandbox). It publishes one KindSandbox event.
func New(opts Options) (*Session, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return Spawn(ctx, opts.Sandbox, opts)
}

// Spawn is New with the sandbox given separately and a context bounding
// the start-up calls (reading the sandbox's description).
func Spawn(ctx context.Context, sb sandbox.Sandbox, opts Options) (*Session, error) {
	if sb == nil {
		return nil, ErrNoSandbox
	}
	opts.Sandbox = sb
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	convID := opts.ConversationID
	if convID == "" {
		convID = newID()
	}
	info, err := sb.Info(ctx)
	if err != nil {
		// Not fatal: the session can still run commands; show what we know.
		logger.Warn("sandbox info unavailable", "sandbox", sb.ID(), "err", err)
		info = sandbox.Info{ID: sb.ID(), WorkDir: sb.WorkDir(), State: "unknown"}
	}
	s := &Session{
		opts:      opts,
		sb:        sb,
		model:     opts.Model,
		logger:    logger.With("conversation", convID),
		convID:    convID,
		created:   time.Now(),
		ctrl:      make(chan struct{}, 1),
		closeDone: make(chan struct{}),
		state:     StateIdle,
		stepMode:  opts.StepMode,
		shells:    map[int]context.CancelFunc{},
	}
	s.setTools(opts)
	s.snaps = newSnapshots(sb, opts.RecordPath)
	s.psnaps = newProviderSnaps(sb, opts.RecordPath, convID)
	hdr := RecordHeader{
		ConversationID: convID, Model: opts.ModelName, Sandbox: &info,
		TetherVersion: Version, Start: s.created,
	}
	if p := opts.parent; p != nil {
		hdr.Parent, hdr.ParentConversation, hdr.ForkAt = p.path, p.conv, p.at
	}
	s.rec, err = openRecorder(opts.RecordPath, hdr, s.logger)
	var unrecorded error // opened but not written: a full disk
	if errors.Is(err, errNotRecording) {
		unrecorded, s.opts.RecordPath = err, ""
		s.recordFailed = err.Error()
		logger.Error("recording failed at start", "err", err)
	} else if err != nil {
		return nil, err
	}
	s.base, s.baseCancel = context.WithCancel(context.Background())
	s.bus = newBus(s.rec, newRedactor(opts.Secrets), opts.LiveBufferBytes, s.logger)
	if unrecorded != nil {
		s.bus.publish(Event{Kind: KindError, Error: &ErrorInfo{Message: RecordingStoppedNotice(unrecorded.Error())}})
	}
	s.conv = []llm.Message{{Role: llm.RoleSystem, Content: s.systemPrompt()}}
	s.result = Result{Status: StateIdle, SandboxID: sb.ID(), ConversationID: convID, RecordPath: s.opts.RecordPath, RecordError: s.recordError()}
	s.bus.publish(Event{Kind: KindSandbox, Sandbox: &info})
	s.addSourced(ctx, opts.ToolSources)
	return s, nil
}

func (s *Session) setTools(opts Options) {
	var base, extra []Tool
	if opts.Tools != nil {
		base = opts.Tools()
	} else {
		base = DefaultTools(opts.PlanningMode)
	}
	if opts.ExtraTools != nil {
		extra = opts.ExtraTools()
	}
	s.tools = map[string]Tool{}
	for _, t := range append(slices.Clone(base), extra...) {
		if t == nil {
			continue
		}
		def := t.Definition()
		if opts.Confirm == ConfirmRisky && def.Name != ToolFinish {
			def = withRiskField(def)
		}
		s.addTool(t, def)
	}
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "conv-" + hex.EncodeToString(b[:])
}

// ConversationID identifies the conversation (in results and recordings).
func (s *Session) ConversationID() string { return s.convID }

// Events is the session's event stream. There is one subscriber; the
// channel is closed after Close. Events published before the first call
// are kept for it; call it before Close (if it was never called, Close
// does not wait for a reader). Keep reading until the channel closes:
// Close lets a reader that keeps reading take every remaining event.
func (s *Session) Events() <-chan Event { return s.bus.events() }

// State is the session's current state.
func (s *Session) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Conversation returns a copy of the messages the model is sent.
func (s *Session) Conversation() []llm.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.conv)
}

// publish sends an event to the recording and the subscriber.
func (s *Session) publish(ev Event) Event { return s.bus.publish(ev) }

// setStateLocked changes the state and publishes the change. s.mu held.
func (s *Session) setStateLocked(to State, reason string) {
	if s.state == to {
		return
	}
	from := s.state
	s.state = to
	s.logger.Debug("state", "from", from, "to", to, "reason", reason)
	s.publish(Event{Kind: KindState, State: &StateChange{From: from, To: to, Reason: reason}})
}

func (s *Session) setState(to State, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setStateLocked(to, reason)
}

// wake tells the run loop a control setting changed.
func (s *Session) wake() {
	select {
	case s.ctrl <- struct{}{}:
	default:
	}
}

// Close cancels any run and shell command, waits for them, lets a reader
// that is still reading take the remaining events, closes Events() and the
// recording. The sandbox is left to its owner. Safe to call twice.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.closeDone // a concurrent Close finishes the job
		return nil
	}
	s.closed = true
	s.queue = nil
	if s.cancelReason == "" {
		s.cancelReason = "session closed"
	}
	s.mu.Unlock()
	s.baseCancel()
	s.wake()
	s.closeWheel()
	s.wg.Wait()
	// Tools that hold something in the sandbox (the terminal's shell and
	// what still runs in it) release it with the session.
	for name, t := range s.tools {
		if c, ok := t.(io.Closer); ok {
			if err := c.Close(); err != nil {
				s.logger.Warn("closing a tool", "tool", name, "err", err)
			}
		}
	}
	if err := s.closeSources(); err != nil {
		s.logger.Warn("closing tool sources", "err", err)
	}
	s.bus.close()
	s.snapMu.Lock()
	s.snaps.release() // prunes may take its snapshot stores now
	s.snapMu.Unlock()
	defer close(s.closeDone)
	if err := s.rec.close(); err != nil {
		return fmt.Errorf("session %s: %w", s.convID, err)
	}
	return nil
}
