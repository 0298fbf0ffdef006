package main

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/tether-dev/tether/app"
	"github.com/tether-dev/tether/config"
	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/setup"
	"github.com/tether-dev/tether/ui"
)

// newResumeCmd is `tether resume RECORDING`: the UI on a recorded session,
// going on with it.
func newResumeCmd() *cobra.Command {
	var step, fleetView bool
	cmd := &cobra.Command{
		Use:   "resume RECORDING",
		Short: "Open the UI on a recorded session and go on with it (its sandbox if still there, else one restored)",
		Long: `Open the terminal UI on a recorded session and continue it. A run that was
cut short (kill -9, a crash, a closed terminal) goes on from its last
recorded event; an ended one waits for your next prompt. The session's own
sandbox is used while it still exists; otherwise a fresh one gets the
workspace back from the recording's snapshots (or by replaying its file
edits and commands), and the screen says what could not be restored.`,
		Example: `  tether resume ~/.local/share/tether/sessions/20261126T012204Z-conv-1a2b.jsonl
  tether ls        # the RESUME column says which recordings can be resumed`,
		Args:              exactArgs(1, "one recording, FILE.jsonl (see `tether ls`)"),
		ValidArgsFunction: completeFiles("jsonl"),
	}
	c := newCommon(cmd.Flags()).sandboxFlags(true).agentFlags()
	cmd.Flags().BoolVar(&step, "step", false, "step mode: approve each tool call before it runs")
	cmd.Flags().BoolVar(&fleetView, "fleet", false, "fleet view (forks appear beside the session)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		hdr, evs, err := session.ReadRecordingFile(args[0])
		if err != nil {
			return fmt.Errorf("resume: %w", err)
		}
		if len(evs) == 0 {
			return fmt.Errorf("resume: %s has no events: nothing to go on with", args[0])
		}
		from := &resumeFrom{branch: &session.Branch{Recording: args[0]}}
		if hdr.Sandbox != nil {
			from.reuse = hdr.Sandbox.ID
		}
		return runTUI(cmd.Context(), c, step, fleetView, from)
	}
	return cmd
}

// startFork starts the engine of a branch of src's recorded session: its
// conversation up to req.At with req.Edit, on req.Model when given.
func startFork(cfg config.Config, log *slog.Logger, sopts session.Options, src ui.Engine, req ui.ForkRequest,
	start func(session.Options, *resumeFrom) *app.Engine) (*app.Engine, error) {
	eng, ok := src.(*app.Engine)
	if !ok {
		return nil, errors.New("this session cannot be forked")
	}
	rec := eng.Result().RecordPath
	if rec == "" {
		return nil, errors.New("the session has no recording (--no-record): there is nothing to fork from")
	}
	return forkRecording(cfg, log, sopts, rec, req, start)
}

// forkRecording starts the engine of a branch of the recording rec.
func forkRecording(cfg config.Config, log *slog.Logger, sopts session.Options, rec string, req ui.ForkRequest,
	start func(session.Options, *resumeFrom) *app.Engine) (*app.Engine, error) {
	so := sopts
	// A model named in the fork dialog is kept; "same model" is the one
	// in effect at the fork point (the session takes it from the recording).
	so.ModelPinned = req.Model != ""
	if req.Model != "" && req.Model != cfg.LLM.Model {
		c := cfg
		c.LLM.Model = req.Model
		model, err := setup.Model(c, log)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", req.Model, err)
		}
		so.Model, so.ModelName = withFault(model), req.Model
	}
	var err error
	if so.RecordPath, err = app.RecordPath(cfg); err != nil {
		return nil, err
	}
	return start(so, &resumeFrom{branch: &session.Branch{Recording: rec, At: req.At, Edit: req.Edit}}), nil
}
