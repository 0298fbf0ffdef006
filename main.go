// Command tether sends an LLM agent into a sandbox and lets you watch it
// work live, step through it, pause it or cancel it; headless, it runs a
// prompt and prints a JSON result. This file holds flags and subcommands
// only: the work is done in app, session, sandbox, llm and ui.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/tether-dev/tether/app"
	"github.com/tether-dev/tether/config"
	"github.com/tether-dev/tether/session"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `tether: send an LLM agent into a sandbox and watch it work.

Usage:
  tether [flags]                    open the terminal UI (local sandbox by default)
  tether run [flags] PROMPT         run one prompt headless; --json prints the result
  tether replay FILE.jsonl          replay a recorded session in the UI
  tether ls                         list recorded sessions
  tether cleanup [--yes]            find (and delete) sandboxes a crashed tether left
  tether suite run [-j N] FILE      run a suite of prompts in parallel sandboxes, with checks
  tether suite add RECORDING        turn a recorded session into a suite case
  tether sandbox create|exec|ls|rm  work with sandboxes by hand
  tether config                     show the effective settings (secrets masked)
  tether version

Flags common to the UI and run:
`

func main() {
	session.Version = version
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	err := dispatch(ctx, os.Args[1:])
	stop()
	var ee app.ExitStatus
	switch {
	case err == nil:
	case errors.As(err, &ee):
		os.Exit(int(ee))
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	default:
		fmt.Fprintln(os.Stderr, "tether:", err)
		os.Exit(1)
	}
}

func dispatch(ctx context.Context, args []string) error {
	cmd := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "":
		return cmdTUI(ctx, args)
	case "run":
		return cmdRun(ctx, args)
	case "replay":
		return cmdReplay(ctx, args)
	case "ls":
		return cmdLs(args)
	case "cleanup":
		return cmdCleanup(ctx, args)
	case "sandbox":
		return cmdSandbox(ctx, args)
	case "suite":
		return cmdSuite(ctx, args)
	case "config":
		return cmdConfig(args)
	case "version":
		fmt.Println("tether", version)
		return nil
	case "help":
		fmt.Print(usage)
		commonFlags(flag.NewFlagSet("tether", flag.ContinueOnError)).fs.PrintDefaults()
		return nil
	}
	return fmt.Errorf("unknown command %q: run `tether help` for the list", cmd)
}

// common holds the flags the UI and run share; set ones override config.
type common struct {
	fs         *flag.FlagSet
	configPath string
	provider   string
	model      string
	baseURL    string
	budget     float64
	maxIter    int
	planning   bool
	noRecord   bool
	labels     labelFlag
}

func commonFlags(fs *flag.FlagSet) *common {
	c := &common{fs: fs, labels: labelFlag{}}
	fs.StringVar(&c.configPath, "config", "", "config file (default $XDG_CONFIG_HOME/tether/config.toml, then ./tether.toml)")
	fs.StringVar(&c.provider, "provider", "", "sandbox provider: local or daytona")
	fs.StringVar(&c.model, "model", "", "model name (overrides LLM_MODEL)")
	fs.StringVar(&c.baseURL, "base-url", "", "OpenAI-compatible endpoint (overrides LLM_BASE_URL)")
	fs.Float64Var(&c.budget, "budget", 0, "stop a run when its cost reaches this many USD")
	fs.IntVar(&c.maxIter, "max-iterations", 0, "model calls per run before it stops")
	fs.BoolVar(&c.planning, "planning", false, "planning mode: adds the task_tracker tool")
	fs.BoolVar(&c.noRecord, "no-record", false, "do not write a JSONL recording")
	fs.Var(&c.labels, "label", "label KEY=VALUE for created sandboxes (repeatable)")
	return c
}

// load reads the settings and applies the flags that were set.
func (c *common) load() (config.Config, error) {
	cfg, err := config.Load(c.configPath, os.Getenv)
	if err != nil {
		return cfg, err
	}
	set := map[string]bool{}
	c.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["provider"] {
		cfg.Sandbox.Provider = c.provider
	}
	if set["model"] {
		cfg.LLM.Model = c.model
	}
	if set["base-url"] {
		cfg.LLM.BaseURL = c.baseURL
	}
	if set["budget"] {
		cfg.Session.MaxBudgetUSD = c.budget
	}
	if set["max-iterations"] {
		cfg.Session.MaxIterations = c.maxIter
	}
	if set["planning"] {
		cfg.Session.PlanningMode = c.planning
	}
	if c.noRecord {
		cfg.Session.Record = false
	}
	if len(c.labels) > 0 {
		cfg.Sandbox.Labels = mergeLabels(cfg.Sandbox.Labels, c.labels)
	}
	return cfg, cfg.Validate()
}

type labelFlag map[string]string

func (l labelFlag) String() string { return fmt.Sprint(map[string]string(l)) }
func (l labelFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	l[k] = v
	return nil
}

// openLog opens tether's log file, falling back to discarding with a
// warning: a log that cannot be written must not stop the user.
func openLog(cfg config.Config) (*slog.Logger, io.Closer) {
	log, closer, err := app.OpenLog(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tether: warning:", err)
		return slog.New(slog.DiscardHandler), io.NopCloser(nil)
	}
	return log, closer
}
