// Package setup turns tether's configuration (a TOML file and environment
// variables, see package config) into the pieces a library user or a command
// needs: a sandbox provider, the Spec for its sandboxes, a model client and
// session options. It is what `tether` itself uses, without the terminal UI:
// a program that imports it links neither ui nor bubbletea.
//
// It is wiring only: it must not import ui or app, and holds no state.
package setup

import (
	"fmt"
	"log/slog"

	"github.com/tether-dev/tether/config"
	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/mcp"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/session"
)

// Provider builds the sandbox provider the configuration names.
func Provider(cfg config.Config, log *slog.Logger) (sandbox.Provider, error) {
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
			SnapshotSteps:     cfg.Daytona.SnapshotSteps,
		})
	}
	return nil, fmt.Errorf("unknown sandbox provider %q: use \"local\" or \"daytona\"", cfg.Sandbox.Provider)
}

// Spec is the sandbox the configuration asks for.
func Spec(cfg config.Config) sandbox.Spec {
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

// Model builds the chat client, or returns (nil, reason) when no model
// is configured: tether still opens, for shell commands in the sandbox.
func Model(cfg config.Config, log *slog.Logger) (*llm.Client, error) {
	if err := cfg.RequireModel(); err != nil {
		return nil, err
	}
	prices := make(map[string]llm.Price, len(cfg.LLM.Prices))
	for name, p := range cfg.LLM.Prices {
		prices[name] = llm.Price{InputPerMTok: p.Input, OutputPerMTok: p.Output,
			CachedInputPerMTok: p.CachedInput, CacheWritePerMTok: p.CacheWrite}
	}
	return llm.New(llm.Config{
		BaseURL:          cfg.LLM.BaseURL,
		APIKey:           string(cfg.LLM.APIKey),
		Model:            cfg.LLM.Model,
		API:              cfg.LLM.API,
		Timeout:          cfg.LLM.Timeout.D(),
		IdleTimeout:      cfg.LLM.IdleTimeout.D(),
		MaxReplyBytes:    cfg.LLM.MaxReplyBytes,
		MaxReplyDuration: cfg.LLM.MaxReplyDuration.D(),
		MaxRetries:       cfg.LLM.MaxRetries,
		Prices:           prices,
		Temperature:      cfg.LLM.Temperature,
		MaxTokens:        cfg.LLM.MaxTokens,
		MaxTokensParam:   cfg.LLM.MaxTokensParam,
		Logger:           log,
	})
}

// Session is the session settings the configuration asks for.
// The caller fills in Sandbox and Model.
func Session(cfg config.Config, log *slog.Logger) session.Options {
	return session.Options{
		ModelName:     cfg.LLM.Model,
		SystemPrompt:  cfg.Session.SystemPrompt,
		PlanningMode:  cfg.Session.PlanningMode,
		StepMode:      cfg.Session.StepMode,
		MaxIterations: cfg.Session.MaxIterations,
		MaxBudgetUSD:  cfg.Session.MaxBudgetUSD,
		Secrets:       cfg.Secrets(),
		Logger:        log,
		ToolSources:   mcpSources(cfg, log),
		// A fork's first model call need not wait for a copied workspace.
		PipelineRestore: true,
	}
}

// mcpSources is the [[mcp]] servers as one tool source (none: nil).
func mcpSources(cfg config.Config, log *slog.Logger) []session.ToolSource {
	if len(cfg.MCP) == 0 {
		return nil
	}
	src := mcp.Source{Logger: log}
	for _, m := range cfg.MCP {
		src.Servers = append(src.Servers, mcp.Server{
			Name: m.Name, Where: m.Where, Command: m.Command, Args: m.Args, Env: m.Env, URL: m.URL,
			CallTimeout: m.CallTimeout.D(), StartTimeout: m.StartTimeout.D(),
		})
	}
	return []session.ToolSource{src}
}
