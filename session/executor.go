package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// ExecutorOptions configures an Executor (the seed's SandboxTestExecutor).
type ExecutorOptions struct {
	Provider      sandbox.Provider // creates the sandbox (unless Sandbox is set)
	Spec          sandbox.Spec
	Model         Model // required
	ModelName     string
	SystemPrompt  string
	PlanningMode  bool
	Tools         []Tool // nil = DefaultTools(PlanningMode)
	ExtraTools    []Tool
	Timeout       time.Duration // 0 = none beyond ctx; reaching it cancels the run
	MaxIterations int
	MaxBudgetUSD  float64
	RecordPath    string
	// Sandbox reuses an existing sandbox; the executor then does not close it.
	Sandbox sandbox.Sandbox
	// OnEvent, when set, is called with every event, in order, from one
	// goroutine. A panic in it stops the run; Execute re-panics after
	// cleaning up.
	OnEvent func(Event)
	Secrets []string
	Logger  *slog.Logger
}

// Executor runs prompts, each in a fresh sandbox (or the one given), and
// reports the result.
type Executor struct{ opts ExecutorOptions }

// NewExecutor returns an Executor; opts are checked when it runs.
func NewExecutor(opts ExecutorOptions) *Executor { return &Executor{opts: opts} }

// QuickRun runs prompt in a fresh sandbox from opts.Provider and deletes the
// sandbox afterwards.
func QuickRun(ctx context.Context, prompt string, opts ExecutorOptions) (Result, error) {
	return NewExecutor(opts).Execute(ctx, prompt)
}

// sandboxCloseTimeout bounds deleting the sandbox on the way out, even
// when ctx is already cancelled (a leaked sandbox costs money).
const sandboxCloseTimeout = 2 * time.Minute

// Execute creates a sandbox (unless one was given), runs prompt to the end,
// and closes what it created on every path. The run's outcome is in
// Result.Status; err is for failures to run at all, or ctx / Timeout
// ending the run (Result then has status cancelled).
func (e *Executor) Execute(ctx context.Context, prompt string) (res Result, err error) {
	o := e.opts
	if o.Model == nil {
		return Result{}, ErrNoModel
	}
	if o.Sandbox == nil && o.Provider == nil {
		return Result{}, errors.New("executor: set ExecutorOptions.Provider (or Sandbox) so there is somewhere to run")
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	sb := o.Sandbox
	if sb == nil {
		sb, err = o.Provider.Create(ctx, o.Spec)
		if err != nil {
			return Result{}, fmt.Errorf("create %s sandbox: %w", o.Provider.Name(), err)
		}
		defer func() {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sandboxCloseTimeout)
			defer cancel()
			if cerr := sb.Close(cctx); cerr != nil && err == nil {
				err = fmt.Errorf("close sandbox %s: %w (check the provider for a leftover sandbox)", sb.ID(), cerr)
			}
		}()
	}
	sess, err := Spawn(ctx, sb, Options{
		Sandbox: sb, Model: o.Model, ModelName: o.ModelName, SystemPrompt: o.SystemPrompt,
		Tools: o.Tools, ExtraTools: o.ExtraTools, PlanningMode: o.PlanningMode,
		MaxIterations: o.MaxIterations, MaxBudgetUSD: o.MaxBudgetUSD,
		RecordPath: o.RecordPath, Secrets: o.Secrets, Logger: o.Logger,
	})
	if err != nil {
		return Result{}, err
	}
	var (
		wg       sync.WaitGroup
		panicked any
	)
	events := sess.Events()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ev := range events {
			if o.OnEvent == nil || panicked != nil {
				continue
			}
			func() {
				defer func() {
					if p := recover(); p != nil {
						panicked = p
						sess.Cancel()
					}
				}()
				o.OnEvent(ev)
			}()
		}
	}()
	defer func() {
		cerr := sess.Close() // closes Events(): the consumer ends
		wg.Wait()
		if panicked != nil {
			panic(panicked) // the deferred sandbox Close still runs
		}
		if cerr != nil && err == nil {
			err = cerr
		}
	}()
	res, err = sess.Run(ctx, prompt)
	if err != nil {
		return res, fmt.Errorf("run did not finish: %w", err)
	}
	return res, nil
}
