package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
)

const testKey = "sk-test-SECRETKEY-0123456789abcdef"

func newClient(t *testing.T, srv *llmtest.Server, model string, edit func(*llm.Config)) *llm.Client {
	t.Helper()
	cfg := srv.Config(model)
	if edit != nil {
		edit(&cfg)
	}
	c, err := llm.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func userRequest(text string) llm.Request {
	return llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: text}}}
}

// collect records every delta delivered.
type collect struct{ deltas []llm.Delta }

func (c *collect) on(d llm.Delta) {
	if d.ToolCall != nil {
		tc := *d.ToolCall
		d.ToolCall = &tc
	}
	c.deltas = append(c.deltas, d)
}

func (c *collect) text() string {
	var b strings.Builder
	for _, d := range c.deltas {
		b.WriteString(d.Content)
	}
	return b.String()
}

func TestStreamTextInOrder(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithAPIKey(testKey))
	want := "Hello there — a reply streamed in many small pieces, ünïcödé included."
	srv.Enqueue(llmtest.Reply{Text: want, ChunkSize: 3, PromptTokens: 12, CompletionTokens: 7})
	c := newClient(t, srv, "gpt-4o-mini", nil)
	var got collect
	resp, err := c.Stream(context.Background(), userRequest("hi"), got.on)
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if len(got.deltas) < 10 {
		t.Fatalf("got %d deltas, want the text in many pieces", len(got.deltas))
	}
	if got.text() != want {
		t.Fatalf("deltas concatenate to %q, want %q", got.text(), want)
	}
	if resp.Message.Content != want || resp.Message.Role != llm.RoleAssistant {
		t.Fatalf("message = %+v", resp.Message)
	}
	if resp.FinishReason != "stop" {
		t.Fatalf("finish reason %q", resp.FinishReason)
	}
	if resp.Usage.PromptTokens != 12 || resp.Usage.CompletionTokens != 7 {
		t.Fatalf("usage = %+v", resp.Usage)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || !reqs[0].Stream || !reqs[0].IncludeUsage || reqs[0].Model != "gpt-4o-mini" {
		t.Fatalf("server saw %+v", reqs)
	}
}

func TestStreamToolArgsInManyFragments(t *testing.T) {
	srv := llmtest.NewServer(t)
	args := `{"command":"go test ./... -run 'TestX' -count=1","timeout":120,"env":{"A":"1"}}`
	srv.Enqueue(llmtest.Reply{ToolCalls: []llmtest.ToolCallReply{{ID: "call_abc", Name: "terminal", Args: args}}, ChunkSize: 2})
	c := newClient(t, srv, "gpt-4o", nil)
	var got collect
	resp, err := c.Stream(context.Background(), userRequest("run tests"), got.on)
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	var frags strings.Builder
	n := 0
	for _, d := range got.deltas {
		if d.ToolCall == nil {
			continue
		}
		n++
		if d.ToolCall.Index != 0 || d.ToolCall.ID != "call_abc" || d.ToolCall.Name != "terminal" {
			t.Fatalf("delta %+v", *d.ToolCall)
		}
		frags.WriteString(d.ToolCall.ArgsFragment)
	}
	if n < 20 {
		t.Fatalf("only %d tool deltas; the args should arrive in many fragments", n)
	}
	if frags.String() != args {
		t.Fatalf("fragments concatenate to %q", frags.String())
	}
	want := []llm.ToolCall{{ID: "call_abc", Name: "terminal", Arguments: args}}
	if !equalCalls(resp.Message.ToolCalls, want) || resp.FinishReason != "tool_calls" {
		t.Fatalf("resp = %+v", resp)
	}
}

func equalCalls(a, b []llm.ToolCall) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestStreamSeveralToolCalls(t *testing.T) {
	for _, omit := range []bool{false, true} {
		name := "indexed"
		if omit {
			name = "no index"
		}
		t.Run(name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			calls := []llmtest.ToolCallReply{
				llmtest.Call("terminal", map[string]any{"command": "ls -la"}),
				llmtest.Call("file_editor", map[string]any{"path": "/a.go", "op": "view"}),
				llmtest.Call("terminal", map[string]any{"command": "pwd"}),
			}
			srv.Enqueue(llmtest.Reply{Text: "Let me look.", ToolCalls: calls, OmitToolIndex: omit})
			c := newClient(t, srv, "gpt-4.1", nil)
			var got collect
			resp, err := c.Stream(context.Background(), userRequest("look"), got.on)
			if err != nil {
				t.Fatalf("Stream: %v", err)
			}
			if resp.Message.Content != "Let me look." {
				t.Fatalf("content %q", resp.Message.Content)
			}
			if len(resp.Message.ToolCalls) != 3 {
				t.Fatalf("got %d tool calls: %+v", len(resp.Message.ToolCalls), resp.Message.ToolCalls)
			}
			ids := map[string]bool{}
			for i, tc := range resp.Message.ToolCalls {
				if tc.Name != calls[i].Name || tc.Arguments != calls[i].Args {
					t.Fatalf("call %d = %+v, want %+v", i, tc, calls[i])
				}
				if tc.ID == "" || ids[tc.ID] {
					t.Fatalf("call %d has empty or duplicate id %q", i, tc.ID)
				}
				ids[tc.ID] = true
			}
			// Deltas per call carry that call's index and concatenate to its args.
			per := make([]strings.Builder, 3)
			for _, d := range got.deltas {
				if d.ToolCall != nil {
					per[d.ToolCall.Index].WriteString(d.ToolCall.ArgsFragment)
				}
			}
			for i := range per {
				if per[i].String() != calls[i].Args {
					t.Fatalf("call %d deltas = %q", i, per[i].String())
				}
			}
		})
	}
}

func TestMalformedToolArgsPassedThrough(t *testing.T) {
	srv := llmtest.NewServer(t)
	bad := `{"command": "ls", oops` // not JSON: the session decides what to do
	srv.Enqueue(llmtest.ToolReply(llmtest.Call("terminal", bad)))
	c := newClient(t, srv, "gpt-4o", nil)
	resp, err := c.Stream(context.Background(), userRequest("x"), nil)
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if len(resp.Message.ToolCalls) != 1 || resp.Message.ToolCalls[0].Arguments != bad {
		t.Fatalf("tool calls = %+v", resp.Message.ToolCalls)
	}
}

func TestReasoningDeltas(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply{Reasoning: "think think", Text: "answer"})
	c := newClient(t, srv, "deepseek-reasoner", nil)
	var got collect
	resp, err := c.Stream(context.Background(), userRequest("x"), got.on)
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	var r strings.Builder
	for _, d := range got.deltas {
		r.WriteString(d.Reasoning)
	}
	if r.String() != "think think" || resp.Reasoning != "think think" || resp.Message.Content != "answer" {
		t.Fatalf("reasoning %q / %q, content %q", r.String(), resp.Reasoning, resp.Message.Content)
	}
	if got.deltas[0].Reasoning == "" {
		t.Fatalf("reasoning should come first, got %+v", got.deltas[0])
	}
}

func TestRequestSentAsGiven(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.TextReply("ok"))
	temp := float32(0)
	c := newClient(t, srv, "gpt-4o", func(cfg *llm.Config) { cfg.Temperature = &temp; cfg.MaxTokens = 500 })
	schema := json.RawMessage(`{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}`)
	req := llm.Request{
		Messages: []llm.Message{
			{Role: llm.RoleSystem, Content: "be brief"},
			{Role: llm.RoleUser, Content: "list files"},
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "terminal", Arguments: `{"command":"ls"}`}}},
			{Role: llm.RoleTool, ToolCallID: "call_1", Name: "terminal", Content: "a.go\nb.go"},
			{Role: llm.RoleTool, ToolCallID: "call_2", Name: "terminal", Content: ""},
		},
		Tools: []llm.Tool{{Name: "terminal", Description: "run a command", Parameters: schema}, {Name: "finish"}},
	}
	if _, err := c.Stream(context.Background(), req, nil); err != nil {
		t.Fatalf("Stream: %v", err)
	}
	got := srv.Requests()[0]
	if len(got.Messages) != 5 {
		t.Fatalf("messages %+v", got.Messages)
	}
	if tc := got.Messages[2].ToolCalls; len(tc) != 1 || tc[0] != req.Messages[2].ToolCalls[0] {
		t.Fatalf("assistant tool calls %+v", tc)
	}
	if m := got.Messages[3]; m.ToolCallID != "call_1" || m.Content != "a.go\nb.go" || m.Role != llm.RoleTool {
		t.Fatalf("tool message %+v", m)
	}
	if got.Messages[4].Content == "" {
		t.Fatalf("an empty tool result must still be sent with some content")
	}
	if len(got.Tools) != 2 || got.Tools[0].Name != "terminal" || string(got.Tools[0].Parameters) != string(schema) {
		t.Fatalf("tools %+v", got.Tools)
	}
	if !json.Valid(got.Tools[1].Parameters) {
		t.Fatalf("tool without schema sent %q", got.Tools[1].Parameters)
	}
	if got.MaxTokens != 500 || got.Temperature == nil || math.Abs(*got.Temperature) > 1e-6 {
		t.Fatalf("max tokens %d, temperature %v", got.MaxTokens, got.Temperature)
	}
	if got.APIKey != "" {
		t.Fatalf("no key configured, but server got %q", got.APIKey)
	}
}

func TestInvalidToolSchemaRejectedLocally(t *testing.T) {
	srv := llmtest.NewServer(t)
	c := newClient(t, srv, "gpt-4o", nil)
	req := userRequest("x")
	req.Tools = []llm.Tool{{Name: "broken", Parameters: json.RawMessage(`{"type":`)}}
	_, err := c.Stream(context.Background(), req, nil)
	if !errors.Is(err, llm.ErrBadRequest) || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests sent for an invalid tool", n)
	}
}

func TestUsageAndCost(t *testing.T) {
	cases := []struct {
		name      string
		model     string
		prices    map[string]llm.Price
		known     bool
		wantCost  float64
		prompt    int
		completed int
	}{
		{name: "known", model: "gpt-4o", known: true, prompt: 1_000_000, completed: 100_000, wantCost: 2.50 + 1.0},
		{name: "vendor prefix", model: "openai/gpt-4o-mini", known: true, prompt: 2_000_000, completed: 1_000_000, wantCost: 0.30 + 0.60},
		{name: "openrouter claude", model: "anthropic/claude-sonnet-4", known: true, prompt: 1000, completed: 1000, wantCost: (3.0*1000 + 15.0*1000) / 1e6},
		{name: "unknown", model: "my-local-llama", known: false, prompt: 500, completed: 50},
		{name: "override", model: "my-local-llama", prices: map[string]llm.Price{"my-local-llama": {InputPerMTok: 1, OutputPerMTok: 2}}, known: true, prompt: 1_000_000, completed: 1_000_000, wantCost: 3},
		{name: "override beats builtin", model: "gpt-4o", prices: map[string]llm.Price{"gpt-4o": {}}, known: true, prompt: 1000, completed: 1000, wantCost: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			srv.Enqueue(llmtest.Reply{Text: "x", PromptTokens: tc.prompt, CompletionTokens: tc.completed})
			c := newClient(t, srv, tc.model, func(cfg *llm.Config) { cfg.Prices = tc.prices })
			resp, err := c.Stream(context.Background(), userRequest("x"), nil)
			if err != nil {
				t.Fatalf("Stream: %v", err)
			}
			u := resp.Usage
			if u.PromptTokens != tc.prompt || u.CompletionTokens != tc.completed {
				t.Fatalf("usage %+v", u)
			}
			if u.CostKnown != tc.known {
				t.Fatalf("CostKnown = %v, want %v", u.CostKnown, tc.known)
			}
			if !tc.known && u.CostUSD != 0 {
				t.Fatalf("unknown model got a made-up cost %v", u.CostUSD)
			}
			if math.Abs(u.CostUSD-tc.wantCost) > 1e-9 {
				t.Fatalf("cost = %v, want %v", u.CostUSD, tc.wantCost)
			}
		})
	}
}

func TestCachedTokensCheaper(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply{Text: "x", PromptTokens: 1_000_000, CachedTokens: 800_000, CompletionTokens: 0})
	c := newClient(t, srv, "gpt-4.1", nil)
	resp, err := c.Stream(context.Background(), userRequest("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := 0.2*2.00 + 0.8*0.50
	if resp.Usage.CachedPromptTokens != 800_000 || math.Abs(resp.Usage.CostUSD-want) > 1e-9 {
		t.Fatalf("usage %+v, want cost %v", resp.Usage, want)
	}
}

func TestConcurrentCalls(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.SetHandler(func(req llmtest.ChatRequest) llmtest.Reply {
		return llmtest.Reply{Text: "echo: " + req.Last().Content, ChunkDelay: time.Millisecond}
	})
	c := newClient(t, srv, "gpt-4o-mini", nil)
	const n = 16
	errs := make(chan error, n)
	for i := range n {
		go func() {
			msg := strings.Repeat("m", i+1)
			resp, err := c.Stream(context.Background(), userRequest(msg), nil)
			if err == nil && resp.Message.Content != "echo: "+msg {
				err = fmt.Errorf("call %d got %q", i, resp.Message.Content)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := len(srv.Requests()); got != n {
		t.Fatalf("server saw %d requests, want %d", got, n)
	}
}
