package llm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tether-dev/tether/llm"
)

// Provider transcripts, in the shapes each provider documents, served as
// raw SSE. Each provider server checks the second request the way the
// provider does: a field that must come back is asserted coming back.

type providerServer struct {
	t      *testing.T
	mu     sync.Mutex
	bodies []map[string]any
	round  func(n int, req map[string]any) (status int, body string)
}

func (p *providerServer) start() string {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req map[string]any
		if err := json.Unmarshal(b, &req); err != nil {
			http.Error(w, "bad json", 400)
			return
		}
		p.mu.Lock()
		p.bodies = append(p.bodies, req)
		n := len(p.bodies)
		p.mu.Unlock()
		status, body := p.round(n, req)
		if status != 200 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
		} else {
			w.Header().Set("Content-Type", "text/event-stream")
		}
		_, _ = io.WriteString(w, body)
	}))
	p.t.Cleanup(ts.Close)
	return ts.URL + "/v1"
}

// converse runs two tool-call rounds and a final answer through c, the
// way the session does: the assistant message is appended as returned.
func converse(t *testing.T, c *llm.Client) []llm.Response {
	t.Helper()
	conv := []llm.Message{{Role: llm.RoleUser, Content: "go"}}
	tools := []llm.Tool{{Name: "terminal", Parameters: json.RawMessage(`{"type":"object"}`)}}
	var out []llm.Response
	for i := range 3 {
		resp, err := c.Stream(context.Background(), llm.Request{Messages: conv, Tools: tools}, nil)
		if err != nil {
			t.Fatalf("round %d: %v", i+1, err)
		}
		out = append(out, resp)
		conv = append(conv, resp.Message)
		for _, tc := range resp.Message.ToolCalls {
			conv = append(conv, llm.Message{Role: llm.RoleTool, ToolCallID: tc.ID, Name: tc.Name, Content: "ok " + tc.ID})
		}
	}
	return out
}

func sse(events ...string) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString("data: " + e + "\n\n")
	}
	return b.String()
}

// assistantMessages returns the assistant messages of a request body.
func assistantMessages(req map[string]any) []map[string]any {
	var out []map[string]any
	msgs, _ := req["messages"].([]any)
	for _, m := range msgs {
		if mm, ok := m.(map[string]any); ok && mm["role"] == "assistant" {
			out = append(out, mm)
		}
	}
	return out
}

func TestDeepSeekThinkingModeReasoningGoesBack(t *testing.T) {
	p := &providerServer{t: t}
	p.round = func(n int, req map[string]any) (int, string) {
		for _, m := range assistantMessages(req) {
			if m["tool_calls"] != nil && m["reasoning_content"] == nil {
				return 400, `{"error":{"message":"The reasoning_content in the thinking mode must be passed back to the API.","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}`
			}
		}
		if n == 3 {
			return 200, sse(`{"id":"c3","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":null,"reasoning_content":"done"},"finish_reason":null}]}`,
				`{"id":"c3","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"All done."},"finish_reason":"stop"}],"usage":{"prompt_tokens":30,"completion_tokens":5,"prompt_cache_hit_tokens":20,"prompt_cache_miss_tokens":10,"completion_tokens_details":{"reasoning_tokens":2}}}`,
				`[DONE]`)
		}
		return 200, sse(
			fmt.Sprintf(`{"id":"c%d","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":null,"reasoning_content":"I should "},"finish_reason":null}]}`, n),
			fmt.Sprintf(`{"id":"c%d","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"reasoning_content":"run ls %d"},"finish_reason":null}]}`, n, n),
			fmt.Sprintf(`{"id":"c%d","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_%d","type":"function","function":{"name":"terminal","arguments":""}}]},"finish_reason":null}]}`, n, n),
			fmt.Sprintf(`{"id":"c%d","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"command\":\"ls\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":10,"completion_tokens":5}}`, n),
			`[DONE]`)
	}
	c, err := llm.New(llm.Config{BaseURL: p.start(), Model: "deepseek-v4-pro", RetryDelay: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := converse(t, c)
	if out[0].Message.Reasoning != "I should run ls 1" || out[2].Message.Content != "All done." {
		t.Fatalf("replies %+v", out)
	}
	am := assistantMessages(p.bodies[2])
	if len(am) != 2 || am[0]["reasoning_content"] != "I should run ls 1" || am[1]["reasoning_content"] != "I should run ls 2" {
		t.Fatalf("third request's assistant messages %v", am)
	}
	if u := out[2].Usage; u.CachedPromptTokens != 20 || u.ReasoningTokens != 2 {
		t.Fatalf("usage %+v", u)
	}
}

func TestOpenRouterReasoningDetailsGoBack(t *testing.T) {
	p := &providerServer{t: t}
	p.round = func(n int, req map[string]any) (int, string) {
		if n == 3 {
			return 200, ": OPENROUTER PROCESSING\n\n" + sse(
				`{"id":"gen-3","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"Finished."},"finish_reason":"stop"}]}`,
				`{"id":"gen-3","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":40,"completion_tokens":3,"cost":0.00123,"prompt_tokens_details":{"cached_tokens":0}}}`,
				`[DONE]`)
		}
		return 200, ": OPENROUTER PROCESSING\n\n" + sse(
			`{"id":"gen-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning":"Let me","reasoning_details":[{"type":"reasoning.text","text":"Let me","format":"anthropic-claude-v1","index":0}]},"finish_reason":null}]}`,
			`{"id":"gen-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"","reasoning":" look.","reasoning_details":[{"type":"reasoning.text","text":" look.","signature":"sig-`+fmt.Sprint(n)+`","format":"anthropic-claude-v1","index":0}]},"finish_reason":null}]}`,
			`{"id":"gen-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":null,"tool_calls":[{"index":0,"id":"toolu_`+fmt.Sprint(n)+`","type":"function","function":{"name":"terminal","arguments":"{\"command\":\"pwd\"}"}}]},"finish_reason":"tool_calls"}]}`,
			`[DONE]`)
	}
	c, err := llm.New(llm.Config{BaseURL: p.start(), Model: "anthropic/claude-sonnet-4.5", RetryDelay: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := converse(t, c)
	am := assistantMessages(p.bodies[2])
	if len(am) != 2 {
		t.Fatalf("assistant messages %v", am)
	}
	for i, m := range am {
		d, _ := m["reasoning_details"].([]any)
		if len(d) != 1 {
			t.Fatalf("message %d: reasoning_details %v", i, m["reasoning_details"])
		}
		e := d[0].(map[string]any)
		if e["text"] != "Let me look." || e["signature"] != fmt.Sprintf("sig-%d", i+1) || e["type"] != "reasoning.text" {
			t.Fatalf("message %d: merged detail %v", i, e)
		}
		if m["reasoning"] != "Let me look." {
			t.Fatalf("message %d: reasoning %v", i, m["reasoning"])
		}
	}
	if u := out[2].Usage; !u.CostKnown || !u.CostFromServer || u.CostUSD != 0.00123 {
		t.Fatalf("billed cost not used: %+v", u)
	}
}

func TestGemini3ThoughtSignatureGoesBack(t *testing.T) {
	p := &providerServer{t: t}
	p.round = func(n int, req map[string]any) (int, string) {
		for _, m := range assistantMessages(req) {
			calls, _ := m["tool_calls"].([]any)
			for _, c := range calls {
				ex, _ := c.(map[string]any)["extra_content"].(map[string]any)
				g, _ := ex["google"].(map[string]any)
				if g["thought_signature"] == nil {
					return 400, `[{"error":{"code":400,"message":"Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly.","status":"INVALID_ARGUMENT"}}]`
				}
			}
		}
		if n == 3 {
			return 200, sse(`{"choices":[{"delta":{"content":"Done.","role":"assistant"},"finish_reason":"stop","index":0}],"created":1,"id":"g3","model":"gemini-3-pro-preview","object":"chat.completion.chunk","usage":{"completion_tokens":2,"prompt_tokens":50,"total_tokens":52}}`, `[DONE]`)
		}
		return 200, sse(fmt.Sprintf(`{"choices":[{"delta":{"role":"assistant","tool_calls":[{"extra_content":{"google":{"thought_signature":"c2lnLTE%d"}},"function":{"arguments":"{\"command\":\"ls\"}","name":"terminal"},"id":"function-call-%d","type":"function"}]},"finish_reason":"tool_calls","index":0}],"created":1,"id":"g%d","model":"gemini-3-pro-preview","object":"chat.completion.chunk"}`, n, n, n), `[DONE]`)
	}
	c, err := llm.New(llm.Config{BaseURL: p.start(), Model: "gemini-3-pro-preview", RetryDelay: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := converse(t, c)
	if out[2].Message.Content != "Done." {
		t.Fatalf("final %+v", out[2])
	}
	if len(p.bodies) != 3 {
		t.Fatalf("%d requests", len(p.bodies))
	}
}

func TestGroqUsageInXGroq(t *testing.T) {
	p := &providerServer{t: t}
	p.round = func(n int, req map[string]any) (int, string) {
		if n == 3 {
			return 200, sse(`{"id":"chatcmpl-3","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"ok"},"finish_reason":null}],"x_groq":{"id":"req_1"}}`,
				`{"id":"chatcmpl-3","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"x_groq":{"id":"req_1","usage":{"queue_time":0.01,"prompt_tokens":120,"prompt_time":0.01,"completion_tokens":9,"completion_time":0.02,"total_tokens":129,"total_time":0.03}}}`,
				`[DONE]`)
		}
		return 200, sse(fmt.Sprintf(`{"id":"chatcmpl-%d","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"id":"call_g%d","type":"function","function":{"name":"terminal","arguments":"{\"command\":\"ls\"}"},"index":0}]},"finish_reason":null}]}`, n, n),
			`{"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"x_groq":{"usage":{"prompt_tokens":100,"completion_tokens":7}}}`, `[DONE]`)
	}
	c, err := llm.New(llm.Config{BaseURL: p.start(), Model: "llama-3.3-70b-versatile", RetryDelay: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := converse(t, c)
	if u := out[2].Usage; u.PromptTokens != 120 || u.CompletionTokens != 9 {
		t.Fatalf("x_groq usage not read: %+v", u)
	}
}

func TestResponsesAPIForGPT6(t *testing.T) {
	p := &providerServer{t: t}
	p.round = func(n int, req map[string]any) (int, string) {
		if req["messages"] != nil || req["input"] == nil {
			return 400, `{"error":{"message":"expected input","type":"invalid_request_error"}}`
		}
		items, _ := req["input"].([]any)
		var kinds []string
		for _, it := range items {
			m := it.(map[string]any)
			k, _ := m["type"].(string)
			if k == "" {
				k = "msg:" + m["role"].(string)
			}
			if k == "reasoning" && m["encrypted_content"] == nil {
				return 400, `{"error":{"message":"reasoning item without encrypted_content","type":"invalid_request_error"}}`
			}
			kinds = append(kinds, k)
		}
		want := []string{"msg:user", "reasoning", "function_call", "function_call_output", "reasoning", "function_call", "function_call_output"}
		if n == 3 && strings.Join(kinds, ",") != strings.Join(want, ",") {
			return 400, fmt.Sprintf(`{"error":{"message":"input items %v","type":"invalid_request_error"}}`, kinds)
		}
		ev := func(typ, rest string) string {
			return "event: " + typ + "\ndata: {\"type\":\"" + typ + "\"," + rest + "}\n\n"
		}
		if n == 3 {
			return 200, ev("response.created", `"response":{"id":"resp_3","status":"in_progress"}`) +
				ev("response.output_item.added", `"output_index":0,"item":{"id":"msg_3","type":"message","role":"assistant","content":[]}`) +
				ev("response.output_text.delta", `"item_id":"msg_3","output_index":0,"content_index":0,"delta":"All "`) +
				ev("response.output_text.delta", `"item_id":"msg_3","output_index":0,"content_index":0,"delta":"done."`) +
				ev("response.completed", `"response":{"id":"resp_3","status":"completed","output":[],"usage":{"input_tokens":300,"input_tokens_details":{"cached_tokens":100},"output_tokens":20,"output_tokens_details":{"reasoning_tokens":12},"total_tokens":320}}`)
		}
		return 200, ev("response.created", `"response":{"id":"resp","status":"in_progress"}`) +
			ev("response.output_item.added", `"output_index":0,"item":{"id":"rs_`+fmt.Sprint(n)+`","type":"reasoning","summary":[]}`) +
			ev("response.reasoning_summary_text.delta", `"item_id":"rs_1","output_index":0,"summary_index":0,"delta":"Listing files."`) +
			ev("response.output_item.done", `"output_index":0,"item":{"id":"rs_`+fmt.Sprint(n)+`","type":"reasoning","summary":[{"type":"summary_text","text":"Listing files."}],"encrypted_content":"gAAAA`+fmt.Sprint(n)+`"}`) +
			ev("response.output_item.added", `"output_index":1,"item":{"id":"fc_`+fmt.Sprint(n)+`","type":"function_call","status":"in_progress","arguments":"","call_id":"call_r`+fmt.Sprint(n)+`","name":"terminal"}`) +
			ev("response.function_call_arguments.delta", `"item_id":"fc_`+fmt.Sprint(n)+`","output_index":1,"delta":"{\"command\":"`) +
			ev("response.function_call_arguments.delta", `"item_id":"fc_`+fmt.Sprint(n)+`","output_index":1,"delta":"\"ls\"}"`) +
			ev("response.output_item.done", `"output_index":1,"item":{"id":"fc_`+fmt.Sprint(n)+`","type":"function_call","status":"completed","arguments":"{\"command\":\"ls\"}","call_id":"call_r`+fmt.Sprint(n)+`","name":"terminal"}`) +
			ev("response.completed", `"response":{"id":"resp","status":"completed","output":[],"usage":{"input_tokens":100,"output_tokens":30,"output_tokens_details":{"reasoning_tokens":20},"total_tokens":130}}`)
	}
	c, err := llm.New(llm.Config{BaseURL: p.start(), Model: "gpt-6-sol", RetryDelay: 1})
	if err != nil {
		t.Fatal(err)
	}
	if c.API() != llm.APIResponses {
		t.Fatalf("api %q for gpt-6-sol", c.API())
	}
	out := converse(t, c)
	tc := out[0].Message.ToolCalls
	if len(tc) != 1 || tc[0].ID != "call_r1" || tc[0].Arguments != `{"command":"ls"}` || out[0].Message.Reasoning != "Listing files." {
		t.Fatalf("first reply %+v", out[0].Message)
	}
	if out[2].Message.Content != "All done." || out[2].Usage.ReasoningTokens != 12 || out[2].Usage.CachedPromptTokens != 100 {
		t.Fatalf("final reply %+v", out[2])
	}
	// Forced to chat, the same model goes to /chat/completions unrefused.
	c, _ = llm.New(llm.Config{BaseURL: "http://127.0.0.1:1/v1", Model: "gpt-6-sol", API: llm.APIChat})
	if c.API() != llm.APIChat {
		t.Fatal("api override ignored")
	}
}
