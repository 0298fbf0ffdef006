// Package llm is tether's chat client for any OpenAI-compatible endpoint
// (OpenAI, OpenRouter, Ollama, vLLM, ...), over github.com/sashabaranov/go-openai:
// streaming text and tool calls, usage and cost, retries.
//
// It knows nothing of sandboxes, sessions or the UI: it must not import
// sandbox, session or ui. API keys it holds are never logged or put in errors.
package llm

import "encoding/json"

// Roles of a Message.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// Message is one entry of a conversation.
type Message struct {
	Role       string     `json:"role"`
	Content    string     `json:"content,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`   // assistant messages
	ToolCallID string     `json:"tool_call_id,omitempty"` // tool messages
	Name       string     `json:"name,omitempty"`         // tool messages: the tool's name
}

// ToolCall is one function call the model asked for. Arguments is the raw
// JSON text as the model produced it; it may be malformed.
type ToolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Tool describes a function the model may call.
type Tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"` // JSON Schema object
}

// Request is one chat completion call.
type Request struct {
	Messages []Message
	Tools    []Tool
}

// Delta is a piece of a streamed response, delivered as it arrives.
type Delta struct {
	// Content is a fragment of assistant text.
	Content string
	// Reasoning is a fragment of the model's visible reasoning, for servers
	// that stream it (reasoning_content / reasoning). It is not part of
	// the assistant Message.
	Reasoning string
	// ToolCall, when non-nil, reports progress on a tool call (its name
	// becomes known, its arguments grow). Index is its position in the message.
	ToolCall *ToolCallDelta
}

// ToolCallDelta is progress on one streamed tool call.
type ToolCallDelta struct {
	Index        int    // position of the call in the message, from 0
	ID           string // the call's id as known so far (may be "" early on)
	Name         string // the tool's name as known so far
	ArgsFragment string // the next piece of the raw arguments text
}

// Response is the complete result of one call.
type Response struct {
	Message      Message // role assistant, with Content and/or ToolCalls fully assembled
	FinishReason string
	Usage        Usage
	// Reasoning is the model's visible reasoning, when the server sent any.
	Reasoning string
}

// Usage is the token count and cost of one call.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	// CachedPromptTokens is the part of PromptTokens served from the
	// provider's prompt cache (billed at the cached rate).
	CachedPromptTokens int
	CostUSD            float64
	// CostKnown is false when the model has no known price, or the server
	// reported no usage (tokens are then 0, not estimated).
	CostKnown bool
}
