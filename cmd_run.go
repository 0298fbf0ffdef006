package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tether-dev/tether/app"
	"github.com/tether-dev/tether/internal/jsonsafe"
	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
)

// cmdRun is `tether run`: one prompt in, a result out, nothing left running.
func cmdRun(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tether run", flag.ContinueOnError)
	c := commonFlags(fs)
	asJSON := fs.Bool("json", false, "print the result as JSON on stdout")
	events := fs.Bool("events", false, "print every event as a JSON line on stdout (with --json, the result is the last line)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	timeout := fs.Duration("timeout", 0, "longest the run may take (default from config, 30m)")
	promptFile := fs.String("f", "", "read the prompt from this file (- for stdin)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: tether run [flags] PROMPT\n\nRuns PROMPT in a fresh sandbox, deletes the sandbox and prints the result.\nExit status: 0 finished, 1 error/stuck/cancelled/limit, 2 bad usage.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	prompt, err := readPrompt(*promptFile, fs.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "tether run:", err)
		return app.ExitStatus(2)
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	log, closer := openLog(cfg)
	defer closer.Close()
	model, err := app.NewModel(cfg, log)
	if err != nil {
		return err
	}
	provider, err := app.NewProvider(cfg, log)
	if err != nil {
		return err
	}
	record, err := app.RecordPath(cfg)
	if err != nil {
		return err
	}
	sopts := app.SessionOptions(cfg, log)
	sopts.Model = withFault(model)
	sopts.RecordPath = record
	if *timeout == 0 {
		*timeout = cfg.Session.Timeout.D()
	}
	var progress io.Writer = os.Stderr
	if *quiet {
		progress = nil
	}
	var eventsOut io.Writer
	if *events {
		eventsOut = os.Stdout
	}
	reg := sandbox.NewRegistry()
	var res app.HeadlessResult
	runErr := app.Guard(reg, log, os.Stderr, func() error {
		var err error
		res, err = app.RunHeadless(ctx, app.HeadlessOptions{
			Prompt:   prompt,
			Provider: provider,
			Spec:     app.SandboxSpec(cfg),
			Registry: reg,
			Session:  sopts,
			Timeout:  *timeout,
			Events:   eventsOut,
			Progress: progress,
		})
		return err
	})
	if *asJSON {
		enc := json.NewEncoder(jsonsafe.Writer(os.Stdout))
		if !*events {
			enc.SetIndent("", "  ")
		}
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		if msg := res.FinalMessage; msg != "" {
			// The model may repeat escapes it read in the sandbox: on a
			// terminal they would act (title, clipboard). A pipe gets the text.
			if isTerminal(os.Stdout) {
				msg = termsafe.Sanitize(msg)
			}
			fmt.Println(msg)
		}
		if res.Status != "" { // empty when no run started (e.g. no sandbox)
			fmt.Fprintf(os.Stderr, "%s · %d events · %s · %s", res.Status, res.EventCount, costText(res.Result), res.Duration.Round(1e6))
			if res.RecordPath != "" {
				fmt.Fprintf(os.Stderr, " · recording %s", res.RecordPath)
			}
			fmt.Fprintln(os.Stderr)
		}
	}
	if runErr != nil && !*asJSON && !app.IsExitStatus(runErr) {
		if ctx.Err() != nil && context.Cause(ctx) != ctx.Err() {
			// A signal: say which, rather than "context canceled".
			fmt.Fprintln(os.Stderr, "tether run: stopped:", context.Cause(ctx))
		} else {
			fmt.Fprintln(os.Stderr, "tether run:", runErr)
		}
	}
	if runErr != nil || res.Status != session.StateFinished {
		return app.ExitStatus(1)
	}
	return nil
}

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func costText(r session.Result) string {
	if !r.CostKnown {
		return fmt.Sprintf("%d+%d tokens, cost unknown", r.PromptTokens, r.CompletionTokens)
	}
	return fmt.Sprintf("%d+%d tokens, $%.4f", r.PromptTokens, r.CompletionTokens, r.CostUSD)
}

func readPrompt(file string, args []string) (string, error) {
	var prompt string
	switch {
	case file == "-":
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			return "", fmt.Errorf("reading the prompt from stdin: %w", err)
		}
		prompt = string(b)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading the prompt: %w", err)
		}
		prompt = string(b)
	default:
		prompt = strings.Join(args, " ")
	}
	if strings.TrimSpace(prompt) == "" {
		return "", errors.New("no prompt: give it as an argument, or with -f FILE (- for stdin)")
	}
	return prompt, nil
}

// usageErr turns a flag parse failure into exit status 2 (help is not a failure).
func usageErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return app.ExitStatus(2)
}
