package setup

import (
	"log/slog"
	"os"

	"github.com/tether-dev/tether/config"
	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/sandbox"
)

// FromEnv loads the configuration as tether does (defaults, then the
// config file if one exists, then LLM_*, OPENAI_*, DAYTONA_* and
// TETHER_PROVIDER from the environment).
func FromEnv() (config.Config, error) { return config.Load("", os.Getenv) }

// ProviderFromEnv is the sandbox provider the environment (and config file)
// names, with the Spec its sandboxes should have: local unless
// TETHER_PROVIDER=daytona, in which case DAYTONA_API_KEY is required.
func ProviderFromEnv() (sandbox.Provider, sandbox.Spec, error) {
	cfg, err := FromEnv()
	if err != nil {
		return nil, sandbox.Spec{}, err
	}
	p, err := Provider(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, sandbox.Spec{}, err
	}
	return p, Spec(cfg), nil
}

// ModelFromEnv is the model client LLM_BASE_URL, LLM_API_KEY (or
// OPENAI_API_KEY) and LLM_MODEL describe. Without a model configured the
// error says what to set.
func ModelFromEnv() (*llm.Client, error) {
	cfg, err := FromEnv()
	if err != nil {
		return nil, err
	}
	return Model(cfg, slog.New(slog.DiscardHandler))
}
