package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

// Recognisable fake keys: any occurrence in output, logs or recordings is
// a leak.
const (
	secretLLM = "sk-tether-e2e-SECRET-llm-7f3a9c41"
	secretDay = "dtn-tether-e2e-SECRET-day-5b1e22d0"
	secretTag = "tether-e2e-SECRET" // shared by both
)

// TestE2ESecrets runs tether with the fake keys configured — a successful
// run, a model that rejects the key, a Daytona that rejects it, `tether
// config`, the TUI — and greps everything a user or a log collector could
// see: stdout, stderr, the screen, and every file tether wrote.
func TestE2ESecrets(t *testing.T) {
	for _, prov := range providers {
		t.Run(prov+"/success", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, prov, withLLMServerKey(secretLLM), withDaytonaServerKey(secretDay), withKeys(secretLLM, secretDay))
			// The sandbox must not see tether's keys either.
			e.llm.Enqueue(
				llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": `echo "leaks:$(env | grep -c e2e-SECRE[T])"`})),
				llmtest.TextReply("done"))
			out, stderr, code := e.run(60*time.Second, "run", "--json", "--events", "show env")
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
			}
			if !strings.Contains(out, "leaks:0") {
				t.Errorf("the sandbox's environment holds a key (want leaks:0):\n%s", out)
			}
			cfgOut, cfgErr, _ := e.run(30*time.Second, "config")
			if !strings.Contains(cfgOut, "api_key") {
				t.Errorf("`tether config` does not show the api_key lines:\n%s", cfgOut)
			}
			noSecrets(t, e, out, stderr, cfgOut, cfgErr)
			e.assertNoLeaks("secrets/" + prov + "/success")
		})
		t.Run(prov+"/llm-401", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, prov, withLLMServerKey("sk-the-right-one-00000000"), withDaytonaServerKey(secretDay), withKeys(secretLLM, secretDay))
			out, stderr, code := e.run(60*time.Second, "run", "--json", "--events", "hello")
			if code != 1 || !strings.Contains(out, "LLM_API_KEY") {
				t.Errorf("exit %d, want 1 with advice to check LLM_API_KEY:\n%s\n%s", code, out, stderr)
			}
			out2, stderr2, _ := e.run(60*time.Second, "run", "hello") // the human-readable form
			noSecrets(t, e, out, stderr, out2, stderr2)
			e.assertNoLeaks("secrets/" + prov + "/llm-401")
		})
	}
	for _, prov := range providers {
		// The sandbox prints the key (built from two halves so the
		// command itself does not hold it): output, observation sent to
		// the model, events, progress and recording must all redact it.
		t.Run(prov+"/printed-by-sandbox", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, prov, withLLMServerKey(secretLLM), withDaytonaServerKey(secretDay), withKeys(secretLLM, secretDay))
			h1, h2 := len(secretLLM)/2, len(secretDay)/2
			e.llm.Enqueue(
				llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": `a='` + secretLLM[:h1] + `'; b='` + secretLLM[h1:] +
					`'; c='` + secretDay[:h2] + `'; d='` + secretDay[h2:] + `'; echo "key=$a$b"; echo "daytona=$c$d"`})),
				llmtest.TextReply("done"))
			out, stderr, code := e.run(60*time.Second, "run", "--events", "--json", "print the key")
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
			}
			if !strings.Contains(out, "key=[REDACTED]") || !strings.Contains(out, "daytona=[REDACTED]") {
				t.Errorf("the printed key is not shown redacted:\n%s", out)
			}
			for i, r := range e.llm.Requests() {
				for _, m := range r.Messages {
					if strings.Contains(m.Content, secretTag) {
						t.Errorf("request #%d sends the key back to the model in a %s message", i+1, m.Role)
					}
				}
			}
			noSecrets(t, e, out, stderr)
			e.assertNoLeaks("secrets/" + prov + "/printed-by-sandbox")
		})
	}
	t.Run("daytona/daytona-401", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, "daytona", withLLMServerKey(secretLLM), withDaytonaServerKey("dtn-the-right-one-000000"), withKeys(secretLLM, secretDay))
		out, stderr, code := e.run(60*time.Second, "run", "hello")
		if code != 1 || !strings.Contains(stderr, "DAYTONA_API_KEY") && !strings.Contains(strings.ToLower(stderr), "key") {
			t.Errorf("exit %d, want 1 with advice about the key:\n%s\n%s", code, out, stderr)
		}
		out2, stderr2, _ := e.run(30*time.Second, "cleanup")
		out3, stderr3, _ := e.run(30*time.Second, "sandbox", "ls")
		noSecrets(t, e, out, stderr, out2, stderr2, out3, stderr3)
		e.assertNoLeaks("secrets/daytona/daytona-401")
	})
	t.Run("local/tui", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, "local", withLLMServerKey(secretLLM), withKeys(secretLLM, secretDay))
		e.llm.Enqueue(
			llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "echo tui-ran"})),
			llmtest.TextReply("all finished here"))
		u := e.startTUI()
		u.waitScreen("started", 30*time.Second)
		u.typeLine("hello")
		u.waitScreen("all finished here", 30*time.Second)
		screens := []string{u.screen()}
		u.keys("C-q")
		u.waitExit(30 * time.Second)
		screens = append(screens, u.stderr())
		noSecrets(t, e, screens...)
		e.assertNoLeaks("secrets/local/tui")
	})
}

// noSecrets fails if a key appears in any of texts or in any file under
// the test's root (logs, recordings, spill files, sandboxes), except the
// launcher script that hands the TUI its environment.
func noSecrets(t *testing.T, e *e2eEnv, texts ...string) {
	t.Helper()
	for i, s := range texts {
		if strings.Contains(s, secretTag) {
			t.Errorf("a key appears in output #%d:\n%s", i, s)
		}
	}
	var files int
	_ = filepath.WalkDir(e.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || d.Name() == "tui.sh" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		files++
		if strings.Contains(string(b), secretTag) {
			t.Errorf("a key appears in %s", path)
		}
		return nil
	})
	if _, err := os.Stat(e.logFile()); err != nil {
		t.Errorf("no log file was written (%v): the grep proves little", err)
	}
	recs, _ := filepath.Glob(filepath.Join(e.recordDir(), "*.jsonl"))
	t.Logf("grepped %d texts and %d files (%d recordings)", len(texts), files, len(recs))
}
