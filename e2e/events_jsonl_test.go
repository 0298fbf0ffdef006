package e2e

import (
	"encoding/json"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

// TestE2EEventsStdoutIsJSONLOnEveryPath: with --events, stdout is JSON
// lines and nothing else however the run ends: the model refuses the key,
// the run times out, a SIGINT stops it, the sandbox runs unconfined (a
// warning), a resumed run, and with --json the result is one more line.
// Each stdout goes through jq when it is installed, as a user pipes it.
func TestE2EEventsStdoutIsJSONLOnEveryPath(t *testing.T) {
	jq, _ := exec.LookPath("jq")
	check := func(t *testing.T, name, out string, minLines int) {
		t.Helper()
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if out == "" {
			lines = nil
		}
		for i, l := range lines {
			var v map[string]any
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Errorf("%s: stdout line %d is not a JSON object (%v): %q", name, i+1, err, l)
			}
		}
		if len(lines) < minLines {
			t.Errorf("%s: %d stdout lines, want at least %d:\n%s", name, len(lines), minLines, out)
		}
		if jq != "" && out != "" {
			cmd := exec.Command(jq, "-e", "-c", ".kind // .status")
			cmd.Stdin = strings.NewReader(out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: jq fails on stdout: %v\n%s", name, err, b)
			}
		}
	}
	t.Run("model-error", func(t *testing.T) {
		e := newEnv(t, "local")
		e.llm.Enqueue(llmtest.ErrorReply(401))
		out, stderr, code := e.run(60*time.Second, "run", "--events", "hi")
		if code == 0 || !strings.Contains(stderr, "401") {
			t.Errorf("exit %d, stderr:\n%s", code, stderr)
		}
		check(t, "model-error", out, 3)
	})
	t.Run("timeout", func(t *testing.T) {
		e := newEnv(t, "local")
		e.llm.Enqueue(llmtest.ToolReply(e.sleepCall()), llmtest.TextReply("never reached"))
		out, _, code := e.run(60*time.Second, "run", "--events", "--timeout", "2s", "sleep")
		if code == 0 {
			t.Errorf("a timed-out run exited 0")
		}
		check(t, "timeout", out, 3)
		e.assertNoLeaks("events/timeout")
	})
	t.Run("sigint", func(t *testing.T) {
		e := newEnv(t, "local")
		e.llm.Enqueue(llmtest.ToolReply(e.sleepCall()), llmtest.TextReply("never reached"))
		p := e.start("run", "--events", "--json", "sleep")
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(p.stdout.String(), `"kind":"action"`) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		if code := p.wait(t, 30*time.Second); code == 0 {
			t.Errorf("an interrupted run exited 0")
		}
		check(t, "sigint", p.stdout.String(), 3)
		e.assertNoLeaks("events/sigint")
	})
	t.Run("unconfined-warning-and-resume", func(t *testing.T) {
		e := newEnv(t, "local-none")
		e.llm.Enqueue(llmtest.TextReply("first"), llmtest.TextReply("second"))
		out, stderr, code := e.run(60*time.Second, "run", "--events", "--json", "hi")
		if code != 0 || !strings.Contains(stderr, "warning") {
			t.Fatalf("exit %d, stderr:\n%s", code, stderr)
		}
		check(t, "unconfined", out, 4)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var res struct {
			RecordPath string `json:"record_path"`
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil || res.RecordPath == "" {
			t.Fatalf("the last line is not the result: %v %q", err, lines[len(lines)-1])
		}
		out, stderr, code = e.run(60*time.Second, "run", "--events", "--resume", res.RecordPath, "more")
		if code != 0 {
			t.Fatalf("resume: exit %d:\n%s", code, stderr)
		}
		check(t, "resume", out, 4)
	})
}
