package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/tether-dev/tether/internal/safefile"
	"github.com/tether-dev/tether/internal/tomlpos"
)

// Load builds the effective settings: defaults, then the file, then the
// environment. path is the --config flag: when set it must exist;
// otherwise $XDG_CONFIG_HOME/tether/config.toml, then ./tether.toml, are
// read if present.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	file, explicit := path, path != ""
	if !explicit {
		file = findFile()
	}
	if file != "" {
		data, err := safefile.Read(file, safefile.DefaultMax) // not a FIFO, not /dev/zero
		switch {
		case errors.Is(err, fs.ErrNotExist) && !explicit:
			// no file: defaults and environment only
		case err != nil:
			return cfg, fmt.Errorf("reading config: %w", err)
		default:
			if err := decode(file, data, &cfg); err != nil {
				return cfg, err
			}
			cfg.Source = file
		}
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func findFile() string {
	for _, p := range []string{DefaultPath(), "tether.toml"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// decode reads TOML into cfg, rejecting unknown keys with file and line.
func decode(file string, data []byte, cfg *Config) error {
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(cfg)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return fmt.Errorf("%s:%d: %s (key %q); see config.toml.example for the valid settings",
				file, pe.Position.Line, pe.Message, pe.LastKey)
		}
		if m := tomlLine.FindStringSubmatch(err.Error()); m != nil {
			return fmt.Errorf("%s:%s: %s; see config.toml.example for the valid settings", file, m[1], m[2])
		}
		return fmt.Errorf("%s: %w", file, err)
	}
	for _, key := range md.Undecoded() {
		if isFreeForm(key) {
			continue
		}
		return fmt.Errorf("%s:%d: unknown setting %q; see config.toml.example for the valid settings",
			file, keyLine(data, key.String()), key.String())
	}
	return checkValues(file, data, cfg)
}

// checkValues points at the line of a value the decoder accepts but
// tether cannot use (Validate says the same for flags and environment).
func checkValues(file string, data []byte, cfg *Config) error {
	at := func(key string) int {
		if n := keyLine(data, key); n > 0 {
			return n
		}
		return keyLine(data, parentKey(key))
	}
	if b := cfg.Session.MaxBudgetUSD; b < 0 || math.IsNaN(b) || math.IsInf(b, 0) {
		return fmt.Errorf("%s:%d: session.max_budget_usd must be a number of USD, 0 or more (0 = no limit), not %v", file, at("session.max_budget_usd"), b)
	}
	if g := cfg.Session.SnapshotsMaxGB; g < 0 || math.IsNaN(g) || math.IsInf(g, 0) {
		return fmt.Errorf("%s:%d: session.snapshots_max_gb must be a number of GB, 0 or more (0 = no limit), not %v", file, at("session.snapshots_max_gb"), g)
	}
	if cfg.Session.SnapshotsKeepDays < 0 {
		return fmt.Errorf("%s:%d: session.snapshots_keep_days must not be negative (0 = no limit)", file, at("session.snapshots_keep_days"))
	}
	for _, k := range slices.Sorted(maps.Keys(cfg.Sandbox.Env)) {
		if !validEnvName(k) {
			return fmt.Errorf("%s:%d: sandbox.env: %q is not a variable name (not empty, no \"=\")", file, at("sandbox.env."+k), k)
		}
	}
	return nil
}

func parentKey(k string) string {
	if i := strings.LastIndexByte(k, '.'); i > 0 {
		return k[:i]
	}
	return k
}

// validEnvName reports whether k can name an environment variable.
func validEnvName(k string) bool { return k != "" && !strings.ContainsAny(k, "=\x00") }

// tomlLine matches the decoder's type errors, which carry the line in text.
var tomlLine = regexp.MustCompile(`^toml: line (\d+) (.*)$`)

// isFreeForm reports keys under maps whose entries the user names.
func isFreeForm(key toml.Key) bool {
	if len(key) < 3 {
		return false
	}
	switch key[0] + "." + key[1] {
	case "sandbox.labels", "sandbox.env", "mcp.env":
		return true
	}
	return false
}

// applyEnv overrides settings from the variables users already keep in
// .env files for Daytona and OpenHands.
func applyEnv(cfg *Config, getenv func(string) string) error {
	str := func(dst *string, names ...string) {
		for _, n := range names {
			if v := getenv(n); v != "" {
				*dst = v
				return
			}
		}
	}
	// A Secret is a string underneath: the same setter fills both.
	secret := func(dst *Secret, names ...string) { str((*string)(dst), names...) }
	secret(&cfg.Daytona.APIKey, "DAYTONA_API_KEY")
	str(&cfg.Daytona.APIURL, "DAYTONA_API_URL", "DAYTONA_SERVER_URL")
	str(&cfg.Daytona.Target, "DAYTONA_TARGET")
	str(&cfg.Daytona.Image, "DAYTONA_IMAGE")
	str(&cfg.Daytona.Snapshot, "DAYTONA_SNAPSHOT")
	if v := getenv("DAYTONA_TIMEOUT"); v != "" {
		d, err := parseDuration(v)
		if err != nil {
			return fmt.Errorf("DAYTONA_TIMEOUT: %w", err)
		}
		cfg.Daytona.CreateTimeout = Duration(d)
	}
	secret(&cfg.LLM.APIKey, "LLM_API_KEY", "OPENAI_API_KEY")
	str(&cfg.LLM.Model, "LLM_MODEL")
	str(&cfg.LLM.BaseURL, "LLM_BASE_URL", "OPENAI_BASE_URL")
	str(&cfg.Sandbox.Provider, "TETHER_PROVIDER")
	if v := getenv("TETHER_MAX_BUDGET_USD"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("TETHER_MAX_BUDGET_USD=%q is not a number", v)
		}
		cfg.Session.MaxBudgetUSD = f
	}
	if getenv("NO_COLOR") != "" {
		cfg.UI.NoColor = true
	}
	return nil
}

// Show renders the effective settings as TOML with secrets masked.
func (c Config) Show() (string, error) {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(c); err != nil {
		return "", fmt.Errorf("rendering config: %w", err)
	}
	return b.String(), nil
}

// keyLine is the line of a key the decoder names without array indices
// ("mcp.comand" for the second [[mcp]]'s typo): the first such key.
func keyLine(data []byte, key string) int {
	loc := tomlpos.New(data)
	if n := loc.Line(key); n > 0 {
		return n
	}
	_, n := loc.Find(key, "")
	return n
}
