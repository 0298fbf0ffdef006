package llmtest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tether-dev/tether/llm"
)

// Shape is how one provider lays out a Chat Completions stream, and what
// it checks on the next request. The zero Shape is OpenAI's canonical
// stream, accepting any conversation (the fake's default).
//
// With a named shape (WithShape) the server also refuses, as the provider
// does, a conversation that lost what the provider requires back: a tool
// message answering no call, a call left unanswered, DeepSeek's
// reasoning_content, Gemini 3's thought_signature, OpenRouter's signed
// reasoning_details (and on /v1/responses, a function_call without its
// reasoning item).
type Shape struct {
	// Name is the provider, used in error messages.
	Name string
	// ReasoningField is the delta field reasoning streams in:
	// "reasoning_content" (DeepSeek, llama-server, older vLLM; the
	// default) or "reasoning" (newer vLLM, Ollama).
	ReasoningField string
	// WholeCalls sends each tool call complete in one chunk (Groq,
	// Ollama, Gemini) instead of arguments in fragments.
	WholeCalls bool
	// NoIndex leaves "index" out of tool-call deltas (Ollama).
	NoIndex bool
	// EmptyIDs sends "id":"" on tool calls (Gemini 2.5).
	EmptyIDs bool
	// ToolFinish is the finish_reason of a reply with tool calls
	// ("" = "tool_calls"; Ollama says "stop").
	ToolFinish string
	// NullContent sends "content":null in the role chunk (llama-server).
	NullContent bool
	// Usage is where usage goes: "" = a last chunk with empty choices when
	// stream_options.include_usage is set (OpenAI, DeepSeek, vLLM,
	// llama-server, Ollama, OpenRouter), "finish" = on the finish chunk,
	// always (Gemini), "x_groq" = in x_groq.usage of the finish chunk (Groq).
	Usage string
	// DeepSeekCache adds prompt_cache_hit_tokens / _miss_tokens to usage.
	DeepSeekCache bool
	// Cost adds OpenRouter's usage.cost (Reply.BilledCost).
	Cost bool
	// Comment is sent as an SSE comment before the first chunk
	// (OpenRouter's ": OPENROUTER PROCESSING").
	Comment string
	// Fingerprint is the system_fingerprint ("" = fp_llmtest).
	Fingerprint string

	// RequireReasoning: an assistant tool-call message must carry back the
	// reasoning_content it was sent with (DeepSeek thinking mode).
	RequireReasoning bool
	// RequireSignature: a tool call sent with a thought_signature must come
	// back with it (Gemini 3).
	RequireSignature bool
	// RequireDetails: reasoning_details sent with a signature must come
	// back, signature included (OpenRouter, for Anthropic and Gemini
	// reasoning models).
	RequireDetails bool
}

// The shapes of the servers tether is used with, from their API
// references (late 2026).
var (
	ShapeOpenAI     = Shape{Name: "OpenAI"}
	ShapeDeepSeek   = Shape{Name: "DeepSeek", ReasoningField: "reasoning_content", DeepSeekCache: true, Fingerprint: "fp_deepseek", RequireReasoning: true}
	ShapeOpenRouter = Shape{Name: "OpenRouter", ReasoningField: "reasoning", Cost: true, Comment: ": OPENROUTER PROCESSING", RequireDetails: true}
	ShapeGemini3    = Shape{Name: "Gemini 3", WholeCalls: true, Usage: "finish", RequireSignature: true}
	ShapeGemini25   = Shape{Name: "Gemini 2.5", WholeCalls: true, EmptyIDs: true, Usage: "finish"}
	ShapeGroq       = Shape{Name: "Groq", WholeCalls: true, Usage: "x_groq"}
	ShapeLlamaCpp   = Shape{Name: "llama-server", ReasoningField: "reasoning_content", NullContent: true, Fingerprint: "b6800-llmtest"}
	ShapeVLLM       = Shape{Name: "vLLM", ReasoningField: "reasoning"}
	ShapeOllama     = Shape{Name: "Ollama", ReasoningField: "reasoning", WholeCalls: true, NoIndex: true, ToolFinish: "stop", Fingerprint: "fp_ollama"}
)

// WithShape makes the server stream in shape's layout and check what
// comes back the way that provider does.
func WithShape(shape Shape) Option {
	return func(s *Server) { s.shape, s.strict = shape, true }
}

// issued is what the server sent with one tool call, to be checked when
// the conversation comes back.
type issued struct {
	reasoning string // reasoning_content of the message the call was in
	signature string // Gemini 3 thought_signature
	details   bool   // OpenRouter reasoning_details with a signature
	rsID      string // Responses: the reasoning item before the call
}

func (s *Server) remember(reply Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.issued == nil {
		s.issued = map[string]issued{}
	}
	for _, tc := range reply.ToolCalls {
		if tc.ID == "" {
			continue
		}
		s.issued[tc.ID] = issued{reasoning: reply.Reasoning, signature: tc.ThoughtSignature,
			details: reply.ReasoningDetails && reply.Reasoning != "", rsID: reply.rsID}
	}
}

// check returns the provider's 400 message for a conversation it would
// refuse, "" when it is acceptable.
func (s *Server) check(req ChatRequest) string {
	if !s.strict {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	open := map[string]bool{}
	for i, m := range req.Messages {
		switch m.Role {
		case "assistant":
			if len(open) > 0 {
				return unanswered(open)
			}
			for _, tc := range m.ToolCalls {
				open[tc.ID] = true
				if msg := s.checkCall(req.API, i, m, tc); msg != "" {
					return msg
				}
			}
		case "tool":
			if !open[m.ToolCallID] {
				return fmt.Sprintf("Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls' (messages[%d], tool_call_id %q).", i, m.ToolCallID)
			}
			delete(open, m.ToolCallID)
		default:
			if len(open) > 0 {
				return unanswered(open)
			}
		}
	}
	if len(open) > 0 {
		return unanswered(open)
	}
	return ""
}

func (s *Server) checkCall(api string, i int, m llm.Message, tc llm.ToolCall) string {
	is, ok := s.issued[tc.ID]
	if !ok {
		return ""
	}
	sh := s.shape
	if api == "responses" {
		sh = Shape{} // the chat shape's fields do not apply
	}
	switch {
	case sh.RequireReasoning && is.reasoning != "" && (m.ReasoningField != "reasoning_content" || m.Reasoning != is.reasoning):
		return fmt.Sprintf("Missing `reasoning_content` field in the assistant message at message index %d. The reasoning_content must be passed back to the API in thinking mode with tool calls.", i)
	case sh.RequireSignature && is.signature != "" && !strings.Contains(tc.ExtraContent, `"thought_signature":"`+is.signature+`"`):
		return fmt.Sprintf("Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly (messages[%d], tool call %s).", i, tc.ID)
	case sh.RequireDetails && is.details && !strings.Contains(string(m.ReasoningDetails), `"signature":"sig-llmtest"`):
		return fmt.Sprintf("messages[%d]: reasoning_details were not preserved: the assistant turn with tool calls must carry back its signed reasoning blocks.", i)
	case is.rsID != "" && !strings.Contains(string(m.ReasoningItems), `"id":"`+is.rsID+`"`):
		return fmt.Sprintf("Item '%s' of type 'function_call' was provided without its required 'reasoning' item: '%s'.", tc.ItemID, is.rsID)
	}
	return ""
}

func unanswered(open map[string]bool) string {
	ids := make([]string, 0, len(open))
	for id := range open {
		ids = append(ids, id)
	}
	return "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: " + strings.Join(ids, ", ")
}

// usageFor renders usage as the shape reports it.
func (s *Server) usageFor(req ChatRequest, reply Reply) map[string]any {
	prompt, completion := reply.usage(req)
	u := usageJSON(prompt, completion, reply.CachedTokens)
	if reply.Reasoning != "" {
		u["completion_tokens_details"] = map[string]int{"reasoning_tokens": len(reply.Reasoning)/4 + 1}
	}
	if s.shape.DeepSeekCache {
		u["prompt_cache_hit_tokens"] = reply.CachedTokens
		u["prompt_cache_miss_tokens"] = prompt - reply.CachedTokens
	}
	if s.shape.Cost {
		u["cost"] = reply.BilledCost
	}
	if s.shape.Usage == "x_groq" {
		u["queue_time"], u["prompt_time"], u["completion_time"], u["total_time"] = 0.012, 0.004, 0.031, 0.047
	}
	return u
}

// rawJSON is a value that marshals as itself (null for explicit nulls).
func rawJSON(s string) json.RawMessage { return json.RawMessage(s) }
