package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

// TestE2ELLMFaults sends the model's failure modes through `tether run
// --json`. Each run must either finish or end with a clear error, within
// its deadline, leaving nothing behind.
func TestE2ELLMFaults(t *testing.T) {
	// A stalled stream is given up after these: [llm] timeout for the
	// first chunk, idle_timeout between chunks.
	const timeouts = "timeout = \"2s\"\nidle_timeout = \"1s\""
	cases := []struct {
		name    string
		replies func(e *e2eEnv) []llmtest.Reply
		// mustFinish: the fault is one the run is expected to get over.
		mustFinish bool
		// wantInError: when the run fails, its error mentions this.
		wantInError string
	}{
		{name: "429-retry-after", mustFinish: true, replies: func(*e2eEnv) []llmtest.Reply {
			return []llmtest.Reply{{Status: 429, RetryAfter: "1"}, llmtest.TextReply("ok after 429")}
		}},
		{name: "500-once", mustFinish: true, replies: func(*e2eEnv) []llmtest.Reply {
			return []llmtest.Reply{llmtest.ErrorReply(500), llmtest.TextReply("ok after 500")}
		}},
		{name: "cut-before-first-chunk", mustFinish: true, replies: func(*e2eEnv) []llmtest.Reply {
			return []llmtest.Reply{{Text: "lost", CutAfter: -1}, llmtest.TextReply("ok after cut")}
		}},
		{name: "cut-mid-stream", wantInError: "", replies: func(*e2eEnv) []llmtest.Reply {
			return []llmtest.Reply{{Text: "a reply that is cut in the middle of its text", CutAfter: 3}, llmtest.TextReply("ok after cut")}
		}},
		{name: "in-stream-error", replies: func(*e2eEnv) []llmtest.Reply {
			return []llmtest.Reply{{Text: "partial", StreamError: "upstream overloaded"}, llmtest.TextReply("ok")}
		}},
		{name: "malformed-tool-args", mustFinish: true, replies: func(*e2eEnv) []llmtest.Reply {
			return []llmtest.Reply{llmtest.ToolReply(llmtest.Call("terminal", `{"command": "echo hi`)), llmtest.TextReply("ok after bad args")}
		}},
		{name: "unknown-tool", mustFinish: true, replies: func(*e2eEnv) []llmtest.Reply {
			return []llmtest.Reply{llmtest.ToolReply(llmtest.Call("launch_missiles", map[string]any{"n": 1})), llmtest.TextReply("ok after unknown tool")}
		}},
		{name: "slow-stream", mustFinish: true, replies: func(*e2eEnv) []llmtest.Reply {
			return []llmtest.Reply{{Text: "slow but steady words", ChunkDelay: 150 * time.Millisecond}}
		}},
		{name: "hung-before-first-chunk", replies: func(*e2eEnv) []llmtest.Reply {
			return []llmtest.Reply{{Hang: true}, {Hang: true}, llmtest.TextReply("ok")}
		}, wantInError: "time"},
		{name: "429-retry-after-huge", replies: func(*e2eEnv) []llmtest.Reply {
			return []llmtest.Reply{{Status: 429, RetryAfter: "3600"}, llmtest.TextReply("ok after an hour")}
		}, wantInError: "rate"},
		{name: "server-down", wantInError: "", replies: func(e *e2eEnv) []llmtest.Reply {
			e.llm.Close() // connection refused
			return nil
		}},
		{name: "empty-reply", replies: func(*e2eEnv) []llmtest.Reply {
			return []llmtest.Reply{{}, llmtest.TextReply("ok after an empty reply")}
		}},
		{name: "many-tool-calls", mustFinish: true, replies: func(*e2eEnv) []llmtest.Reply {
			var calls []llmtest.ToolCallReply
			for i := range 20 {
				calls = append(calls, llmtest.Call("terminal", map[string]any{"command": fmt.Sprintf("echo call-%d", i)}))
			}
			return []llmtest.Reply{llmtest.ToolReply(calls...), llmtest.TextReply("ok after 20 calls")}
		}},
		{name: "hung-mid-stream", replies: func(*e2eEnv) []llmtest.Reply {
			return []llmtest.Reply{{Text: "starts then stalls forever", CutAfter: 2, Hang: true}, llmtest.TextReply("ok")}
		}, wantInError: "stall"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, "local", withLLMConfig(timeouts))
			e.llm.Enqueue(c.replies(e)...)
			start := time.Now()
			out, stderr, code := e.run(30*time.Second, "run", "--json", "do the thing")
			took := time.Since(start)
			var res struct {
				Status       string `json:"status"`
				Reason       string `json:"reason"`
				Error        string `json:"error"`
				FinalMessage string `json:"final_message"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("stdout is not the JSON result (exit %d): %v\n%s\nstderr:\n%s", code, err, out, stderr)
			}
			t.Logf("%s: exit %d, status %s, %s, reason %q error %q", c.name, code, res.Status, took.Round(time.Millisecond), res.Reason, res.Error)
			switch {
			case code == 0 && res.Status == "finished":
				if !strings.HasPrefix(res.FinalMessage, "ok") && !strings.Contains(res.FinalMessage, "steady") {
					t.Errorf("finished with final message %q, not the model's last reply", res.FinalMessage)
				}
			case c.mustFinish:
				t.Errorf("run did not get over the fault: exit %d, %+v\nstderr:\n%s", code, res, stderr)
			case code == 1 && res.Status == "error":
				msg := res.Reason + " " + res.Error
				if strings.TrimSpace(msg) == "" {
					t.Errorf("error status without a message")
				}
				if c.wantInError != "" && !strings.Contains(strings.ToLower(msg), c.wantInError) {
					t.Errorf("error %q does not mention %q", msg, c.wantInError)
				}
			default:
				t.Errorf("neither finished nor a clear error: exit %d, %+v\nstderr:\n%s", code, res, stderr)
			}
			assertNoPanic(t, stderr)
			e.assertNoLeaks("llm/" + c.name)
		})
	}
}
