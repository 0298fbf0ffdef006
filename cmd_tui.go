package main

import (
	"github.com/atotto/clipboard"

	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/tether-dev/tether/setup"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/spf13/cobra"

	"github.com/tether-dev/tether/app"
	"github.com/tether-dev/tether/config"
	"github.com/tether-dev/tether/internal/history"
	"github.com/tether-dev/tether/internal/redact"
	"github.com/tether-dev/tether/internal/teapace"
	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui"
)

// newTUICmd is `tether` itself: the terminal UI on a fresh sandbox.
func newTUICmd() *cobra.Command {
	var step, fleetView bool
	cmd := &cobra.Command{
		Use:   "tether",
		Short: "Send an LLM agent into a sandbox and watch it work",
		Long: `tether: send an LLM agent into a sandbox and watch it work.

With no command it opens the terminal UI on a fresh sandbox (local by
default); ` + "`tether run PROMPT`" + ` runs one prompt headless.`,
		Example: `  tether                          # the terminal UI on the local sandbox
  tether --step --model gpt-4.1   # approve each tool call before it runs
  tether run --json "write fizzbuzz.py and run it"
  tether suite run examples/suite.toml -j 8 --junit report.xml`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q: to run a prompt headless use `tether run PROMPT`", args[0])
			}
			return nil
		},
	}
	c := newCommon(cmd.Flags()).sandboxFlags(true).agentFlags()
	cmd.Flags().BoolVar(&step, "step", false, "step mode: approve each tool call before it runs")
	cmd.Flags().BoolVar(&fleetView, "fleet", false, "fleet view: several sessions side by side (ctrl+n starts another)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return runTUI(cmd.Context(), c, step, fleetView, nil) }
	return cmd
}

// resumeFrom is where `tether resume` goes on from: the recording, and
// the sandbox it ran in (reused when it is still there).
type resumeFrom struct {
	branch *session.Branch
	reuse  string
}

// runTUI opens the terminal UI (or the fleet view) on a fresh sandbox, or
// on a recorded session to go on with (from).
func runTUI(ctx context.Context, c *common, step, fleetView bool, from *resumeFrom) error {
	warmWidthTable()
	cfg, err := c.load()
	if err != nil {
		return err
	}
	if step {
		cfg.Session.StepMode = true
	}
	log, closer := openLog(cfg)
	defer closer.Close()
	if from != nil && from.branch != nil {
		app.PruneSnapshotsInBackground(cfg, log, from.branch.Recording)
	} else {
		app.PruneSnapshotsInBackground(cfg, log)
	}
	provider, err := setup.Provider(cfg, log)
	if err != nil {
		return err
	}
	sopts := setup.Session(cfg, log)
	// --model names the model for a resume too; without it the session
	// goes on with the model its recording had switched to.
	sopts.ModelPinned = c.fs.Changed("model")
	hint := ""
	if model, err := setup.Model(cfg, log); err != nil {
		hint = err.Error() + " — `!command` still runs shell commands in the sandbox"
	} else {
		sopts.Model = withFault(model)
	}
	if sopts.RecordPath, err = app.RecordPath(cfg); err != nil {
		return err
	}
	reg := sandbox.NewRegistry()
	uiOpts := ui.Options{NoColor: cfg.UI.NoColor, SpillDir: filepath.Join(config.StateDir(), "spill"), NativeClipboard: clipboard.WriteAll}
	uiOpts.Width, uiOpts.Height = terminalSize()
	uiOpts.History, uiOpts.SaveHistory = promptHistory(cfg, log)
	startEngine := func(so session.Options, from *resumeFrom) *app.Engine {
		eo := app.EngineOptions{Provider: provider, Spec: setup.Spec(cfg),
			Registry: reg, Session: so, NoModelHint: hint, Logger: log}
		if from != nil {
			eo.From, eo.Reuse = from.branch, from.reuse
		}
		return app.StartEngine(eo)
	}
	var (
		forkMu   sync.Mutex
		branches []*app.Engine // forks made in the plain screen, shut down at the end
	)
	fork := func(src ui.Engine, req ui.ForkRequest) (*app.Engine, error) {
		e, err := startFork(cfg, log, sopts, src, req, startEngine)
		if err == nil {
			forkMu.Lock()
			branches = append(branches, e)
			forkMu.Unlock()
		}
		return e, err
	}
	if fleetView {
		return app.Guard(reg, log, os.Stderr, func() error {
			first := true
			return runFleet(ctx, log, uiOpts, func() (*app.Engine, error) {
				so := sopts
				if !first {
					// The first session takes the recording made above:
					// session N records to the name ending -N.
					var err error
					if so.RecordPath, err = app.RecordPath(cfg); err != nil {
						return nil, err
					}
				}
				f := from
				if !first {
					f = nil
				}
				first = false
				return startEngine(so, f), nil
			}, func(src ui.Engine, req ui.ForkRequest) (*app.Engine, error) {
				return startFork(cfg, log, sopts, src, req, startEngine)
			}, redact.New(cfg.Secrets()...))
		})
	}
	return app.Guard(reg, log, os.Stderr, func() error {
		engine := startEngine(sopts, from)
		uiOpts.Fork = func(src ui.Engine, req ui.ForkRequest) (ui.Engine, error) { return fork(src, req) }
		model := ui.New(engine, uiOpts)
		final, runErr := teapace.Run(model, programOptions(ctx)...)
		if m, ok := final.(ui.Model); ok {
			defer m.Close() // removes the stream's spill files
		}
		// The UI normally shuts the engine down itself, with the teardown on
		// screen; after a signal or a panic it could not, so do it here
		// (Shutdown runs once and returns the same result to both). The
		// sessions forked from (the screen shows only the last branch) go
		// down here too.
		forkMu.Lock()
		all := append([]*app.Engine{engine}, branches...)
		forkMu.Unlock()
		sctx, cancel := context.WithTimeout(context.Background(), app.ShutdownTimeout)
		defer cancel()
		for _, e := range all {
			e.Detach()
			if err := e.Shutdown(sctx); err != nil {
				// A sandbox that failed to close stays registered: guard
				// tries once more, and says what is left only if that fails too.
				log.Error("shutdown", "err", err)
			}
		}
		if len(branches) > 0 {
			for _, e := range all[:len(all)-1] {
				if res := e.Result(); res.RecordPath != "" {
					fmt.Fprintf(os.Stderr, "tether: forked-from session recorded to %s (go back to it with `tether resume %s`)\n", res.RecordPath, res.RecordPath)
				}
			}
			engine = all[len(all)-1]
		}
		if runErr != nil && !errors.Is(runErr, tea.ErrProgramKilled) {
			return fmt.Errorf("terminal UI: %w", runErr)
		}
		if res := engine.Result(); res.RecordPath != "" {
			fmt.Fprintf(os.Stderr, "tether: session recorded to %s (replay with `tether replay %s`)\n", res.RecordPath, res.RecordPath)
		}
		return nil
	})
}

// newReplayCmd is `tether replay FILE.jsonl`.
func newReplayCmd() *cobra.Command {
	var noColor bool
	cmd := &cobra.Command{
		Use:   "replay FILE.jsonl",
		Short: "Replay a recorded session in the UI (see `tether ls`); F on an event forks a live branch there",
		Long: `Replay a recorded session in the terminal UI: space plays and pauses, ←/→
step, k/j select an event. F on the selected event opens the fork dialog
(edit the prompt or the call, replace its result, switch the model): the
branch starts live in a new sandbox holding the files of that point, and
the screen follows it.`,
		Args:              exactArgs(1, "one recording, FILE.jsonl (see `tether ls`)"),
		ValidArgsFunction: completeFiles("jsonl"),
	}
	// The settings are read at the first fork only: a replay opens
	// whatever they say.
	c := newCommon(cmd.Flags()).sandboxFlags(true).agentFlags()
	cmd.Flags().BoolVar(&noColor, "no-color", os.Getenv("NO_COLOR") != "", "no colours")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return replay(cmd.Context(), c, args[0], noColor)
	}
	return cmd
}

// replay opens a recording in the UI, read-only until a fork starts a
// live branch.
func replay(ctx context.Context, c *common, path string, noColor bool) error {
	warmWidthTable()
	hdr, events, err := session.ReadRecordingFile(path) // an empty one is an error
	if err != nil {
		return fmt.Errorf("reading the recording: %w", err)
	}
	if n := session.SkippedNotice(path, hdr.Skipped); n != "" {
		// Shown first in the stream, where the replay starts.
		events = append([]session.Event{{Kind: session.KindError, Time: events[0].Time, Error: &session.ErrorInfo{Message: n}}}, events...)
	}
	forks := newReplayForks(c, path)
	opts := ui.Options{NoColor: noColor, Fork: forks.fork, SpillDir: filepath.Join(config.StateDir(), "spill")}
	opts.Width, opts.Height = terminalSize()
	return app.Guard(forks.reg, forks.log, os.Stderr, func() error {
		final, err := teapace.Run(ui.NewReplay(events, opts), programOptions(ctx)...)
		if m, ok := final.(ui.Model); ok {
			defer m.Close()
		}
		forks.shutdown()
		if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
			return fmt.Errorf("terminal UI: %w", err)
		}
		return nil
	})
}

// newLsCmd is `tether ls`.
func newLsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List recorded sessions, newest first",
		Args:  noArgs,
	}
	c := newCommon(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return listRecordings(cmd.Context(), c.configPath) }
	return cmd
}

// listRecordings lists recorded sessions, newest first.
func listRecordings(ctx context.Context, configPath string) error {
	cfg, err := config.Load(configPath, os.Getenv)
	if err != nil {
		return err
	}
	dir := app.RecordDir(cfg)
	paths, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if len(paths) == 0 {
		fmt.Printf("no recordings in %s\n", dir)
		return nil
	}
	type row struct {
		path   string
		mod    time.Time
		size   int64
		prompt string
		resume string
		snaps  string
	}
	stores, _ := session.SnapshotStores(ctx, dir, nil)
	snapBytes := map[string]int64{}
	var snapTotal int64
	for _, s := range stores {
		snapBytes[s.Recording] = s.Bytes
		snapTotal += s.Bytes
	}
	rows := make([]row, 0, len(paths))
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		resume := orDash(session.ResumeState(p))
		if st.Size() == 0 {
			resume = "empty" // nothing was recorded (a full disk at start?)
		}
		snaps := "-"
		if b, ok := snapBytes[p]; ok {
			snaps = humanBytes(b)
		}
		rows = append(rows, row{p, st.ModTime(), st.Size(), firstPrompt(p), resume, snaps})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].mod.After(rows[j].mod) })
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tSIZE\tSNAPSHOTS\tRESUME\tFIRST PROMPT\tFILE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.mod.Format("2006-01-02 15:04"), humanBytes(r.size), r.snaps, r.resume, r.prompt, termsafe.SanitizeLine(r.path)) // a file name can hold escapes
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(stores) > 0 {
		fmt.Printf("workspace snapshots: %s in %d store(s) (`tether cleanup --snapshots` shows what the limits prune)\n", humanBytes(snapTotal), len(stores))
	}
	return nil
}

// firstPrompt reads the beginning of a recording for its first user prompt.
func firstPrompt(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for i := 0; i < 200 && sc.Scan(); i++ {
		var ev session.Event
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Kind == session.KindUserMessage && ev.Message != nil {
			p := termsafe.SanitizeLine(strings.Join(strings.Fields(ev.Message.Text), " "))
			if r := []rune(p); len(r) > 60 {
				p = string(r[:60]) + "…"
			}
			return p
		}
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// completeFiles completes file names ending in .ext.
func completeFiles(ext string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return []cobra.Completion{ext}, cobra.ShellCompDirectiveFilterFileExt
	}
}

// promptHistory is the prompts of earlier runs and how to keep new ones:
// a file in the state directory, secrets redacted. A history that cannot
// be read or written is logged, never in the user's way.
func promptHistory(cfg config.Config, log *slog.Logger) ([]string, func(string)) {
	h := history.Open(filepath.Join(config.StateDir(), "history.jsonl"), cfg.Secrets())
	past, err := h.Load()
	if err != nil {
		log.Warn("prompt history", "err", err)
	}
	return past, func(p string) {
		if err := h.Append(p); err != nil {
			log.Warn("prompt history", "err", err)
		}
	}
}

// programOptions are every full-screen program's options. The colour
// profile is the one lipgloss detected for stdout when it loaded (under
// tmux that detection runs `tmux info`): Bubble Tea would otherwise detect
// it again, for the same terminal, before the first frame.
func programOptions(ctx context.Context) []tea.ProgramOption {
	return []tea.ProgramOption{tea.WithContext(ctx), tea.WithColorProfile(lipgloss.Writer.Profile)}
}
