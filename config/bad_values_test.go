package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBadValuesAreRefusedWithTheirLine: values the TOML decoder accepts
// but that would disable a limit or break the sandbox are errors that
// point at the line.
func TestBadValuesAreRefusedWithTheirLine(t *testing.T) {
	for name, tc := range map[string]struct{ toml, want string }{
		"budget nan":       {"[session]\nmax_iterations = 3\nmax_budget_usd = nan\n", ":3: session.max_budget_usd must be a number"},
		"budget inf":       {"[session]\nmax_budget_usd = inf\n", ":2: session.max_budget_usd"},
		"env name A=B":     {"[sandbox]\nprovider = \"local\"\n[sandbox.env]\nOK = \"1\"\n\"A=B\" = \"x\"\n", `sandbox.env: "A=B" is not a variable name`},
		"env name empty":   {"[sandbox.env]\n\"\" = \"x\"\n", `sandbox.env: "" is not a variable name`},
		"negative timeout": {"[session]\ntimeout = \"-1s\"\n", "must not be negative"},
	} {
		path := filepath.Join(t.TempDir(), "config.toml")
		if err := os.WriteFile(path, []byte(tc.toml), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path, func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: Load = %v, want an error naming %s and saying %q", name, err, path, tc.want)
		}
	}
}

// TestValidateRefusesBadFlags covers the same values set from flags.
func TestValidateRefusesBadFlags(t *testing.T) {
	cfg := Default()
	cfg.Session.Timeout = Duration(-time.Second)
	cfg.Session.MaxBudgetUSD = nanValue()
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "session.timeout must not be negative") || !strings.Contains(err.Error(), "max_budget_usd") {
		t.Errorf("Validate = %v", err)
	}
}

func nanValue() float64 { var z float64; return z / z }

// TestLoadRefusesDevicesAndPipes: --config /dev/zero used to grow memory
// without end, a FIFO to block forever.
func TestLoadRefusesDevicesAndPipes(t *testing.T) {
	_, err := Load("/dev/zero", func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Load(/dev/zero) = %v", err)
	}
}

func TestSnapshotLimitsMustNotBeNegative(t *testing.T) {
	for body, want := range map[string]string{
		"[session]\nsnapshots_max_gb = -1\n":      ":2: session.snapshots_max_gb",
		"[session]\n\nsnapshots_keep_days = -3\n": ":3: session.snapshots_keep_days must not be negative",
		"[session]\nsnapshots_max_gb = nan\n":     ":2: session.snapshots_max_gb must be a number",
	} {
		_, err := Load(writeFile(t, body), env(nil))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", body, err, want)
		}
	}
}
