package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/tether-dev/tether/setup"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/tether-dev/tether/app"
	"github.com/tether-dev/tether/config"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/suite"
)

// newSuiteCmd is `tether suite run FILE` and `tether suite add RECORDING`.
func newSuiteCmd() *cobra.Command {
	return group("suite", "Run suites of prompts with checks; turn recordings into cases",
		newSuiteRunCmd(), newSuiteAddCmd())
}

func newSuiteAddCmd() *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:               "add RECORDING.jsonl [--to FILE.toml]",
		Short:             "Turn a recorded session into a suite case (see `tether ls`)",
		Args:              exactArgs(1, "one recording, RECORDING.jsonl (see `tether ls`)"),
		ValidArgsFunction: completeFiles("jsonl"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := suite.AddRecording(args[0], to)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added the case %q to %s; edit its checks, then run `tether suite run %s`\n", name, to, to)
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", suite.DefaultSuitePath, "suite file to append the case to (created if missing)")
	return cmd
}

// suiteRunFlags are `tether suite run`'s own flags.
type suiteRunFlags struct {
	jobs, maxCases    int
	keepFailed, tui   bool
	jsonOut, junitOut string
}

func newSuiteRunCmd() *cobra.Command {
	var f suiteRunFlags
	cmd := &cobra.Command{
		Use:   "run [flags] FILE.toml",
		Short: "Run a suite of prompts in parallel sandboxes, with checks",
		Long: `Runs every case of FILE.toml in its own sandbox, at most -j at once, runs
each case's checks, prints a summary and writes the reports asked for.
Exit status: 0 every case passed, 1 a case failed or the run could not finish, 2 bad usage.`,
		Example:           "  tether suite run examples/suite.toml -j 8 --junit report.xml",
		Args:              exactArgs(1, "one suite file, FILE.toml"),
		ValidArgsFunction: completeFiles("toml"),
	}
	c := newCommon(cmd.Flags()).sandboxFlags(true).agentFlags()
	fs := cmd.Flags()
	fs.IntVarP(&f.jobs, "jobs", "j", suite.DefaultConcurrency, "cases run at once, each in its own sandbox")
	fs.IntVar(&f.maxCases, "max-cases", 0, "refuse a suite expanding to more cases (default: the file's [matrix] max_cases, else 100000)")
	fs.BoolVar(&f.keepFailed, "keep-failed", false, "keep the sandboxes of failed cases (labelled; 'tether cleanup --all' removes them)")
	fs.StringVar(&f.jsonOut, "json", "", "write the JSON report to this file (- for stdout)")
	fs.StringVar(&f.junitOut, "junit", "", "write a JUnit XML report to this file")
	fs.BoolVar(&f.tui, "tui", false, "watch the run in the fleet view, with each case's live agent events (ctrl+c cancels it and shows the clean-up)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error { return runSuite(cmd.Context(), c, f, args[0]) }
	return cmd
}

// runSuite runs the suite in file and prints and writes its report.
func runSuite(ctx context.Context, c *common, f suiteRunFlags, file string) error {
	if f.jobs < 1 {
		return usagef("-j must be at least 1 (got %d): the number of cases run at once", f.jobs)
	}
	if f.maxCases < 0 {
		return usagef("--max-cases must not be negative (got %d)", f.maxCases)
	}
	s, err := suite.LoadWith(file, suite.LoadOptions{MaxCases: f.maxCases})
	if err != nil {
		return err
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	log, closer := openLog(cfg)
	defer closer.Close()
	recordDir := ""
	if cfg.Session.Record {
		recordDir = filepath.Join(app.RecordDir(cfg), "suites")
	}
	tty := term.IsTerminal(os.Stderr.Fd())
	var pw io.Writer = os.Stderr
	if f.tui {
		pw, tty = io.Discard, false // the fleet view shows the progress instead
	}
	progress := suite.NewProgress(pw, tty)
	if w, _, err := term.GetSize(os.Stderr.Fd()); err == nil {
		progress.SetWidth(w)
	}
	reg := sandbox.NewRegistry()
	var rep *suite.Report
	runErr := app.Guard(reg, log, os.Stderr, func() error {
		var err error
		run := suite.Run
		if f.tui {
			run = func(ctx context.Context, s *suite.Suite, o suite.RunOptions) (*suite.Report, error) {
				return runSuiteTUI(ctx, s, o, cfg.UI.NoColor)
			}
		}
		rep, err = run(ctx, s, suite.RunOptions{
			Concurrency:  f.jobs,
			KeepFailed:   f.keepFailed,
			Providers:    suiteProviders(cfg, log),
			Models:       suiteModels(cfg, log),
			DefaultModel: cfg.LLM.Model,
			RecordDir:    recordDir,
			OnUpdate:     progress.Update,
			Registry:     reg,
			Logger:       log,
			Secrets:      cfg.Secrets(),
			ToolSources:  setup.Session(cfg, log).ToolSources, // [[mcp]] servers, in each case's sandbox
		})
		return err
	})
	progress.Close()
	if rep == nil {
		return runErr
	}
	if err := rep.WriteSummary(os.Stdout); err != nil {
		return err
	}
	if err := writeReport(f.jsonOut, rep.WriteJSON); err != nil {
		return err
	}
	if err := writeReport(f.junitOut, rep.WriteJUnit); err != nil {
		return err
	}
	if runErr != nil {
		if !app.IsExitStatus(runErr) {
			fmt.Fprintln(os.Stderr, "tether suite:", errText(runErr))
		}
		return app.ExitStatus(1)
	}
	if rep.Failed() {
		return app.ExitStatus(1)
	}
	return nil
}

// writeReport writes one report to path ("" = not asked for, "-" = stdout).
func writeReport(path string, write func(io.Writer) error) error {
	switch path {
	case "":
		return nil
	case "-":
		return write(os.Stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// suiteProviders builds a provider by name from the configuration ("" = the
// configured one). suite.Run calls it once per name and keeps the result.
func suiteProviders(cfg config.Config, log *slog.Logger) func(string) (sandbox.Provider, error) {
	return func(name string) (sandbox.Provider, error) {
		c := cfg
		if name != "" {
			c.Sandbox.Provider = name
		}
		return setup.Provider(c, log)
	}
}

// suiteModels builds a model client by name from the configuration ("" = the
// configured one). suite.Run calls it once per name and keeps the result.
func suiteModels(cfg config.Config, log *slog.Logger) func(string) (session.Model, error) {
	return func(name string) (session.Model, error) {
		c := cfg
		if name != "" {
			c.LLM.Model = name
		}
		m, err := setup.Model(c, log)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return m, nil
	}
}
