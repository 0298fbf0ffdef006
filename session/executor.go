package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// ExecutorOptions configures an Executor: the session's settings, plus
// where each prompt's sandbox comes from and who hears the events.
type ExecutorOptions struct {
	// Options are every session's settings. Options.Sandbox reuses an
	// existing sandbox for every prompt (the executor then never closes
	// it); else each Execute creates one from Provider and deletes it.
	// Options.Tools and ExtraTools are factories, called per session.
	Options

	Provider sandbox.Provider // creates each prompt's sandbox (unless Options.Sandbox is set)
	Spec     sandbox.Spec

	// Timeout bounds each Execute (0 = none beyond ctx); reaching it
	// cancels the run. WithTimeout overrides it for one call.
	Timeout time.Duration
	// OnEvent, when set, is called with every event, in order, from one
	// goroutine. A panic in it stops the run; Execute re-panics after
	// cleaning up. Subscribe adds more listeners.
	OnEvent func(Event)
	// Approve decides on each action that needs approval (Options.StepMode,
	// or an Options.Confirm policy); it is required when either is set,
	// since nobody else can answer. It is called from the event goroutine.
	Approve func(ctx context.Context, a Action) Decision
	// From, when set, continues or forks a recorded session (see Fork,
	// Resume); Execute's prompt may then be "" to go on with its run.
	From *Branch
}

// DecisionKind is what an approver decided.
type DecisionKind int

// Decisions an Approve function returns.
const (
	DecideApprove DecisionKind = iota // run the action as asked
	DecideReject                      // do not run it; Reason goes to the model
	DecideEdit                        // run it with Args instead
)

// Decision answers one action that needs approval.
type Decision struct {
	Kind   DecisionKind
	Reason string          // DecideReject: what the model is told
	Args   json.RawMessage // DecideEdit: the JSON arguments to run with
}

// Executor runs prompts, each in a fresh sandbox (or the one given), and
// reports the result. Execute may be called concurrently: every call gets
// its own session, tools and sandbox.
type Executor struct {
	opts ExecutorOptions

	mu   sync.Mutex
	subs map[int]func(Event)
	next int
}

// NewExecutor returns an Executor; opts are checked when it runs.
func NewExecutor(opts ExecutorOptions) *Executor { return &Executor{opts: opts} }

// QuickRun runs prompt in a fresh sandbox from opts.Provider and deletes the
// sandbox afterwards.
func QuickRun(ctx context.Context, prompt string, opts ExecutorOptions) (Result, error) {
	return NewExecutor(opts).Execute(ctx, prompt)
}

// Subscribe adds a listener for the events of every later Execute, called
// in order from the event goroutine after OnEvent. The returned function
// removes it.
func (e *Executor) Subscribe(fn func(Event)) (unsubscribe func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.subs == nil {
		e.subs = map[int]func(Event){}
	}
	id := e.next
	e.next++
	e.subs[id] = fn
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		delete(e.subs, id)
	}
}

func (e *Executor) listeners() []func(Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]func(Event), 0, len(e.subs)+1)
	if e.opts.OnEvent != nil {
		out = append(out, e.opts.OnEvent)
	}
	for i := range e.next {
		if fn, ok := e.subs[i]; ok {
			out = append(out, fn)
		}
	}
	return out
}

// ExecuteOption adjusts one Execute call.
type ExecuteOption func(*executeCall)

type executeCall struct {
	timeout time.Duration
	convID  string
}

// WithTimeout bounds this call (instead of ExecutorOptions.Timeout).
func WithTimeout(d time.Duration) ExecuteOption { return func(c *executeCall) { c.timeout = d } }

// WithConversationID names this call's conversation (in the result and
// the recording) instead of a generated id.
func WithConversationID(id string) ExecuteOption { return func(c *executeCall) { c.convID = id } }

// Execute creates a sandbox (unless one was given), runs prompt to the end,
// and closes what it created on every path. The run's outcome is in
// Result.Status; err is for failures to run at all, or ctx / Timeout
// ending the run (Result then has status cancelled).
func (e *Executor) Execute(ctx context.Context, prompt string, opts ...ExecuteOption) (res Result, err error) {
	o := e.opts
	call := executeCall{timeout: o.Timeout, convID: o.ConversationID}
	for _, opt := range opts {
		opt(&call)
	}
	if o.Model == nil {
		return Result{}, ErrNoModel
	}
	if o.Sandbox == nil && o.Provider == nil {
		return Result{}, errors.New("executor: set ExecutorOptions.Provider (or Options.Sandbox) so there is somewhere to run")
	}
	if (o.StepMode || o.Confirm != ConfirmNever) && o.Approve == nil {
		return Result{}, errors.New("executor: step mode or a confirmation policy needs ExecutorOptions.Approve to answer each action")
	}
	if call.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, call.timeout)
		defer cancel()
	}
	sopts := o.Options
	sopts.ConversationID = call.convID

	var (
		run      *Running
		ready    = make(chan struct{})
		panicked any
	)
	listeners := e.listeners()
	onEvent := func(ev Event) {
		<-ready // run is set before the first event is handled
		if panicked != nil {
			return
		}
		defer func() {
			if p := recover(); p != nil {
				panicked = p
				run.Session.Cancel()
			}
		}()
		for _, fn := range listeners {
			fn(ev)
		}
		if ev.Kind == KindAction && ev.Action.NeedsApproval && o.Approve != nil {
			answer(run.Session, o.Approve(ctx, *ev.Action))
		}
	}
	run, err = Start(ctx, Launch{Provider: o.Provider, Spec: o.Spec, Sandbox: o.Sandbox, OnEvent: onEvent, From: o.From}, sopts)
	close(ready)
	if err != nil {
		// No run happened, but the result still says how it ended (a
		// failed create is an error, an interrupted one cancelled), not "".
		st := StateError
		if ctx.Err() != nil {
			st = StateCancelled
		}
		return Result{Status: st}, err
	}
	defer func() {
		cerr := run.Close(ctx)
		if panicked != nil {
			panic(panicked) // the sandbox is closed already
		}
		if cerr != nil && err == nil {
			err = cerr
		}
	}()
	if o.From != nil {
		res, err = run.Session.ContinueRun(ctx, prompt)
	} else {
		res, err = run.Session.Run(ctx, prompt)
	}
	if err != nil {
		return res, fmt.Errorf("run did not finish: %w", err)
	}
	return res, nil
}

// answer applies an approver's decision to the pending action.
func answer(s *Session, d Decision) {
	switch d.Kind {
	case DecideReject:
		s.Reject(d.Reason)
	case DecideEdit:
		s.Edit(d.Args)
	default:
		s.Approve()
	}
}
