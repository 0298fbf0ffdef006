package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

// TestE2EFinalMessageAndFragmentsRedacted: the model says the key, and a
// 27-character echo of it, in its final message; the server's error body
// echoes a fragment. `tether run` piped, --json, --events, and on a
// terminal must show [REDACTED], never the key or the echo.
func TestE2EFinalMessageAndFragmentsRedacted(t *testing.T) {
	final := "the key is " + secretLLM + " and again " + secretLLM[1:28] + " END"
	reply := llmtest.Reply{Text: final, ChunkSize: 3} // split across deltas
	t.Run("local/piped", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, "local", withLLMServerKey(secretLLM), withKeys(secretLLM, secretDay))
		var outs []string
		for _, args := range [][]string{{"run", "say it"}, {"run", "--json", "say it"}, {"run", "--events", "--json", "say it"}} {
			e.llm.Enqueue(reply)
			out, stderr, code := e.run(60*time.Second, args...)
			if code != 0 {
				t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, stderr)
			}
			if !strings.Contains(out, "the key is [REDACTED] and again [REDACTED] END") {
				t.Errorf("%v: the final message is not on stdout, redacted:\n%s", args, out)
			}
			outs = append(outs, out, stderr)
		}
		// The server echoes a fragment of the key in an error body.
		echo := llmtest.Reply{Status: 400, ErrorMessage: "invalid key '" + secretLLM[1:28] + "'"}
		e.llm.Enqueue(echo, echo, echo)
		out, stderr, code := e.run(60*time.Second, "run", "--json", "hello")
		if code != 1 || !strings.Contains(out+stderr, "[REDACTED]") {
			t.Errorf("exit %d, want 1 and the echoed key shown as [REDACTED]:\n%s\n%s", code, out, stderr)
		}
		noSecrets(t, e, append(outs, out, stderr)...)
		e.assertNoLeaks("redact/local/piped")
	})
	t.Run("local/terminal", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, "local", withLLMServerKey(secretLLM), withKeys(secretLLM, secretDay))
		e.tuiKeepPane, e.tuiStderrOnTTY = true, true
		e.llm.Enqueue(reply)
		u := e.startTUI("run", "say it")
		u.waitScreen("END", 60*time.Second)
		u.waitScreen("finished", 30*time.Second)
		screen := u.screen()
		if !strings.Contains(screen, "[REDACTED] and again [REDACTED] END") {
			t.Errorf("the final message is not shown redacted on the terminal:\n%s", screen)
		}
		noSecrets(t, e, screen)
	})
}

// TestE2EEventsStdoutIsJSONL: `tether run --events PROMPT | jq .` works —
// without --json too, every stdout line is one JSON object.
func TestE2EEventsStdoutIsJSONL(t *testing.T) {
	e := newEnv(t, "local")
	e.llm.Enqueue(
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "echo hi"})),
		llmtest.TextReply("all done, plain text"))
	out, stderr, code := e.run(60*time.Second, "run", "--events", "do it")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Errorf("stdout line %d is not JSON (%v): %q", i+1, err, l)
		}
	}
	if len(lines) < 5 || !strings.Contains(out, `"kind":"assistant_message"`) {
		t.Errorf("too few events on stdout (%d lines), the check proves little:\n%s", len(lines), out)
	}
}
