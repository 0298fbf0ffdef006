package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadOrderDefaultsFileEnv(t *testing.T) {
	p := writeFile(t, `
[sandbox]
provider = "daytona"
labels = { team = "infra" }

[llm]
model = "from-file"
base_url = "http://localhost:11434/v1"
timeout = "90s"

[daytona]
api_key = "file-key-000000000000"
create_timeout = "2m"
`)
	cfg, err := Load(p, env(map[string]string{"LLM_MODEL": "from-env", "DAYTONA_TIMEOUT": "45"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sandbox.Provider != "daytona" || cfg.Sandbox.Labels["team"] != "infra" {
		t.Errorf("file values not applied: %+v", cfg.Sandbox)
	}
	if cfg.LLM.Model != "from-env" {
		t.Errorf("env must override file: model = %q", cfg.LLM.Model)
	}
	if cfg.LLM.Timeout.D() != 90*time.Second {
		t.Errorf("timeout = %v", cfg.LLM.Timeout.D())
	}
	if cfg.Daytona.CreateTimeout.D() != 45*time.Second {
		t.Errorf("DAYTONA_TIMEOUT in seconds must override: %v", cfg.Daytona.CreateTimeout.D())
	}
	if cfg.Session.MaxIterations != 100 {
		t.Errorf("default lost: max_iterations = %d", cfg.Session.MaxIterations)
	}
	if cfg.Source != p {
		t.Errorf("Source = %q", cfg.Source)
	}
}

func TestUnknownKeyNamesFileLineAndKey(t *testing.T) {
	p := writeFile(t, "[llm]\nmodel = \"x\"\n\n[daytona]\ntarget = \"us\"\napi_kye = \"oops\"\n")
	_, err := Load(p, env(nil))
	if err == nil {
		t.Fatal("want an error for an unknown key")
	}
	want := fmt.Sprintf("%s:6: unknown setting \"daytona.api_kye\"", p)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

func TestUnknownTableIsReported(t *testing.T) {
	p := writeFile(t, "[sandbx]\nprovider = \"local\"\n")
	_, err := Load(p, env(nil))
	if err == nil || !strings.Contains(err.Error(), ":1: unknown setting \"sandbx\"") {
		t.Fatalf("err = %v", err)
	}
}

func TestMalformedFileNamesLine(t *testing.T) {
	p := writeFile(t, "[session]\nrecord = true\nmax_iterations = \"many\"\n")
	_, err := Load(p, env(nil))
	if err == nil || !strings.Contains(err.Error(), p+":3:") {
		t.Fatalf("want file:line in %v", err)
	}
	p = writeFile(t, "[llm]\nmodel = \"x\nbad\n")
	_, err = Load(p, env(nil))
	if err == nil || !strings.Contains(err.Error(), p+":2:") {
		t.Fatalf("want file:line for a syntax error, got %v", err)
	}
}

func TestBadDurationSaysHowToWriteIt(t *testing.T) {
	p := writeFile(t, "[llm]\ntimeout = \"soon\"\n")
	_, err := Load(p, env(nil))
	if err == nil || !strings.Contains(err.Error(), "90s") || !strings.Contains(err.Error(), p+":2") {
		t.Fatalf("err = %v", err)
	}
}

func TestInvalidValueIsRejected(t *testing.T) {
	p := writeFile(t, "[sandbox]\nprovider = \"docker\"\n")
	_, err := Load(p, env(nil))
	if err == nil || !strings.Contains(err.Error(), "sandbox.provider") || !strings.Contains(err.Error(), p) {
		t.Fatalf("err = %v", err)
	}
}

func TestExplicitMissingFileFails(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"), env(nil))
	if err == nil {
		t.Fatal("an explicit --config that does not exist must fail")
	}
}

func TestEnvAliases(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	cfg, err := Load("", env(map[string]string{
		"OPENAI_API_KEY":     "sk-alias-1234567890",
		"DAYTONA_SERVER_URL": "http://127.0.0.1:1/api",
		"NO_COLOR":           "1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.LLM.APIKey) != "sk-alias-1234567890" || cfg.Daytona.APIURL != "http://127.0.0.1:1/api" || !cfg.UI.NoColor {
		t.Errorf("aliases not applied: %+v", cfg)
	}
	cfg2, _ := Load("", env(map[string]string{"OPENAI_API_KEY": "a", "LLM_API_KEY": "b"}))
	if cfg2.LLM.APIKey != "b" {
		t.Errorf("LLM_API_KEY must win over OPENAI_API_KEY")
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	const key = "sk-SECRET-do-not-print-0123456789"
	cfg := Default()
	cfg.LLM.APIKey = key
	cfg.Daytona.APIKey = key
	shown, err := cfg.Show()
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{
		"Show": shown, "%v": fmt.Sprintf("%v", cfg), "%+v": fmt.Sprintf("%+v", cfg), "%#v": fmt.Sprintf("%#v", cfg),
	} {
		if strings.Contains(s, key) {
			t.Errorf("%s leaks the key", name)
		}
	}
	if !strings.Contains(shown, "api_key = \"****6789\"") {
		t.Errorf("Show should say a key is set, masked:\n%s", shown)
	}
	if got := cfg.Secrets(); len(got) != 2 || got[0] != key {
		t.Errorf("Secrets() = %d values", len(got))
	}
	cfg.LLM.APIKey = "x" // a placeholder for a local server: masking it would mangle text
	if got := cfg.Secrets(); len(got) != 1 {
		t.Errorf("a one-letter placeholder must not be redacted: %v", len(got))
	}
}

func TestRequireModelSaysWhatToSet(t *testing.T) {
	cfg := Default()
	if err := cfg.RequireModel(); err == nil || !strings.Contains(err.Error(), "LLM_MODEL") {
		t.Errorf("err = %v", err)
	}
	cfg.LLM.Model = "gpt-4o"
	if err := cfg.RequireModel(); err == nil || !strings.Contains(err.Error(), "LLM_API_KEY") {
		t.Errorf("err = %v", err)
	}
	cfg.LLM.BaseURL = "http://localhost:11434/v1"
	if err := cfg.RequireModel(); err != nil {
		t.Errorf("a local endpoint needs no key: %v", err)
	}
	if err := cfg.RequireDaytona(); err == nil || !strings.Contains(err.Error(), "DAYTONA_API_KEY") {
		t.Errorf("err = %v", err)
	}
}

func TestExampleFileLoads(t *testing.T) {
	p := filepath.Join("..", "config.toml.example")
	if _, err := os.Stat(p); err != nil {
		t.Skip("config.toml.example not written yet")
	}
	if _, err := Load(p, env(nil)); err != nil {
		t.Fatalf("the documented example must load: %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add("[llm]\nmodel = \"x\"\n")
	f.Add("[daytona]\nauto_stop_minutes = 5\n[sandbox.labels]\na = \"b\"\n")
	f.Add("x = [1,\n")
	f.Fuzz(func(t *testing.T, body string) {
		p := filepath.Join(t.TempDir(), "c.toml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p, env(nil))
		if err != nil && !strings.Contains(err.Error(), p) {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

func TestNegativeBareSecondsAreRejected(t *testing.T) {
	_, err := Load(writeFile(t, ""), env(map[string]string{"DAYTONA_TIMEOUT": "-5"}))
	if err == nil || !strings.Contains(err.Error(), "DAYTONA_TIMEOUT") || !strings.Contains(err.Error(), "negative") {
		t.Fatalf("DAYTONA_TIMEOUT=-5: err = %v, want one naming the variable and saying it must not be negative", err)
	}
}
