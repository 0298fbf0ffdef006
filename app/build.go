// Package app wires configuration to the engine: it builds the sandbox
// provider and the model client from config.Config, runs an interactive
// session for the TUI (Engine) and a headless one for scripts (RunHeadless).
//
// It is glue: the agent loop lives in session, the screen in ui, sandboxes in
// sandbox and the chat client in llm. It must not render anything itself
// beyond the headless output format.
package app

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tether-dev/tether/config"
	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/session"
)

// NewProvider builds the sandbox provider the configuration names.
func NewProvider(cfg config.Config, log *slog.Logger) (sandbox.Provider, error) {
	switch cfg.Sandbox.Provider {
	case "local", "":
		return local.NewProvider(local.Options{
			BaseDir:   cfg.Local.BaseDir,
			Isolation: cfg.Local.Isolation,
			Network:   cfg.Local.Network,
			Keep:      cfg.Local.Keep,
			Logger:    log,
		})
	case "daytona":
		if err := cfg.RequireDaytona(); err != nil {
			return nil, err
		}
		return daytona.NewProvider(daytona.Options{
			APIKey:            string(cfg.Daytona.APIKey),
			APIURL:            cfg.Daytona.APIURL,
			Target:            cfg.Daytona.Target,
			Logger:            log,
			Image:             cfg.Daytona.Image,
			Snapshot:          cfg.Daytona.Snapshot,
			CreateTimeout:     cfg.Daytona.CreateTimeout.D(),
			AutoStopMinutes:   cfg.Daytona.AutoStopMinutes,
			AutoDeleteMinutes: cfg.Daytona.AutoDeleteMinutes,
			OnClose:           cfg.Daytona.OnClose,
		})
	}
	return nil, fmt.Errorf("unknown sandbox provider %q: use \"local\" or \"daytona\"", cfg.Sandbox.Provider)
}

// SandboxSpec is the sandbox the configuration asks for.
func SandboxSpec(cfg config.Config) sandbox.Spec {
	spec := sandbox.Spec{
		Labels: cfg.Sandbox.Labels,
		Env:    cfg.Sandbox.Env,
	}
	if cfg.Sandbox.Provider == "daytona" {
		spec.Image = cfg.Daytona.Image
		spec.Snapshot = cfg.Daytona.Snapshot
		spec.Target = cfg.Daytona.Target
		spec.CPU = cfg.Daytona.CPU
		spec.MemoryGB = cfg.Daytona.MemoryGB
		spec.DiskGB = cfg.Daytona.DiskGB
		spec.Ephemeral = cfg.Daytona.Ephemeral
		spec.AutoStopMinutes = cfg.Daytona.AutoStopMinutes
		spec.AutoDeleteMinutes = cfg.Daytona.AutoDeleteMinutes
		spec.CreateTimeout = cfg.Daytona.CreateTimeout.D()
		spec.Network = cfg.Daytona.Network
	} else {
		spec.Network = cfg.Local.Network
	}
	return spec
}

// NewModel builds the chat client, or returns (nil, reason) when no model
// is configured: tether still opens, for shell commands in the sandbox.
func NewModel(cfg config.Config, log *slog.Logger) (*llm.Client, error) {
	if err := cfg.RequireModel(); err != nil {
		return nil, err
	}
	prices := make(map[string]llm.Price, len(cfg.LLM.Prices))
	for name, p := range cfg.LLM.Prices {
		prices[name] = llm.Price{InputPerMTok: p.Input, OutputPerMTok: p.Output}
	}
	return llm.New(llm.Config{
		BaseURL:     cfg.LLM.BaseURL,
		APIKey:      string(cfg.LLM.APIKey),
		Model:       cfg.LLM.Model,
		Timeout:     cfg.LLM.Timeout.D(),
		IdleTimeout: cfg.LLM.IdleTimeout.D(),
		MaxRetries:  cfg.LLM.MaxRetries,
		Prices:      prices,
		Temperature: cfg.LLM.Temperature,
		MaxTokens:   cfg.LLM.MaxTokens,
		Logger:      log,
	})
}

// SessionOptions are the session settings the configuration asks for.
// The caller fills in Sandbox and Model.
func SessionOptions(cfg config.Config, log *slog.Logger) session.Options {
	return session.Options{
		ModelName:     cfg.LLM.Model,
		SystemPrompt:  cfg.Session.SystemPrompt,
		PlanningMode:  cfg.Session.PlanningMode,
		StepMode:      cfg.Session.StepMode,
		MaxIterations: cfg.Session.MaxIterations,
		MaxBudgetUSD:  cfg.Session.MaxBudgetUSD,
		Secrets:       cfg.Secrets(),
		Logger:        log,
	}
}

var recordSeq atomic.Int64

// RecordDir is the directory recordings go to, whether or not recording
// is on (listing them does not need it on).
func RecordDir(cfg config.Config) string {
	if cfg.Session.RecordDir != "" {
		return cfg.Session.RecordDir
	}
	return session.DefaultRecordDir()
}

// RecordPath is where a new session's JSONL recording goes, or "" when
// recording is off. The directory is created.
func RecordPath(cfg config.Config) (string, error) {
	if !cfg.Session.Record {
		return "", nil
	}
	dir := RecordDir(cfg)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the recordings directory (set [session] record_dir or record = false): %w", err)
	}
	// Unique per process (run id) and within it (counter): a fleet opens
	// several sessions in the same second.
	name := fmt.Sprintf("%s-%s-%d.jsonl", time.Now().UTC().Format("20060102-150405"), sandbox.RunID(), recordSeq.Add(1))
	return filepath.Join(dir, name), nil
}

// OpenLog opens tether's own log file. It never writes to the terminal.
func OpenLog(cfg config.Config) (*slog.Logger, io.Closer, error) {
	path := cfg.Log.File
	if path == "" {
		path = filepath.Join(config.StateDir(), "tether.log")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("creating the log directory (set [log] file): %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the log file (set [log] file): %w", err)
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.Log.Level)))
	h := slog.NewTextHandler(f, &slog.HandlerOptions{Level: level})
	return slog.New(redactHandler{Handler: h, secrets: cfg.Secrets()}), f, nil
}
