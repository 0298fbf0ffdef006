package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/tether-dev/tether/app"
	"github.com/tether-dev/tether/config"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/setup"
	"github.com/tether-dev/tether/ui"
)

// replayForks starts live branches of the recording `tether replay`
// shows (F on an event): the settings, provider and model are set up at
// the first fork, so a replay opens without any of them.
type replayForks struct {
	c    *common
	path string
	reg  *sandbox.Registry

	once     sync.Once
	err      error
	cfg      config.Config
	log      *slog.Logger
	closeLog io.Closer
	sopts    session.Options
	start    func(session.Options, *resumeFrom) *app.Engine

	mu      sync.Mutex
	engines []*app.Engine
}

func newReplayForks(c *common, path string) *replayForks {
	return &replayForks{c: c, path: path, reg: sandbox.NewRegistry(), log: slog.New(slog.DiscardHandler)}
}

func (r *replayForks) setup() error {
	r.once.Do(func() {
		cfg, err := r.c.load()
		if err != nil {
			r.err = err
			return
		}
		r.cfg = cfg
		r.log, r.closeLog = openLog(cfg)
		provider, err := setup.Provider(cfg, r.log)
		if err != nil {
			r.err = err
			return
		}
		r.sopts = setup.Session(cfg, r.log)
		hint := ""
		if model, err := setup.Model(cfg, r.log); err != nil {
			hint = err.Error() + " — `!command` still runs shell commands in the sandbox"
		} else {
			r.sopts.Model = withFault(model)
		}
		r.start = func(so session.Options, from *resumeFrom) *app.Engine {
			eo := app.EngineOptions{Provider: provider, Spec: setup.Spec(cfg), Registry: r.reg, Session: so, NoModelHint: hint, Logger: r.log}
			if from != nil {
				eo.From = from.branch
			}
			return app.StartEngine(eo)
		}
	})
	return r.err
}

// fork is ui.Options.Fork for the replay screen: a branch of the
// recording at req.At (the replay has no engine of its own).
func (r *replayForks) fork(_ ui.Engine, req ui.ForkRequest) (ui.Engine, error) {
	if err := r.setup(); err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	e, err := forkRecording(r.cfg, r.log, r.sopts, r.path, req, r.start)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.engines = append(r.engines, e)
	r.mu.Unlock()
	return e, nil
}

// shutdown shuts down every branch started (the UI normally has, with its
// teardown on screen) and says where each was recorded.
func (r *replayForks) shutdown() {
	r.mu.Lock()
	all := append([]*app.Engine(nil), r.engines...)
	r.mu.Unlock()
	sctx, cancel := context.WithTimeout(context.Background(), app.ShutdownTimeout)
	defer cancel()
	for _, e := range all {
		e.Detach()
		if err := e.Shutdown(sctx); err != nil {
			r.log.Error("shutdown", "err", err)
		}
		if res := e.Result(); res.RecordPath != "" {
			fmt.Fprintf(os.Stderr, "tether: branch recorded to %s (go on with it: `tether resume %s`)\n", res.RecordPath, res.RecordPath)
		}
	}
	if r.closeLog != nil {
		r.closeLog.Close()
	}
}
