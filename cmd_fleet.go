package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/app"
	"github.com/tether-dev/tether/internal/redact"
	"github.com/tether-dev/tether/internal/teapace"
	"github.com/tether-dev/tether/suite"
	"github.com/tether-dev/tether/transcript"
	"github.com/tether-dev/tether/ui"
	"github.com/tether-dev/tether/ui/fleet"
)

// runFleet is `tether --fleet`: the fleet view with one session to start
// with; newEngine makes each session's engine (ctrl+n makes more).
func runFleet(ctx context.Context, log *slog.Logger, uiOpts ui.Options, newEngine func() (*app.Engine, error),
	forkEngine func(ui.Engine, ui.ForkRequest) (*app.Engine, error), red *redact.Set) error {
	var (
		mu      sync.Mutex
		engines []*app.Engine
		closed  bool
	)
	add := func(make func() (*app.Engine, error)) (ui.Engine, error) {
		mu.Lock()
		defer mu.Unlock()
		if closed {
			return nil, errors.New("tether is shutting down")
		}
		e, err := make()
		if err != nil {
			return nil, err
		}
		engines = append(engines, e)
		return e, nil
	}
	mk := func() (ui.Engine, error) { return add(newEngine) }
	compare := func(a, b ui.Engine) (transcript.Comparison, error) {
		pa, pb := recordingOf(a), recordingOf(b)
		if pa == "" || pb == "" {
			return transcript.Comparison{}, errors.New("a session has no recording yet (or runs with --no-record): nothing to compare")
		}
		cmp, err := transcript.Compare(pa, pb)
		return cmp.Redacted(red), err
	}
	fork := func(src ui.Engine, req ui.ForkRequest) (ui.Engine, error) {
		return add(func() (*app.Engine, error) { return forkEngine(src, req) })
	}
	first, err := mk()
	if err != nil {
		return err
	}
	model := fleet.New([]ui.Engine{first}, fleet.Options{UI: uiOpts, NewEngine: mk, Fork: fork, Compare: compare})
	final, runErr := teapace.Run(model, programOptions(ctx)...)
	if m, ok := final.(fleet.Model); ok {
		defer m.Close() // removes the streams' spill files
	}
	mu.Lock()
	closed = true
	es := slices.Clone(engines)
	mu.Unlock()
	// The UI normally shut every engine down with the teardown on screen;
	// after a signal it could not, so do it here, all at once. A sandbox
	// that failed to close stays registered: the caller's guard tries once
	// more and says what is left.
	var wg sync.WaitGroup
	for i, e := range es {
		e.Detach()
		wg.Go(func() {
			sctx, cancel := context.WithTimeout(context.Background(), app.ShutdownTimeout)
			defer cancel()
			if err := e.Shutdown(sctx); err != nil {
				log.Error("shutdown", "session", i+1, "err", err)
			}
		})
	}
	wg.Wait()
	if runErr != nil && !errors.Is(runErr, tea.ErrProgramKilled) {
		return fmt.Errorf("terminal UI: %w", runErr)
	}
	for i, e := range es {
		if res := e.Result(); res.RecordPath != "" {
			fmt.Fprintf(os.Stderr, "tether: session #%d recorded to %s (replay with `tether replay %s`)\n", i+1, res.RecordPath, res.RecordPath)
		}
	}
	return nil
}

// runSuiteTUI is `tether suite run --tui`: suite.Run with its progress in
// the fleet's suite view. Leaving the view before the run has ended
// cancels the run; either way it returns only once suite.Run has, so every
// sandbox is cleaned up.
func runSuiteTUI(ctx context.Context, s *suite.Suite, opts suite.RunOptions, noColor bool) (*suite.Report, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	feed := fleet.NewSuiteFeed()
	opts.OnUpdate = feed.Update
	// Only here: the events cost memory until a view reads them.
	opts.OnEvent = feed.Event
	type result struct {
		rep *suite.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := suite.Run(rctx, s, opts)
		feed.Finish(rep, err)
		done <- result{rep, err}
	}()
	model := fleet.NewSuite(feed, fleet.SuiteOptions{Name: s.Name, Cancel: cancel, NoColor: noColor})
	// Removes the streams' spill files; deferred, so it runs once suite.Run
	// has returned and the program is long gone.
	defer model.Close()
	_, uiErr := teapace.Run(model, programOptions(ctx)...)
	var r result
	select {
	case r = <-done:
	default:
		cancel()
		fmt.Fprintln(os.Stderr, "tether suite: cancelled; waiting for the cases to clean up their sandboxes…")
		r = <-done
	}
	if uiErr != nil && !errors.Is(uiErr, tea.ErrProgramKilled) && r.err == nil {
		return r.rep, fmt.Errorf("terminal UI: %w", uiErr)
	}
	return r.rep, r.err
}

// recordingOf is the recording an engine writes ("" = none).
func recordingOf(e ui.Engine) string {
	if ae, ok := e.(*app.Engine); ok {
		return ae.Result().RecordPath
	}
	return ""
}
