// Package config loads tether's settings: built-in defaults, then a TOML
// file, then environment variables, then command-line flags (applied by the
// caller). It owns validation and the masking of secrets for display.
//
// It must not import sandbox, llm, session or ui: it only describes settings.
package config

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tether-dev/tether/internal/redact"
)

// Config is every setting tether has. The TOML keys are documented in
// config.toml.example at the repository root.
type Config struct {
	Sandbox SandboxConfig `toml:"sandbox"`
	Local   LocalConfig   `toml:"local"`
	Daytona DaytonaConfig `toml:"daytona"`
	LLM     LLMConfig     `toml:"llm"`
	Session SessionConfig `toml:"session"`
	Log     LogConfig     `toml:"log"`
	UI      UIConfig      `toml:"ui"`
	// MCP are Model Context Protocol servers whose tools the agent gets.
	MCP []MCPServer `toml:"mcp"`

	// Source is the file the settings were read from ("" when none).
	Source string `toml:"-"`
}

// MCPServer is one [[mcp]] entry: a server whose tools the agent may call.
// A stdio server runs inside the sandbox unless where says otherwise.
type MCPServer struct {
	Name         string            `toml:"name"`    // tools are called "<name>__<tool>"
	Where        string            `toml:"where"`   // "sandbox" (default), "host" or "http"
	Command      string            `toml:"command"` // stdio: in the sandbox a shell string; on the host the program
	Args         []string          `toml:"args"`    // host: the program's arguments
	Env          map[string]string `toml:"env"`     // extra environment for the server
	URL          string            `toml:"url"`     // http: the streamable-HTTP endpoint
	CallTimeout  Duration          `toml:"call_timeout"`
	StartTimeout Duration          `toml:"start_timeout"`
}

// SandboxConfig chooses where agents run.
type SandboxConfig struct {
	Provider string            `toml:"provider"` // "local" or "daytona"
	Labels   map[string]string `toml:"labels"`   // added to every sandbox tether creates
	Env      map[string]string `toml:"env"`      // environment variables set in the sandbox
}

// LocalConfig tunes the embedded local provider.
type LocalConfig struct {
	BaseDir   string `toml:"base_dir"`  // "" = $XDG_STATE_HOME/tether/sandboxes
	Isolation string `toml:"isolation"` // "auto", "bwrap" or "none"
	Network   string `toml:"network"`   // "on" (egress only), "off" or "host" (shares this machine's network)
	Keep      bool   `toml:"keep"`      // keep workspaces after the session
	// Limits per sandbox; 0 = the default (all CPUs, half the memory,
	// 1024 processes, 10 GB of disk for workspace, HOME and /tmp).
	CPU      int `toml:"cpu"`
	MemoryGB int `toml:"memory_gb"`
	PIDs     int `toml:"pids"`
	DiskGB   int `toml:"disk_gb"`
	// Mounts are extra host paths the agent may see, "SRC[:DEST][:ro|rw]"
	// (read-only by default), e.g. "~/.cache/pip:ro".
	Mounts []string `toml:"mounts"`
}

// DaytonaConfig configures the Daytona provider.
type DaytonaConfig struct {
	APIKey            Secret   `toml:"api_key"`
	APIURL            string   `toml:"api_url"`
	Target            string   `toml:"target"`
	Image             string   `toml:"image"`
	Snapshot          string   `toml:"snapshot"`
	CPU               int      `toml:"cpu"`
	MemoryGB          int      `toml:"memory_gb"`
	DiskGB            int      `toml:"disk_gb"`
	Ephemeral         bool     `toml:"ephemeral"`
	AutoStopMinutes   *int     `toml:"auto_stop_minutes"`
	AutoDeleteMinutes *int     `toml:"auto_delete_minutes"`
	CreateTimeout     Duration `toml:"create_timeout"`
	OnClose           string   `toml:"on_close"` // "delete" or "stop"
	Network           string   `toml:"network"`  // "on" or "off"
	// SnapshotSteps takes a Daytona snapshot after each tool call that may
	// change files, so forks at any step restore exactly (slow, billed).
	SnapshotSteps bool `toml:"snapshot_steps"`
}

// LLMConfig configures the chat model endpoint.
type LLMConfig struct {
	BaseURL     string   `toml:"base_url"`
	APIKey      Secret   `toml:"api_key"`
	Model       string   `toml:"model"`
	Timeout     Duration `toml:"timeout"`
	IdleTimeout Duration `toml:"idle_timeout"` // silence allowed once a reply streams
	MaxRetries  int      `toml:"max_retries"`
	Temperature *float32 `toml:"temperature"`
	MaxTokens   int      `toml:"max_tokens"`
	// MaxTokensParam: "max_tokens", "max_completion_tokens", or "" (by model name).
	MaxTokensParam string `toml:"max_tokens_param"`
	// API: "chat", "responses", or "" (by model name).
	API string `toml:"api"`
	// MaxReplyBytes and MaxReplyDuration cut a runaway reply; 0 = defaults (8 MiB, 20m).
	MaxReplyBytes    int              `toml:"max_reply_bytes"`
	MaxReplyDuration Duration         `toml:"max_reply_duration"`
	Prices           map[string]Price `toml:"prices"`
}

// Price overrides the built-in price table for one model, in USD per
// million tokens.
type Price struct {
	Input  float64 `toml:"input"`
	Output float64 `toml:"output"`
	// CachedInput is the rate for prompt tokens read from the cache and
	// CacheWrite for those written to it; 0 = the input rate.
	CachedInput float64 `toml:"cached_input"`
	CacheWrite  float64 `toml:"cache_write"`
}

// SessionConfig tunes the agent loop.
type SessionConfig struct {
	MaxIterations int      `toml:"max_iterations"`
	MaxBudgetUSD  float64  `toml:"max_budget_usd"`
	StepMode      bool     `toml:"step_mode"`
	PlanningMode  bool     `toml:"planning_mode"`
	RecordDir     string   `toml:"record_dir"` // "" = $XDG_DATA_HOME/tether/sessions
	Record        bool     `toml:"record"`
	SystemPrompt  string   `toml:"system_prompt"`
	Timeout       Duration `toml:"timeout"` // a whole headless run
	// Workspace snapshots (X.snapshots beside recordings) are pruned,
	// oldest session first, past this many GB in all or this many days
	// since their session last ran; 0 = no limit.
	SnapshotsMaxGB    float64 `toml:"snapshots_max_gb"`
	SnapshotsKeepDays int     `toml:"snapshots_keep_days"`
}

// LogConfig says where tether's own log goes: always a file, never the
// terminal the TUI owns.
type LogConfig struct {
	File  string `toml:"file"`  // "" = $XDG_STATE_HOME/tether/tether.log
	Level string `toml:"level"` // debug, info, warn, error
}

// UIConfig tunes the terminal UI.
type UIConfig struct {
	NoColor bool `toml:"no_color"`
}

// Default returns the built-in settings: the local sandbox, no model.
func Default() Config {
	return Config{
		Sandbox: SandboxConfig{Provider: "local"},
		Local:   LocalConfig{Isolation: "auto", Network: "on"},
		Daytona: DaytonaConfig{
			CreateTimeout: Duration(3 * time.Minute),
			OnClose:       "delete",
			Network:       "on",
		},
		LLM: LLMConfig{
			BaseURL:     "https://api.openai.com/v1",
			Timeout:     Duration(5 * time.Minute),
			IdleTimeout: Duration(2 * time.Minute),
			MaxRetries:  4,
		},
		Session: SessionConfig{
			MaxIterations:     100,
			Record:            true,
			Timeout:           Duration(30 * time.Minute),
			SnapshotsMaxGB:    20,
			SnapshotsKeepDays: 30,
		},
		Log: LogConfig{Level: "info"},
	}
}

// Validate checks values that the file format alone cannot.
func (c *Config) Validate() error {
	var errs []string
	oneOf := func(key, v string, allowed ...string) {
		if slices.Contains(allowed, v) {
			return
		}
		errs = append(errs, fmt.Sprintf("%s = %q: must be one of %s", key, v, strings.Join(allowed, ", ")))
	}
	oneOf("sandbox.provider", c.Sandbox.Provider, "local", "daytona")
	seen := map[string]bool{}
	for i, m := range c.MCP {
		switch {
		case m.Name == "":
			errs = append(errs, fmt.Sprintf("mcp[%d]: set name (its tools are called <name>__<tool>)", i))
		case seen[m.Name]:
			errs = append(errs, fmt.Sprintf("mcp[%d]: name %q is used twice", i, m.Name))
		}
		seen[m.Name] = true
		if m.Where != "" {
			oneOf(fmt.Sprintf("mcp[%d].where", i), m.Where, "sandbox", "host", "http")
		}
		if m.Where == "http" && m.URL == "" || m.Where != "http" && m.Command == "" {
			errs = append(errs, fmt.Sprintf("mcp[%d] (%s): set command (a stdio server) or where = \"http\" with url", i, m.Name))
		}
	}
	oneOf("local.isolation", c.Local.Isolation, "auto", "bwrap", "none")
	oneOf("local.network", c.Local.Network, "on", "off", "host")
	oneOf("daytona.on_close", c.Daytona.OnClose, "delete", "stop")
	oneOf("daytona.network", c.Daytona.Network, "on", "off")
	oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	if c.Session.MaxIterations < 0 {
		errs = append(errs, "session.max_iterations must not be negative")
	}
	if g := c.Session.SnapshotsMaxGB; g < 0 || math.IsNaN(g) || math.IsInf(g, 0) {
		errs = append(errs, fmt.Sprintf("session.snapshots_max_gb must be a number of GB, 0 or more (0 = no limit), not %v", g))
	}
	if c.Session.SnapshotsKeepDays < 0 {
		errs = append(errs, "session.snapshots_keep_days must not be negative (0 = no limit)")
	}
	if b := c.Session.MaxBudgetUSD; b < 0 || math.IsNaN(b) || math.IsInf(b, 0) {
		errs = append(errs, fmt.Sprintf("session.max_budget_usd must be a number of USD, 0 or more (0 = no limit), not %v", b))
	}
	for name, d := range map[string]Duration{
		"session.timeout": c.Session.Timeout, "llm.timeout": c.LLM.Timeout, "llm.idle_timeout": c.LLM.IdleTimeout,
	} {
		if d < 0 {
			errs = append(errs, fmt.Sprintf("%s must not be negative (got %s)", name, time.Duration(d)))
		}
	}
	for k := range c.Sandbox.Env {
		if !validEnvName(k) {
			errs = append(errs, fmt.Sprintf("sandbox.env: %q is not a variable name (no \"=\", not empty)", k))
		}
	}
	if len(errs) > 0 {
		src := "settings"
		if c.Source != "" {
			src = c.Source
		}
		return fmt.Errorf("%s: %s", src, strings.Join(errs, "; "))
	}
	return nil
}

// Secrets returns every secret value worth redacting from text, by
// redact's one rule (a placeholder key such as "x", which local servers
// accept, would otherwise mask every x on screen).
func (c *Config) Secrets() []string {
	var out []string
	for _, s := range []Secret{c.LLM.APIKey, c.Daytona.APIKey} {
		if redact.IsSecret(string(s)) {
			out = append(out, string(s))
		}
	}
	return out
}

// RequireModel reports, in words a user can act on, what is missing to
// talk to a model.
func (c *Config) RequireModel() error {
	if c.LLM.Model == "" {
		return fmt.Errorf("no model configured: set LLM_MODEL (and LLM_API_KEY, LLM_BASE_URL for non-OpenAI endpoints) or [llm] model in %s", c.describeFile())
	}
	if c.LLM.APIKey == "" && isHostedEndpoint(c.LLM.BaseURL) {
		return fmt.Errorf("no API key for %s: set LLM_API_KEY (or OPENAI_API_KEY) or [llm] api_key in %s", c.LLM.BaseURL, c.describeFile())
	}
	return nil
}

// RequireDaytona reports what is missing to use Daytona.
func (c *Config) RequireDaytona() error {
	if c.Daytona.APIKey == "" {
		return fmt.Errorf("the daytona provider needs an API key: set DAYTONA_API_KEY or [daytona] api_key in %s", c.describeFile())
	}
	return nil
}

func (c *Config) describeFile() string {
	if c.Source != "" {
		return c.Source
	}
	return DefaultPath()
}

// isHostedEndpoint is true for endpoints that always need a key; local
// servers (Ollama, vLLM on localhost) usually do not.
func isHostedEndpoint(baseURL string) bool {
	u := strings.ToLower(baseURL)
	return !strings.Contains(u, "localhost") && !strings.Contains(u, "127.0.0.1") && !strings.Contains(u, "[::1]")
}

// DefaultPath is $XDG_CONFIG_HOME/tether/config.toml (~/.config/... when unset).
func DefaultPath() string {
	return filepath.Join(xdgDir("XDG_CONFIG_HOME", ".config"), "tether", "config.toml")
}

// StateDir is $XDG_STATE_HOME/tether: logs and local sandboxes.
func StateDir() string { return filepath.Join(xdgDir("XDG_STATE_HOME", ".local/state"), "tether") }

func xdgDir(env, fallback string) string {
	if d := os.Getenv(env); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "tether-"+env)
	}
	return filepath.Join(home, fallback)
}
