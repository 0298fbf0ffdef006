package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tether-dev/tether/setup"

	"github.com/spf13/cobra"

	"github.com/tether-dev/tether/app"
	"github.com/tether-dev/tether/internal/jsonsafe"
	"github.com/tether-dev/tether/internal/safefile"
	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
)

// runFlags are `tether run`'s own flags.
type runFlags struct {
	asJSON, events, quiet bool
	timeout               time.Duration
	promptFile            string
	resume                string
	at                    int64
}

// newRunCmd is `tether run PROMPT`: one prompt in, a result out, nothing
// left running.
func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [flags] PROMPT",
		Short: "Run one prompt headless; --json prints the result",
		Long: `Runs PROMPT in a fresh sandbox, deletes the sandbox and prints the result.
Flags may come before or after the prompt; -- ends the flags (tether run -- --not-a-flag).
Exit status: 0 finished, 1 error/stuck/cancelled/limit, 2 bad usage.`,
		Example: `  tether run --json "write fizzbuzz.py and run it"
  tether run -f prompt.md --budget 0.50 --timeout 10m
  tether run --resume ~/.local/share/tether/sessions/X.jsonl "now add tests"
  tether run --resume X.jsonl --at 12 --model gpt-4o   # fork after event 12, another model`,
	}
	c := newCommon(cmd.Flags()).sandboxFlags(true).agentFlags()
	fs := cmd.Flags()
	fs.BoolVar(&f.asJSON, "json", false, "print the result as JSON on stdout")
	fs.BoolVar(&f.events, "events", false, "print every event as a JSON line on stdout (with --json, the result is the last line)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress on stderr")
	fs.DurationVar(&f.timeout, "timeout", 0, "longest the run may take (default from config session.timeout, 30m)")
	fs.StringVarP(&f.promptFile, "file", "f", "", "read the prompt from this file (- for stdin)")
	fs.StringVar(&f.resume, "resume", "", "continue this recording (PROMPT optional when its run had not ended)")
	fs.Int64Var(&f.at, "at", 0, "with --resume: fork after this event (the seq the TUI shows); at a prompt, PROMPT replaces it")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if f.at != 0 && f.resume == "" {
			return usageError{errors.New("--at needs --resume RECORDING")}
		}
		if f.at < 0 {
			return usageError{fmt.Errorf("--at %d: events are numbered from 1 (the seq the TUI shows)", f.at)}
		}
		prompt, err := readPrompt(cmd.Context(), f.promptFile, args)
		if err != nil && cmd.Context().Err() != nil {
			return err // a signal while waiting for the prompt: not bad usage
		}
		if err != nil && (f.resume == "" || f.promptFile != "" || len(args) > 0) {
			return usageError{err}
		}
		return runHeadless(cmd.Context(), c, f, prompt)
	}
	return cmd
}

// runHeadless runs prompt to its end and prints the result.
func runHeadless(ctx context.Context, c *common, f runFlags, prompt string) error {
	if f.timeout < 0 {
		return usageError{fmt.Errorf("--timeout %s: must not be negative (0 = session.timeout from the config)", f.timeout)}
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	log, closer := openLog(cfg)
	defer closer.Close()
	app.PruneSnapshotsInBackground(cfg, log, f.resume)
	model, err := setup.Model(cfg, log)
	if err != nil {
		return err
	}
	provider, err := setup.Provider(cfg, log)
	if err != nil {
		return err
	}
	if w := app.UnconfinedWarning(provider); w != "" {
		fmt.Fprintln(os.Stderr, "tether run: warning:", w)
	}
	record, err := app.RecordPath(cfg)
	if err != nil {
		return err
	}
	sopts := setup.Session(cfg, log)
	sopts.Model = withFault(model)
	sopts.ModelPinned = c.fs.Changed("model") // else a --resume goes on with the recording's model
	sopts.RecordPath = record
	from, prompt, err := branchFrom(f, prompt)
	if err != nil {
		return err
	}
	if f.timeout == 0 {
		f.timeout = cfg.Session.Timeout.D()
	}
	var progress io.Writer = os.Stderr
	if f.quiet {
		progress = nil
	}
	var eventsOut io.Writer
	if f.events {
		eventsOut = os.Stdout
	}
	reg := sandbox.NewRegistry()
	var res app.HeadlessResult
	runErr := app.Guard(reg, log, os.Stderr, func() error {
		var err error
		res, err = app.RunHeadless(ctx, app.HeadlessOptions{
			Prompt:   prompt,
			Provider: provider,
			Spec:     setup.Spec(cfg),
			Registry: reg,
			Session:  sopts,
			Timeout:  f.timeout,
			Events:   eventsOut,
			Progress: progress,
			From:     from,
		})
		return err
	})
	if f.asJSON {
		enc := json.NewEncoder(jsonsafe.Writer(os.Stdout))
		if !f.events {
			enc.SetIndent("", "  ")
		}
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		// With --events stdout is JSON lines only: the final message is in
		// the events already.
		if msg := res.FinalMessage; msg != "" && !f.events {
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
				fmt.Fprintf(os.Stderr, " · recording %s", termsafe.SanitizeLine(res.RecordPath))
			}
			fmt.Fprintln(os.Stderr)
		}
	}
	if res.Unrestored != "" && !f.quiet {
		fmt.Fprintln(os.Stderr, "tether run:", termsafe.Sanitize(res.Unrestored))
	}
	if runErr != nil && !f.asJSON && !app.IsExitStatus(runErr) {
		if ctx.Err() != nil && context.Cause(ctx) != ctx.Err() {
			// A signal: say which, rather than "context canceled".
			fmt.Fprintln(os.Stderr, "tether run: stopped:", errText(context.Cause(ctx)))
		} else {
			fmt.Fprintln(os.Stderr, "tether run:", errText(runErr))
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

// maxPromptBytes bounds a prompt read with -f: /dev/zero or an endless
// pipe must not grow memory without end.
const maxPromptBytes = safefile.DefaultMax

// readPrompt returns the prompt from -f FILE ("-" = stdin) or the
// arguments. Reading a pipe, a FIFO or a terminal can wait for ever: a
// signal (ctx) ends the wait, so ctrl+c works while tether waits for the
// prompt.
func readPrompt(ctx context.Context, file string, args []string) (string, error) {
	var prompt string
	switch {
	case file != "":
		type read struct {
			b   []byte
			err error
		}
		done := make(chan read, 1)
		go func() { // abandoned on a signal: the process exits
			b, err := readPromptFile(file)
			done <- read{b, err}
		}()
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("reading the prompt: stopped: %w", context.Cause(ctx))
		case r := <-done:
			if r.err != nil {
				return "", fmt.Errorf("reading the prompt: %w", r.err)
			}
			prompt = string(r.b)
		}
	default:
		prompt = strings.Join(args, " ")
	}
	if strings.TrimSpace(prompt) == "" {
		return "", errors.New("no prompt: give it as an argument, or with -f FILE (- for stdin)")
	}
	return prompt, nil
}

// readPromptFile reads at most maxPromptBytes of file (stdin for "-"),
// which may be a pipe (`-f <(cmd)`) or a FIFO, refusing more.
func readPromptFile(file string) ([]byte, error) {
	r := io.Reader(os.Stdin)
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			return nil, fmt.Errorf("%s is a directory: give the file holding the prompt", file)
		}
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxPromptBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPromptBytes {
		return nil, fmt.Errorf("the prompt is more than %d MiB: is %s the right file?", maxPromptBytes>>20, file)
	}
	return b, nil
}

// branchFrom turns --resume/--at into where the run goes on from. At a
// user_message, the prompt given replaces that event's prompt.
func branchFrom(f runFlags, prompt string) (*session.Branch, string, error) {
	if f.resume == "" {
		return nil, prompt, nil
	}
	b := &session.Branch{Recording: f.resume, At: f.at}
	if f.at == 0 {
		return b, prompt, nil
	}
	_, evs, err := session.ReadRecordingFile(f.resume)
	if err != nil {
		return nil, "", fmt.Errorf("--resume: %w", err)
	}
	for _, ev := range evs {
		if ev.Seq == f.at && ev.Kind == session.KindUserMessage && prompt != "" {
			b.Edit.Prompt = prompt
			return b, "", nil
		}
	}
	return b, prompt, nil
}
