package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/charmbracelet/x/term"

	"github.com/tether-dev/tether/app"
	"github.com/tether-dev/tether/config"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/suite"
)

// cmdSuite is `tether suite run FILE` and `tether suite add RECORDING`.
func cmdSuite(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: tether suite run [flags] FILE.toml | tether suite add RECORDING.jsonl [--to FILE.toml]")
	}
	switch sub, args := args[0], args[1:]; sub {
	case "run":
		return cmdSuiteRun(ctx, args)
	case "add":
		fs := flag.NewFlagSet("tether suite add", flag.ContinueOnError)
		to := fs.String("to", suite.DefaultSuitePath, "suite file to append the case to (created if missing)")
		if err := fs.Parse(args); err != nil {
			return usageErr(err)
		}
		if fs.NArg() != 1 {
			return errors.New("usage: tether suite add RECORDING.jsonl [--to FILE.toml] (see `tether ls`)")
		}
		name, err := suite.AddRecording(fs.Arg(0), *to)
		if err != nil {
			return err
		}
		fmt.Printf("added the case %q to %s; edit its checks, then run `tether suite run %s`\n", name, *to, *to)
		return nil
	default:
		return fmt.Errorf("unknown suite command %q: use run or add", sub)
	}
}

func cmdSuiteRun(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tether suite run", flag.ContinueOnError)
	c := commonFlags(fs)
	jobs := fs.Int("j", suite.DefaultConcurrency, "cases run at once, each in its own sandbox")
	keepFailed := fs.Bool("keep-failed", false, "keep the sandboxes of failed cases (labelled; `tether cleanup --all` removes them)")
	jsonOut := fs.String("json", "", "write the JSON report to this file (- for stdout)")
	junitOut := fs.String("junit", "", "write a JUnit XML report to this file")
	tui := fs.Bool("tui", false, "watch the run in the fleet view, with each case's live agent events (ctrl+c cancels it and shows the clean-up)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() != 1 {
		return errors.New("usage: tether suite run [flags] FILE.toml")
	}
	s, err := suite.Load(fs.Arg(0))
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
	if *tui {
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
		if *tui {
			run = func(ctx context.Context, s *suite.Suite, o suite.RunOptions) (*suite.Report, error) {
				return runSuiteTUI(ctx, s, o, cfg.UI.NoColor)
			}
		}
		rep, err = run(ctx, s, suite.RunOptions{
			Concurrency:  *jobs,
			KeepFailed:   *keepFailed,
			Providers:    suiteProviders(cfg, log),
			Models:       suiteModels(cfg, log),
			DefaultModel: cfg.LLM.Model,
			RecordDir:    recordDir,
			OnUpdate:     progress.Update,
			Registry:     reg,
			Logger:       log,
			Secrets:      cfg.Secrets(),
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
	if err := writeReport(*jsonOut, rep.WriteJSON); err != nil {
		return err
	}
	if err := writeReport(*junitOut, rep.WriteJUnit); err != nil {
		return err
	}
	if runErr != nil {
		if !app.IsExitStatus(runErr) {
			fmt.Fprintln(os.Stderr, "tether suite:", runErr)
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
		return app.NewProvider(c, log)
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
		m, err := app.NewModel(c, log)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return m, nil
	}
}
