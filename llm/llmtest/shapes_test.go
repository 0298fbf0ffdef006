package llmtest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
)

// round runs one call and appends the reply and a result per tool call.
func round(t *testing.T, c *llm.Client, conv []llm.Message, edit func(*llm.Message)) ([]llm.Message, llm.Response, error) {
	t.Helper()
	resp, err := c.Stream(context.Background(), llm.Request{Messages: conv, Tools: []llm.Tool{{Name: "terminal"}}}, nil)
	if err != nil {
		return conv, resp, err
	}
	m := resp.Message
	if edit != nil {
		edit(&m)
	}
	conv = append(conv, m)
	for _, tc := range m.ToolCalls {
		conv = append(conv, llm.Message{Role: llm.RoleTool, ToolCallID: tc.ID, Name: tc.Name, Content: "ok"})
	}
	return conv, resp, nil
}

func shapedReply(sig string) llmtest.Reply {
	c := llmtest.Call("terminal", map[string]any{"command": "ls"})
	c.ThoughtSignature = sig
	return llmtest.Reply{Reasoning: "let me look", Text: "looking", ToolCalls: []llmtest.ToolCallReply{c, llmtest.Call("terminal", `{"command":"pwd"}`)}}
}

// TestShapesDecodedByTheClient: every shape's stream, through the real
// client, gives the same reply, twice in a row.
func TestShapesDecodedByTheClient(t *testing.T) {
	shapes := []llmtest.Shape{llmtest.ShapeOpenAI, llmtest.ShapeDeepSeek, llmtest.ShapeOpenRouter, llmtest.ShapeGemini3,
		llmtest.ShapeGemini25, llmtest.ShapeGroq, llmtest.ShapeLlamaCpp, llmtest.ShapeVLLM, llmtest.ShapeOllama}
	for _, sh := range shapes {
		for _, model := range []string{"some-model", "gpt-6"} {
			t.Run(sh.Name+"/"+model, func(t *testing.T) {
				srv := llmtest.NewServer(t, llmtest.WithShape(sh))
				srv.Enqueue(shapedReply("c2ln"), shapedReply("c2ln"), llmtest.Reply{Text: "done", PromptTokens: 7, CompletionTokens: 3})
				c, err := llm.New(srv.Config(model))
				if err != nil {
					t.Fatal(err)
				}
				conv := []llm.Message{{Role: llm.RoleUser, Content: "go"}}
				for i := range 3 {
					var resp llm.Response
					conv, resp, err = round(t, c, conv, nil)
					if err != nil {
						t.Fatalf("round %d: %v", i+1, err)
					}
					m := resp.Message
					if i == 2 {
						if m.Content != "done" || resp.Usage.PromptTokens != 7 || resp.Usage.CompletionTokens != 3 {
							t.Fatalf("final %+v usage %+v", m, resp.Usage)
						}
						continue
					}
					if m.Content != "looking" || m.Reasoning != "let me look" || len(m.ToolCalls) != 2 ||
						m.ToolCalls[0].Arguments != `{"command":"ls"}` || m.ToolCalls[1].Arguments != `{"command":"pwd"}` || m.ToolCalls[0].ID == m.ToolCalls[1].ID {
						t.Fatalf("round %d: %+v", i+1, m)
					}
				}
				if got := srv.Requests()[2].API; (model == "gpt-6") != (got == "responses") {
					t.Fatalf("model %s served by %s", model, got)
				}
			})
		}
	}
}

// TestShapeRefusesWhatWasLost: a conversation missing what the provider
// requires back is refused with the provider's 400, so a test through a
// shaped server fails when tether drops it.
func TestShapeRefusesWhatWasLost(t *testing.T) {
	cases := []struct {
		name  string
		shape llmtest.Shape
		model string
		edit  func(*llm.Message)
		want  string
	}{
		{"deepseek reasoning_content", llmtest.ShapeDeepSeek, "deepseek-reasoner", func(m *llm.Message) { m.Reasoning = "" }, "reasoning_content"},
		{"gemini 3 signature", llmtest.ShapeGemini3, "gemini-3-pro", func(m *llm.Message) { m.ToolCalls[0].ExtraContent = "" }, "thought_signature"},
		{"openrouter details", llmtest.ShapeOpenRouter, "anthropic/claude-sonnet-4.5", func(m *llm.Message) { m.ReasoningDetails = nil }, "reasoning_details"},
		{"responses reasoning item", llmtest.ShapeOpenAI, "gpt-6", func(m *llm.Message) { m.ReasoningItems = nil }, "required 'reasoning' item"},
		{"call id", llmtest.ShapeOllama, "qwen3", nil, "did not have response messages"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.WithShape(tc.shape))
			r := shapedReply("c2ln")
			r.ReasoningDetails = tc.shape.Name == "OpenRouter"
			srv.Enqueue(r, llmtest.TextReply("must not be served"))
			cfg := srv.Config(tc.model)
			cfg.MaxRetries = -1
			c, _ := llm.New(cfg)
			conv, _, err := round(t, c, []llm.Message{{Role: llm.RoleUser, Content: "go"}}, tc.edit)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "call id" {
				conv = conv[:len(conv)-1] // the second call's result lost
			}
			_, _, err = round(t, c, conv, nil)
			if !errors.Is(err, llm.ErrBadRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a 400 naming %q", err, tc.want)
			}
			if srv.Pending() != 1 {
				t.Fatal("a refused request consumed a reply")
			}
		})
	}
}
