package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui"
)

// EngineOptions configure an interactive Engine.
type EngineOptions struct {
	Provider sandbox.Provider
	Spec     sandbox.Spec
	Registry *sandbox.Registry // every sandbox created is tracked here
	// Session is the session's settings; Sandbox is filled in by the engine.
	Session session.Options
	// NoModelHint is shown when Session.Model is nil.
	NoModelHint string
	Logger      *slog.Logger
	// From starts the session from a recording: a fork at an event
	// (with an edit) or a resume at its end. The branch goes on at once
	// when it has something to go on with (a cut-short run, a forked
	// step); an ended run waits for a prompt.
	From *session.Branch
	// Reuse attaches to this sandbox (a resumed recording's) when the
	// provider can and it is still there, instead of creating one.
	Reuse string
}

// Engine runs one interactive session for the TUI. The sandbox is created
// in the background so the screen opens at once; commands given before it
// is ready are queued and run when it is.
type Engine struct {
	opts    EngineOptions
	log     *slog.Logger
	events  chan session.Event
	ctx     context.Context // ends creation on shutdown
	stop    context.CancelFunc
	created chan struct{} // closed when the creator goroutine ends
	// failed is set, with the queue dropped, when creation left no
	// session: from then on calls are refused, not queued (e.mu).
	failed   bool
	detached chan struct{} // closed when nobody reads events any more
	detach   sync.Once
	seq      atomic.Int64

	mu        sync.Mutex
	run       *session.Running // set once the session exists
	sess      *session.Session
	queued    []func(*session.Session) error
	stepMode  bool
	shutdown  bool
	nextModel string // switched to before the session existed

	shutdownOnce sync.Once
	shutdownErr  error
}

// StartEngine begins creating the sandbox and returns at once.
func StartEngine(opts EngineOptions) *Engine {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, stop := context.WithCancel(context.Background())
	e := &Engine{
		opts:     opts,
		log:      log,
		events:   make(chan session.Event, 256),
		ctx:      ctx,
		stop:     stop,
		stepMode: opts.Session.StepMode,
		created:  make(chan struct{}),
		detached: make(chan struct{}),
	}
	go e.create()
	return e
}

func (e *Engine) create() {
	defer close(e.created)
	defer func() {
		// A panic here would end the process before anything deleted the
		// sandbox; report it instead and let Shutdown clean up.
		if r := recover(); r != nil {
			e.log.Error("engine panic", "panic", r, "stack", string(debug.Stack()))
			e.emitError(fmt.Errorf("internal error (please report it): %v", r), true)
		}
	}()
	provider := e.opts.Provider.Name()
	spec := e.opts.Spec
	last := sandbox.StateCreating
	spec.OnState = func(state string) {
		// Providers may repeat a state while polling; "started" comes with
		// the full description from the session itself.
		if state != last && state != sandbox.StateStarted {
			last = state
			e.emitSandbox(sandbox.Info{Provider: provider, State: state})
		}
	}
	launch := session.Launch{
		Provider: e.opts.Provider, Spec: spec, OnEvent: e.send, From: e.opts.From, Reuse: e.opts.Reuse,
		OnTeardown: func(info sandbox.Info, err error) {
			if err != nil {
				e.emitError(err, false)
				return
			}
			info.Provider = provider
			e.emitSandbox(info)
		},
	}
	if e.opts.Registry != nil {
		launch.Track = e.opts.Registry.Track
	}
	sopts := e.opts.Session
	e.mu.Lock()
	sopts.StepMode = e.stepMode
	e.mu.Unlock()
	e.emitSandbox(sandbox.Info{Provider: provider, State: sandbox.StateCreating})
	run, err := session.Start(e.ctx, launch, sopts)
	if err != nil {
		if errors.Is(err, session.ErrSandboxCreate) {
			e.emitSandbox(sandbox.Info{Provider: provider, State: sandbox.StateError})
		}
		e.emitError(err, true)
		e.dropQueued()
		return
	}
	e.mu.Lock()
	e.run, e.sess = run, run.Session
	queued := e.queued
	e.queued = nil
	shutting := e.shutdown
	e.mu.Unlock()
	if shutting {
		return
	}
	if e.opts.From != nil && len(queued) == 0 && run.Session.CanContinue() {
		if err := run.Session.Continue(); err != nil {
			e.emitError(err, false)
		}
	}
	for _, call := range queued {
		if err := call(run.Session); err != nil {
			e.emitError(err, false)
		}
	}
}

// dropQueued says, for each prompt or command typed while the sandbox was
// being made, that it will not run: the user must not lose it silently.
func (e *Engine) dropQueued() {
	e.mu.Lock()
	n := len(e.queued)
	e.queued = nil
	e.failed = true
	e.mu.Unlock()
	if n > 0 {
		e.emitError(fmt.Errorf("%d prompt(s) or command(s) typed while the sandbox was starting were not run: there is no sandbox to run them in", n), false)
	}
}

// send delivers ev unless the reader has gone away (Detach).
func (e *Engine) send(ev session.Event) {
	select {
	case e.events <- ev:
	case <-e.detached:
	}
}

// Detach tells the engine nobody reads Events any more (the UI has exited),
// so shutting down must not wait for a reader.
func (e *Engine) Detach() { e.detach.Do(func() { close(e.detached) }) }

func (e *Engine) emit(ev session.Event) {
	ev.ID = "engine-" + strconv.FormatInt(e.seq.Add(1), 10)
	ev.Time = time.Now()
	e.send(ev)
}

func (e *Engine) emitSandbox(info sandbox.Info) {
	e.emit(session.Event{Kind: session.KindSandbox, Sandbox: &info})
}

func (e *Engine) emitError(err error, fatal bool) {
	e.log.Error("engine", "err", err)
	e.emit(session.Event{Kind: session.KindError, Error: &session.ErrorInfo{Message: err.Error(), Fatal: fatal}})
}

// withSession runs call now, or queues it until the session exists.
func (e *Engine) withSession(call func(*session.Session) error) error {
	e.mu.Lock()
	if e.shutdown {
		e.mu.Unlock()
		return errors.New("tether is shutting down")
	}
	sess := e.sess
	if sess == nil {
		failed := e.failed
		select {
		case <-e.created:
			failed = true
		default:
		}
		if failed {
			// Creation is over and left no session: a queued call would
			// never run, and the user would lose what they typed.
			e.mu.Unlock()
			return errors.New("there is no sandbox to run it in: starting one failed (see the error above); quit and start tether again")
		}
		e.queued = append(e.queued, call)
		e.mu.Unlock()
		return nil
	}
	e.mu.Unlock()
	return call(sess)
}

func (e *Engine) current() *session.Session {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sess
}

// Events implements ui.Engine.
func (e *Engine) Events() <-chan session.Event { return e.events }

// Send implements ui.Engine.
func (e *Engine) Send(prompt string) error {
	if e.opts.Session.Model == nil {
		return fmt.Errorf("%w: %s", session.ErrNoModel, e.opts.NoModelHint)
	}
	return e.withSession(func(s *session.Session) error { return s.Send(prompt) })
}

// Shell implements ui.Engine.
func (e *Engine) Shell(command string) error {
	return e.withSession(func(s *session.Session) error { return s.Shell(command) })
}

// Cancel implements ui.Engine.
func (e *Engine) Cancel() {
	if s := e.current(); s != nil {
		s.Cancel()
	}
}

// Pause implements ui.Engine.
func (e *Engine) Pause() {
	if s := e.current(); s != nil {
		s.Pause()
	}
}

// Resume implements ui.Engine.
func (e *Engine) Resume() {
	if s := e.current(); s != nil {
		s.Resume()
	}
}

// SetStepMode implements ui.Engine.
func (e *Engine) SetStepMode(on bool) {
	e.mu.Lock()
	e.stepMode = on
	s := e.sess
	e.mu.Unlock()
	if s != nil {
		s.SetStepMode(on)
	}
}

// Approve implements ui.Engine.
func (e *Engine) Approve() {
	if s := e.current(); s != nil {
		s.Approve()
	}
}

// ApproveAll implements ui.Engine.
func (e *Engine) ApproveAll() {
	if s := e.current(); s != nil {
		s.ApproveAll()
	}
}

// Reject implements ui.Engine.
func (e *Engine) Reject(reason string) {
	if s := e.current(); s != nil {
		s.Reject(reason)
	}
}

// Edit implements ui.Engine.
func (e *Engine) Edit(args json.RawMessage) {
	if s := e.current(); s != nil {
		s.Edit(args)
	}
}

// Info implements ui.Engine.
func (e *Engine) Info() ui.EngineInfo {
	return ui.EngineInfo{
		ModelName:   e.opts.Session.ModelName,
		HasModel:    e.opts.Session.Model != nil,
		NoModelHint: e.opts.NoModelHint,
		Provider:    e.opts.Provider.Name(),
		StepMode:    e.opts.Session.StepMode,
	}
}

// Result is the session's result so far (zero before the session exists).
func (e *Engine) Result() session.Result {
	if s := e.current(); s != nil {
		return s.Result()
	}
	return session.Result{}
}

// Shutdown implements ui.Engine: it cancels the run, closes the session,
// then closes the sandbox, reporting each step as an event.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.shutdownOnce.Do(func() { e.shutdownErr = e.doShutdown(ctx) })
	return e.shutdownErr
}

func (e *Engine) doShutdown(ctx context.Context) error {
	e.mu.Lock()
	e.shutdown = true
	e.mu.Unlock()
	e.stop() // abandon a creation in progress
	<-e.created
	e.mu.Lock()
	run := e.run
	e.mu.Unlock()
	var err error
	if run != nil {
		err = run.Close(ctx) // the session, its events, then the sandbox
	}
	close(e.events)
	return err
}
