package main

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tether-dev/tether/app"
	"github.com/tether-dev/tether/config"
)

// common holds the flags several commands share; set ones override config.
// Each command registers only the groups that act on it, so its --help
// lists nothing it ignores.
type common struct {
	fs         *pflag.FlagSet
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

// newCommon registers --config, the one flag every command that reads the
// settings takes.
func newCommon(fs *pflag.FlagSet) *common {
	c := &common{fs: fs, labels: labelFlag{}}
	fs.StringVar(&c.configPath, "config", "", "config file (default $XDG_CONFIG_HOME/tether/config.toml, then ./tether.toml)")
	return c
}

// sandboxFlags registers the flags that choose and label sandboxes.
func (c *common) sandboxFlags(labels bool) *common {
	c.fs.StringVar(&c.provider, "provider", "", "sandbox provider: local or daytona")
	if labels {
		c.fs.Var(&c.labels, "label", "label KEY=VALUE for created sandboxes (repeatable)")
	}
	return c
}

// agentFlags registers the flags that shape an agent run.
func (c *common) agentFlags() *common {
	c.fs.StringVar(&c.model, "model", "", "model name (overrides LLM_MODEL)")
	c.fs.StringVar(&c.baseURL, "base-url", "", "OpenAI-compatible endpoint (overrides LLM_BASE_URL)")
	c.fs.Float64Var(&c.budget, "budget", 0, "stop a run when its cost reaches this many USD (config: session.max_budget_usd)")
	c.fs.IntVar(&c.maxIter, "max-iterations", 0, "model calls per run before it stops (config: session.max_iterations)")
	c.fs.BoolVar(&c.planning, "planning", false, "planning mode: adds the task_tracker tool")
	c.fs.BoolVar(&c.noRecord, "no-record", false, "do not write a JSONL recording")
	return c
}

// load reads the settings and applies the flags that were set, then
// validates the result (config.Validate names the flag or key at fault).
func (c *common) load() (config.Config, error) {
	cfg, err := config.Load(c.configPath, os.Getenv)
	if err != nil {
		return cfg, err
	}
	set := c.fs.Changed // false for a flag this command does not register
	if set("provider") {
		cfg.Sandbox.Provider = c.provider
	}
	if set("model") {
		cfg.LLM.Model = c.model
	}
	if set("base-url") {
		cfg.LLM.BaseURL = c.baseURL
	}
	if set("budget") {
		cfg.Session.MaxBudgetUSD = c.budget
	}
	if set("max-iterations") {
		cfg.Session.MaxIterations = c.maxIter
	}
	if set("planning") {
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

// labelFlag is a repeatable KEY=VALUE flag.
type labelFlag map[string]string

func (l labelFlag) String() string {
	parts := make([]string, 0, len(l))
	for k, v := range l {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (l labelFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	l[k] = v
	return nil
}

func (l labelFlag) Type() string { return "KEY=VALUE" }

// mergeLabels is a new map with a's labels, then b's over them.
func mergeLabels(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	maps.Copy(out, a)
	maps.Copy(out, b)
	return out
}

// openLog opens tether's log file, falling back to discarding with a
// warning: a log that cannot be written must not stop the user.
func openLog(cfg config.Config) (*slog.Logger, io.Closer) {
	log, closer, err := app.OpenLog(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tether: warning:", errText(err))
		return slog.New(slog.DiscardHandler), io.NopCloser(nil)
	}
	return log, closer
}
