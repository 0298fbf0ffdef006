package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

// TestE2EProviderShapesRoundTrip runs `tether run --json --events` against
// the fake speaking each provider's stream shape, through two tool-call
// rounds, and checks on the server that what the provider requires back
// (reasoning_content, reasoning_details, Gemini's thought_signature) came
// back on the third request, and that --events carried the reasoning.
func TestE2EProviderShapesRoundTrip(t *testing.T) {
	cases := []struct {
		name  string
		reply func(round int) llmtest.Reply
		check func(t *testing.T, req llmtest.ChatRequest)
	}{
		{"deepseek-reasoning_content", func(round int) llmtest.Reply {
			return llmtest.Reply{Reasoning: "think " + string(rune('0'+round)), ToolCalls: []llmtest.ToolCallReply{llmtest.Call("terminal", map[string]any{"command": "echo r"})}}
		}, func(t *testing.T, req llmtest.ChatRequest) {
			n := 0
			for _, m := range req.Messages {
				if m.Role == "assistant" && len(m.ToolCalls) > 0 {
					n++
					if m.ReasoningField != "reasoning_content" || !strings.HasPrefix(m.Reasoning, "think ") {
						t.Errorf("assistant message without its reasoning_content: %+v", m)
					}
				}
			}
			if n != 2 {
				t.Errorf("%d assistant tool-call messages in the third request", n)
			}
		}},
		{"openrouter-reasoning_details", func(round int) llmtest.Reply {
			return llmtest.Reply{Reasoning: "weighing options", ReasoningDetails: true, ToolCalls: []llmtest.ToolCallReply{llmtest.Call("terminal", map[string]any{"command": "echo r"})}}
		}, func(t *testing.T, req llmtest.ChatRequest) {
			for _, m := range req.Messages {
				if m.Role == "assistant" && len(m.ToolCalls) > 0 {
					var d []map[string]any
					if json.Unmarshal(m.ReasoningDetails, &d) != nil || len(d) != 1 || d[0]["text"] != "weighing options" || d[0]["signature"] != "sig-llmtest" {
						t.Errorf("reasoning_details not sent back merged: %s", m.ReasoningDetails)
					}
				}
			}
		}},
		{"gemini3-thought_signature", func(round int) llmtest.Reply {
			c := llmtest.Call("terminal", map[string]any{"command": "echo r"})
			c.ThoughtSignature = "c2lnbmF0dXJl"
			return llmtest.Reply{ToolCalls: []llmtest.ToolCallReply{c}}
		}, func(t *testing.T, req llmtest.ChatRequest) {
			for _, m := range req.Messages {
				for _, tc := range m.ToolCalls {
					if !strings.Contains(tc.ExtraContent, `"thought_signature":"c2lnbmF0dXJl"`) {
						t.Errorf("tool call %s without its thought_signature: %q", tc.ID, tc.ExtraContent)
					}
				}
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, "local")
			e.llm.Enqueue(c.reply(1), c.reply(2), llmtest.Reply{Reasoning: "wrap up", Text: "ok, two rounds done"})
			out, stderr, code := e.run(60*time.Second, "run", "--json", "--events", "do two rounds")
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
			}
			reqs := e.llm.Requests()
			if len(reqs) != 3 {
				t.Fatalf("%d requests, want 3", len(reqs))
			}
			c.check(t, reqs[2])
			if !strings.Contains(out, `"kind":"reasoning"`) {
				t.Errorf("--events carries no reasoning event:\n%s", out)
			}
			assertNoPanic(t, stderr)
		})
	}
}
