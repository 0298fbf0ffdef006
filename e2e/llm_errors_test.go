package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

// TestE2ELLMErrorsEndRight sends errors as real servers word them through
// `tether run --json --events`: each run ends with the right outcome after
// the right number of requests, and a retry is visible on stderr and as
// a retry event while it is waited for.
func TestE2ELLMErrorsEndRight(t *testing.T) {
	echo := func(tag string) llmtest.ToolCallReply {
		// The tool's output (42tag) differs from its arguments, so a
		// result that holds it proves the command ran.
		return llmtest.Call("terminal", map[string]any{"command": "echo $((6*7))" + tag})
	}
	cases := []struct {
		name     string
		cfg      string // lines of the [llm] table
		replies  []llmtest.Reply
		finish   bool
		requests int
		// inError: the run's error says this; inStderr: a progress line does.
		inError, inStderr string
		retryEvent        bool
		minTook           time.Duration
		check             func(t *testing.T, reqs []llmtest.ChatRequest)
	}{
		{name: "429-reset-headers-only", finish: true, requests: 2, retryEvent: true, minTook: 1900 * time.Millisecond,
			inStderr: "rate limited (HTTP 429) · retry 1/1 in 2 s",
			replies: []llmtest.Reply{
				{Status: 429, Header: map[string]string{"x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s", "x-ratelimit-reset-tokens": "80ms"}},
				llmtest.TextReply("ok after the reset"),
			}},
		{name: "stream-cut-before-the-tool-ran", finish: true, requests: 3, retryEvent: true,
			inStderr: "stream cut off · retry 1/1 in",
			replies: []llmtest.Reply{
				{Text: "running it", ToolCalls: []llmtest.ToolCallReply{echo("cut")}, CutAfter: 8},
				llmtest.ToolReply(echo("ok")),
				llmtest.TextReply("ok, ran once"),
			},
			check: func(t *testing.T, reqs []llmtest.ChatRequest) {
				res := reqs[2].ToolResults()
				if len(res) != 1 || !strings.Contains(res[0].Content, "42ok") || strings.Contains(reqs[2].Last().Content+reqs[1].Last().Content, "42cut") {
					t.Errorf("the cut reply's call ran, or the retried one did not: %+v", res)
				}
			}},
		{name: "finish-length-tool-not-run", finish: true, requests: 2,
			inStderr: "hit the output token limit",
			replies: []llmtest.Reply{
				{ToolCalls: []llmtest.ToolCallReply{echo("trunc")}, FinishReason: "length"},
				llmtest.TextReply("ok, smaller steps then"),
			},
			check: func(t *testing.T, reqs []llmtest.ChatRequest) {
				res := reqs[1].ToolResults()
				if len(res) != 1 || strings.Contains(res[0].Content, "42trunc") || !strings.Contains(res[0].Content, "output token limit") {
					t.Errorf("a call cut at the token limit ran, or its result does not say why not: %+v", res)
				}
			}},
		{name: "stream-true-ignored-one-json-reply", finish: true, requests: 2,
			replies: []llmtest.Reply{
				{ContentType: "application/json", Body: `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"fake-model","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_w1","type":"function","function":{"name":"terminal","arguments":"{\"command\":\"echo $((6*7))whole\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":50,"completion_tokens":9,"total_tokens":59}}`},
				llmtest.TextReply("ok, it ran"),
			},
			check: func(t *testing.T, reqs []llmtest.ChatRequest) {
				if res := reqs[1].ToolResults(); len(res) != 1 || res[0].ToolCallID != "call_w1" || !strings.Contains(res[0].Content, "42whole") {
					t.Errorf("the call of a non-streamed reply did not run: %+v", res)
				}
			}},
		{name: "reply-limit-from-config", cfg: "max_reply_bytes = 65536", requests: 1, inError: "grew past 64 KiB",
			replies: []llmtest.Reply{{Text: strings.Repeat("runaway ", 40_000), ChunkSize: 4096}}},
		{name: "llama-server-context-size", requests: 1, inError: "conversation is too long",
			replies: []llmtest.Reply{{Status: 400, ContentType: "application/json",
				Body: `{"error":{"code":400,"message":"request (7553 tokens) exceeds the available context size (4096 tokens), try increasing it","type":"exceed_context_size_error","n_prompt_tokens":7553,"n_ctx":4096}}`}}},
		{name: "in-stream-invalid_api_key", requests: 1, inError: "LLM_API_KEY",
			replies: []llmtest.Reply{{StreamError: "Incorrect API key provided", ErrorCode: "invalid_api_key"}}},
		{name: "200-json-error-no-newline", requests: 1, inError: "model 'qwen9' not found",
			replies: []llmtest.Reply{{ContentType: "application/json", Body: `{"error":{"message":"model 'qwen9' not found","type":"not_found_error","code":"model_not_found"}}`}}},
		{name: "html-page", requests: 1, inError: "the endpoint answered HTML: check LLM_BASE_URL",
			replies: []llmtest.Reply{{ContentType: "text/html; charset=utf-8", Body: "<!doctype html><html><head><title>Welcome</title></head><body>It works</body></html>\n"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, "local", withLLMConfig(c.cfg))
			e.llm.Enqueue(c.replies...)
			start := time.Now()
			out, stderr, code := e.run(60*time.Second, "run", "--json", "--events", "do the thing")
			took := time.Since(start)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			var res struct {
				Status string `json:"status"`
				Reason string `json:"reason"`
				Error  string `json:"error"`
			}
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
				t.Fatalf("no JSON result (exit %d): %v\n%s\nstderr:\n%s", code, err, out, stderr)
			}
			reqs := e.llm.Requests()
			if len(reqs) != c.requests {
				t.Errorf("%d requests, want %d", len(reqs), c.requests)
			}
			if finished := code == 0 && res.Status == "finished"; finished != c.finish {
				t.Errorf("exit %d, status %s (%s %s); want finished = %v\nstderr:\n%s", code, res.Status, res.Reason, res.Error, c.finish, stderr)
			}
			if c.inError != "" && !strings.Contains(res.Reason+" "+res.Error, c.inError) {
				t.Errorf("error %q / %q does not say %q", res.Reason, res.Error, c.inError)
			}
			if c.inStderr != "" && !strings.Contains(stderr, c.inStderr) {
				t.Errorf("stderr does not say %q:\n%s", c.inStderr, stderr)
			}
			if got := strings.Contains(out, `"kind":"retry"`); got != c.retryEvent {
				t.Errorf("retry event in --events: %v, want %v", got, c.retryEvent)
			}
			if took < c.minTook {
				t.Errorf("took %s, want at least %s (the server's reset)", took, c.minTook)
			}
			if c.check != nil && len(reqs) == c.requests {
				c.check(t, reqs)
			}
			assertNoPanic(t, stderr)
		})
	}
}
