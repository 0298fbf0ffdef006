// Command tether sends an LLM agent into a sandbox and lets you watch it
// work live, step through it, pause it or cancel it; headless, it runs a
// prompt and prints a JSON result. This package holds the commands and
// their flags only (spf13/cobra): the work is done in app, session,
// sandbox, llm and ui.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tether-dev/tether/internal/termsafe"

	"github.com/spf13/cobra"

	"github.com/tether-dev/tether/app"
	"github.com/tether-dev/tether/session"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	spareProcs()
	session.Version = version
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	stopProfiling := startProfiling()
	code := execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	stopProfiling()
	os.Exit(code)
}

// execute runs the command line args and returns the process exit code:
// 0 done, 1 failed (said already or printed here), 2 bad usage.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	var ee app.ExitStatus
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return int(ee)
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %s\nRun '%s --help' for usage.\n", cmd.CommandPath(), errText(ue.err), cmd.CommandPath())
		return 2
	default:
		fmt.Fprintln(stderr, "tether:", errText(err))
		return 1
	}
}

// errText is an error for the terminal. Errors quote file names, flags,
// sandbox ids and what servers and sandboxes said: any of them can hold
// escapes that would act on the terminal (retitle it, set the clipboard).
func errText(err error) string { return termsafe.Sanitize(err.Error()) }

// newRoot builds the command tree; the root command itself opens the UI.
func newRoot() *cobra.Command {
	root := newTUICmd()
	root.Version = version
	root.SilenceErrors = true // execute prints them, once
	root.SilenceUsage = true  // a failed run is not a usage error
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.SetVersionTemplate("tether {{.Version}}\n")
	root.AddCommand(
		newRunCmd(),
		newReplayCmd(),
		newLsCmd(),
		newResumeCmd(),
		newDiffCmd(),
		newExportCmd(),
		newCleanupCmd(),
		newSuiteCmd(),
		newSandboxCmd(),
		newConfigCmd(),
		&cobra.Command{
			Use:   "version",
			Short: "Print tether's version",
			Args:  noArgs,
			Run:   func(c *cobra.Command, _ []string) { fmt.Fprintln(c.OutOrStdout(), "tether", version) },
		},
	)
	return root
}

// usageError is bad usage: main prints it with a pointer to --help and
// exits 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// noArgs rejects positional arguments as bad usage.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

// exactArgs wants n positional arguments, named in what.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("want %s, got %d argument(s)", what, len(args))
		}
		return nil
	}
}

// group is a command that only holds subcommands: with none, or an
// unknown one, it is bad usage.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q", args[0])
			}
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error {
			return usagef("which one? %s", subNames(c))
		},
	}
	c.AddCommand(subs...)
	return c
}

func subNames(c *cobra.Command) string {
	s := ""
	for i, sub := range c.Commands() {
		if !sub.IsAvailableCommand() {
			continue
		}
		if i > 0 && s != "" {
			s += ", "
		}
		s += sub.Name()
	}
	return s
}
