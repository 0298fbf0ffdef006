package e2e

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

// withLLMServer passes options to the fake model server.
func withLLMServer(opts ...llmtest.Option) envOpt {
	return func(c *envConfig) { c.llmOpts = append(c.llmOpts, opts...) }
}

// providerCase is one provider's stream shape run through `tether run`.
type providerCase struct {
	name  string
	shape llmtest.Shape
	model string
	// reply is the model's answer in tool-call round 1 or 2.
	reply func(round int) llmtest.Reply
	// check looks at the third request: what the provider requires back.
	check func(t *testing.T, req llmtest.ChatRequest)
	// result checks the run's JSON result (usage, cost).
	result func(t *testing.T, res runResult)
	// reasoning says --events must carry a reasoning event.
	reasoning bool
}

type runResult struct {
	Status           string  `json:"status"`
	CostUSD          float64 `json:"cost_usd"`
	CostKnown        bool    `json:"cost_known"`
	PromptTokens     int     `json:"prompt_tokens"`
	CompletionTokens int     `json:"completion_tokens"`
	FinalMessage     string  `json:"final_message"`
}

func terminalCall() llmtest.ToolCallReply {
	return llmtest.Call("terminal", map[string]any{"command": "echo round"})
}

func reasoningRound(text string) func(int) llmtest.Reply {
	return func(round int) llmtest.Reply {
		return llmtest.Reply{Reasoning: text + " " + string(rune('0'+round)), ToolCalls: []llmtest.ToolCallReply{terminalCall()}}
	}
}

// assistantTurns returns the assistant tool-call messages of req, failing
// unless there are the two of the earlier rounds.
func assistantTurns(t *testing.T, req llmtest.ChatRequest) []int {
	t.Helper()
	var out []int
	for i, m := range req.Messages {
		if m.Role == "assistant" && len(m.ToolCalls) > 0 {
			out = append(out, i)
		}
	}
	if len(out) != 2 {
		t.Errorf("%d assistant tool-call messages in the third request, want 2", len(out))
	}
	return out
}

func reasoningBackIn(field string) func(t *testing.T, req llmtest.ChatRequest) {
	return func(t *testing.T, req llmtest.ChatRequest) {
		for _, i := range assistantTurns(t, req) {
			m := req.Messages[i]
			if m.ReasoningField != field || !strings.HasPrefix(m.Reasoning, "think ") {
				t.Errorf("assistant message %d without its %s: field %q, %q", i, field, m.ReasoningField, m.Reasoning)
			}
		}
	}
}

func providerCases() []providerCase {
	return []providerCase{
		{name: "openai-chat", shape: llmtest.ShapeOpenAI, model: "gpt-4o-mini",
			reply: func(int) llmtest.Reply {
				return llmtest.Reply{Text: "running it", ToolCalls: []llmtest.ToolCallReply{terminalCall()}, PromptTokens: 1000, CompletionTokens: 100, CachedTokens: 500}
			},
			check: func(t *testing.T, req llmtest.ChatRequest) { assistantTurns(t, req) },
			result: func(t *testing.T, res runResult) {
				// Two rounds priced: 500 uncached at $0.15/M, 500 cached at
				// $0.075/M, 100 out at $0.60/M; the last reply's usage is
				// estimated by the fake and priced too.
				if !res.CostKnown || res.CostUSD < 2*(500*0.15+500*0.075+100*0.60)/1e6 {
					t.Errorf("cost %v known %v", res.CostUSD, res.CostKnown)
				}
			}},
		{name: "openai-responses", shape: llmtest.ShapeOpenAI, model: "gpt-6", reasoning: true,
			reply: reasoningRound("think"),
			check: func(t *testing.T, req llmtest.ChatRequest) {
				if req.API != "responses" {
					t.Fatalf("gpt-6 went to %s, want /v1/responses", req.API)
				}
				for _, i := range assistantTurns(t, req) {
					m := req.Messages[i]
					if !strings.Contains(string(m.ReasoningItems), `"encrypted_content":"gAAAAB-llmtest-rs_`) || !strings.HasPrefix(m.ToolCalls[0].ItemID, "fc_") {
						t.Errorf("turn %d lost its reasoning item or call item id: %s %+v", i, m.ReasoningItems, m.ToolCalls)
					}
				}
			}},
		{name: "deepseek", shape: llmtest.ShapeDeepSeek, model: "deepseek-reasoner", reasoning: true,
			reply: reasoningRound("think"), check: reasoningBackIn("reasoning_content")},
		{name: "openrouter", shape: llmtest.ShapeOpenRouter, model: "anthropic/claude-sonnet-4.5", reasoning: true,
			reply: func(int) llmtest.Reply {
				return llmtest.Reply{Reasoning: "think it over", ReasoningDetails: true, ToolCalls: []llmtest.ToolCallReply{terminalCall()}, BilledCost: 0.0125}
			},
			check: func(t *testing.T, req llmtest.ChatRequest) {
				for _, i := range assistantTurns(t, req) {
					var d []map[string]any
					if json.Unmarshal(req.Messages[i].ReasoningDetails, &d) != nil || len(d) != 1 || d[0]["text"] != "think it over" || d[0]["signature"] != "sig-llmtest" {
						t.Errorf("reasoning_details not sent back merged: %s", req.Messages[i].ReasoningDetails)
					}
				}
			},
			result: func(t *testing.T, res runResult) {
				// What OpenRouter billed, not the price table: 2 × 0.0125
				// and the final reply's 0.
				if !res.CostKnown || math.Abs(res.CostUSD-0.025) > 1e-9 {
					t.Errorf("cost %v known %v, want the billed 0.025", res.CostUSD, res.CostKnown)
				}
			}},
		{name: "gemini-3", shape: llmtest.ShapeGemini3, model: "gemini-3-pro-preview",
			reply: func(round int) llmtest.Reply {
				c := terminalCall()
				c.ThoughtSignature = "c2lnbmF0dXJl" + string(rune('0'+round))
				return llmtest.Reply{ToolCalls: []llmtest.ToolCallReply{c}}
			},
			check: func(t *testing.T, req llmtest.ChatRequest) {
				for _, i := range assistantTurns(t, req) {
					if tc := req.Messages[i].ToolCalls[0]; !strings.Contains(tc.ExtraContent, `"thought_signature":"c2lnbmF0dXJl`) {
						t.Errorf("tool call %s without its thought_signature: %q", tc.ID, tc.ExtraContent)
					}
				}
			}},
		{name: "gemini-2.5", shape: llmtest.ShapeGemini25, model: "gemini-2.5-flash",
			reply: func(int) llmtest.Reply { return llmtest.ToolReply(terminalCall()) },
			check: func(t *testing.T, req llmtest.ChatRequest) {
				// The calls came with id "": tether names them, and the
				// tool results answer those names (the server checks).
				for _, i := range assistantTurns(t, req) {
					if id := req.Messages[i].ToolCalls[0].ID; id == "" || req.Messages[i+1].ToolCallID != id {
						t.Errorf("call id %q answered by %q", id, req.Messages[i+1].ToolCallID)
					}
				}
			}},
		{name: "groq", shape: llmtest.ShapeGroq, model: "llama-3.3-70b-versatile",
			reply: func(int) llmtest.Reply {
				return llmtest.Reply{ToolCalls: []llmtest.ToolCallReply{terminalCall()}, PromptTokens: 300, CompletionTokens: 20}
			},
			check: func(t *testing.T, req llmtest.ChatRequest) { assistantTurns(t, req) },
			result: func(t *testing.T, res runResult) {
				if res.PromptTokens < 600 || res.CompletionTokens < 40 {
					t.Errorf("x_groq usage not counted: %+v", res)
				}
			}},
		{name: "llama-server", shape: llmtest.ShapeLlamaCpp, model: "qwen3-8b", reasoning: true,
			reply: reasoningRound("think"), check: reasoningBackIn("reasoning_content")},
		{name: "vllm", shape: llmtest.ShapeVLLM, model: "Qwen/Qwen3-32B", reasoning: true,
			reply: reasoningRound("think"), check: reasoningBackIn("reasoning")},
		{name: "ollama", shape: llmtest.ShapeOllama, model: "qwen3:8b", reasoning: true,
			reply: reasoningRound("think"), check: reasoningBackIn("reasoning")},
	}
}

// TestE2EProviderShapesRoundTrip runs `tether run --json --events`
// against the fake speaking each provider's shape through two tool-call
// rounds. The fake refuses, as the provider does, a request that lost
// what must come back (a reasoning field, a signature, a reasoning item,
// a call id); the third request is also checked here, and the result's
// usage and cost.
func TestE2EProviderShapesRoundTrip(t *testing.T) {
	for _, c := range providerCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, "local", withLLMServer(llmtest.WithShape(c.shape)))
			e.extra["LLM_MODEL"] = c.model
			final := llmtest.TextReply("ok, two rounds done")
			if c.reasoning {
				final.Reasoning = "wrap up"
			}
			e.llm.Enqueue(c.reply(1), c.reply(2), final)
			out, stderr, code := e.run(60*time.Second, "run", "--json", "--events", "do two rounds")
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
			}
			reqs := e.llm.Requests()
			if len(reqs) != 3 {
				t.Fatalf("%d requests, want 3", len(reqs))
			}
			c.check(t, reqs[2])
			lines := strings.Split(strings.TrimSpace(out), "\n")
			var res runResult
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil || res.Status != "finished" || res.FinalMessage != "ok, two rounds done" {
				t.Fatalf("result %+v (%v):\n%s", res, err, out)
			}
			if c.result != nil {
				c.result(t, res)
			}
			if c.reasoning && !strings.Contains(out, `"kind":"reasoning"`) {
				t.Errorf("--events carries no reasoning event:\n%s", out)
			}
			assertNoPanic(t, stderr)
		})
	}
}

// TestE2EPriceOverrideTakesCachedRates: a [llm.prices] entry with a
// cached_input rate prices cached prompt tokens at it; a model with no
// price reports its tokens with cost_known false, never a guessed figure.
func TestE2EPriceOverrideTakesCachedRates(t *testing.T) {
	usage := llmtest.Reply{Text: "done", PromptTokens: 1_000_000, CachedTokens: 500_000, CompletionTokens: 100_000}
	t.Run("override", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, "local", withConfig("[llm.prices.\"fake-model\"]\ninput = 2.0\noutput = 8.0\ncached_input = 0.5"))
		e.llm.Enqueue(usage)
		out, stderr, code := e.run(60*time.Second, "run", "--json", "go")
		var res runResult
		if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 {
			t.Fatalf("exit %d, %v:\n%s\n%s", code, err, out, stderr)
		}
		// 0.5 M uncached at $2, 0.5 M cached at $0.5, 0.1 M out at $8.
		if want := 1.0 + 0.25 + 0.8; !res.CostKnown || math.Abs(res.CostUSD-want) > 1e-9 {
			t.Errorf("cost %v known %v, want %v", res.CostUSD, res.CostKnown, want)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, "local")
		e.llm.Enqueue(usage)
		out, stderr, code := e.run(60*time.Second, "run", "--json", "go")
		var res runResult
		if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 {
			t.Fatalf("exit %d, %v:\n%s\n%s", code, err, out, stderr)
		}
		if res.CostKnown || res.CostUSD != 0 || res.PromptTokens != 1_000_000 {
			t.Errorf("unpriced model: %+v", res)
		}
	})
}

// TestE2EWireAPIConfigOverride: [llm] api picks the wire API whatever
// the model's name: "chat" sends a gpt-6 model to /chat/completions,
// "responses" sends any model to /responses; max_tokens_param is honoured.
func TestE2EWireAPIConfigOverride(t *testing.T) {
	cases := []struct {
		name, model, cfg, api, inBody string
	}{
		{"chat-for-gpt-6", "gpt-6", `api = "chat"` + "\nmax_tokens = 500\nmax_tokens_param = \"max_tokens\"", "chat", `"max_tokens":500`},
		{"responses-for-any-model", "my-deployment", `api = "responses"` + "\nmax_tokens = 500", "responses", `"max_output_tokens":500`},
		{"completion-tokens-for-a-deployment", "prod-reasoner", `max_tokens = 500` + "\nmax_tokens_param = \"max_completion_tokens\"", "chat", `"max_completion_tokens":500`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, "local", withLLMConfig(c.cfg))
			e.extra["LLM_MODEL"] = c.model
			e.llm.Enqueue(llmtest.ToolReply(terminalCall()), llmtest.TextReply("done"))
			out, stderr, code := e.run(60*time.Second, "run", "--json", "go")
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
			}
			for i, req := range e.llm.Requests() {
				if req.API != c.api || !strings.Contains(string(req.Body), c.inBody) {
					t.Errorf("request %d went to %s (want %s), body without %s: %s", i+1, req.API, c.api, c.inBody, req.Body)
				}
			}
		})
	}
}
