package setup

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/tether-dev/tether/config"
	"github.com/tether-dev/tether/sandbox/local"
)

func TestSpecFromConfig(t *testing.T) {
	cfg := config.Default()
	cfg.Sandbox.Provider = "daytona"
	cfg.Daytona.Snapshot = "snap"
	cfg.Daytona.CPU = 2
	cfg.Sandbox.Labels = map[string]string{"team": "x"}
	spec := Spec(cfg)
	if spec.Snapshot != "snap" || spec.CPU != 2 || spec.Labels["team"] != "x" {
		t.Errorf("spec = %+v", spec)
	}
	if _, err := Provider(cfg, nil); err == nil || !strings.Contains(err.Error(), "DAYTONA_API_KEY") {
		t.Errorf("daytona without a key: %v", err)
	}
}

// TestFromEnvReadsTheEnvironment: the library constructors see what the
// tether command sees, and say what to set when something is missing.
func TestFromEnvReadsTheEnvironment(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no config file
	t.Chdir(t.TempDir())
	t.Setenv("TETHER_PROVIDER", "local")
	t.Setenv("LLM_BASE_URL", "http://127.0.0.1:1/v1")
	t.Setenv("LLM_MODEL", "")
	t.Setenv("LLM_API_KEY", "")
	t.Setenv("OPENAI_API_KEY", "")
	p, _, err := ProviderFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(*local.Provider); !ok || p.Name() != "local" {
		t.Errorf("provider = %T %s", p, p.Name())
	}
	if _, err := ModelFromEnv(); err == nil || !strings.Contains(err.Error(), "LLM_MODEL") {
		t.Errorf("no model configured: %v", err)
	}
	t.Setenv("LLM_MODEL", "gpt-4o-mini")
	t.Setenv("LLM_API_KEY", "sk-test-key-123456")
	if m, err := ModelFromEnv(); err != nil || m == nil {
		t.Errorf("ModelFromEnv: %v", err)
	}
	t.Setenv("TETHER_PROVIDER", "daytona")
	t.Setenv("DAYTONA_API_KEY", "")
	if _, _, err := ProviderFromEnv(); err == nil || !strings.Contains(err.Error(), "DAYTONA_API_KEY") {
		t.Errorf("daytona without a key: %v", err)
	}
}

// TestSetupLinksNoUI: a library user building from config gets no TUI.
func TestSetupLinksNoUI(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "charm.land/") || strings.HasSuffix(dep, "tether/ui") || strings.HasSuffix(dep, "tether/app") {
			t.Errorf("setup links %s", dep)
		}
	}
}
