// Package llm is tether's chat client for any OpenAI-compatible endpoint
// (OpenAI, OpenRouter, DeepSeek, Gemini, Groq, Ollama, vLLM, llama-server,
// ...): streaming text, reasoning and tool calls over Chat Completions or
// OpenAI's Responses API, usage and cost, errors named for what they are,
// and retries that are reported as they happen. It speaks the wire itself
// (net/http and its own SSE reader); go-openai supplies model knowledge.
//
// It knows nothing of sandboxes, sessions or the UI: it must not import
// sandbox, session or ui. API keys it holds are never logged or put in errors.
package llm

import (
	"encoding/json"
	"time"
)

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

	// The model's reasoning, as the server sent it, kept on assistant
	// messages because some servers require it back (DeepSeek thinking
	// mode with tools answers 400 without it). Keep these fields when
	// appending the message to the conversation.
	//
	// Reasoning is the visible reasoning text; ReasoningField is the field
	// it arrived in ("reasoning_content" or "reasoning"), which is the
	// field it is sent back in.
	Reasoning      string `json:"reasoning,omitempty"`
	ReasoningField string `json:"reasoning_field,omitempty"`
	// ReasoningDetails is OpenRouter's reasoning_details array, merged
	// from the stream, sent back verbatim.
	ReasoningDetails json.RawMessage `json:"reasoning_details,omitempty"`
	// ReasoningItems is the Responses API's reasoning output items (a JSON
	// array, with their encrypted_content), sent back verbatim as input.
	ReasoningItems json.RawMessage `json:"reasoning_items,omitempty"`
}

// ToolCall is one function call the model asked for. Arguments is the raw
// JSON text as the model produced it; it may be malformed.
type ToolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
	// ExtraContent is the call's extra_content object as raw JSON (Gemini
	// 3 puts its thought_signature there and requires it back), "" if none.
	ExtraContent string `json:"extra_content,omitempty"`
	// ItemID is the Responses API item id of the call (fc_...), "" on
	// Chat Completions. ID is then the call_id.
	ItemID string `json:"item_id,omitempty"`
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
// Exactly one of its fields is set.
type Delta struct {
	// Content is a fragment of assistant text.
	Content string
	// Reasoning is a fragment of the model's visible reasoning.
	Reasoning string
	// ToolCall, when non-nil, reports progress on a tool call (its name
	// becomes known, its arguments grow). Index is its position in the message.
	ToolCall *ToolCallDelta
	// Retry, when non-nil, says the call failed and will be retried after
	// Retry.Wait. When Retry.Discard is set, the deltas delivered so far
	// belong to the failed attempt and are void: the reply starts over.
	Retry *RetryNotice
}

// ToolCallDelta is progress on one streamed tool call.
type ToolCallDelta struct {
	Index        int    // position of the call in the message, from 0
	ID           string // the call's id as known so far (may be "" early on)
	Name         string // the tool's name as known so far
	ArgsFragment string // the next piece of the raw arguments text
}

// RetryNotice describes one retry while it is waited for.
type RetryNotice struct {
	// Kind is the failure's sentinel (ErrRateLimited, ErrServer, ...).
	Kind error
	// Reason is short and human: "rate limited", "server error (HTTP 503)".
	Reason string
	// Attempt is the number of the retry about to be made (1 = the first
	// retry); Max is how many retries are allowed.
	Attempt, Max int
	// Wait is how long the client waits before retrying; FromServer says
	// the server asked for it (Retry-After, x-ratelimit-reset-*).
	Wait       time.Duration
	FromServer bool
	// StatusCode is the HTTP status of the failure, 0 if none.
	StatusCode int
	// Discard is set when deltas of the failed attempt were delivered.
	Discard bool
}

// Finish reasons with a meaning to the caller.
const (
	FinishStop      = "stop"
	FinishToolCalls = "tool_calls"
	// FinishLength: the reply hit the output token limit. Its last tool
	// call's arguments are then likely cut short: see Response.Truncated.
	FinishLength = "length"
)

// Response is the complete result of one call.
type Response struct {
	Message      Message // role assistant, with Content, ToolCalls and reasoning fully assembled
	FinishReason string
	Usage        Usage
	// Reasoning is Message.Reasoning (kept for callers that read it here).
	Reasoning string
	// Truncated is set when the reply was cut by the output token limit
	// (finish_reason "length", or an incomplete Responses reply): its tool
	// calls must not be run.
	Truncated bool
}

// Usage is the token count and cost of one call.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	// CachedPromptTokens is the part of PromptTokens served from the
	// provider's prompt cache (billed at the cached rate).
	CachedPromptTokens int
	// CacheWriteTokens is the part of PromptTokens written to the cache
	// (billed at the cache-write rate where the vendor has one).
	CacheWriteTokens int
	// ReasoningTokens is the part of CompletionTokens spent reasoning.
	ReasoningTokens int
	CostUSD         float64
	// CostKnown is false when the model has no known price, or the server
	// reported no usage (tokens are then 0, not estimated).
	CostKnown bool
	// CostFromServer is set when CostUSD is what the server reported it
	// billed (OpenRouter's usage.cost) rather than computed from prices.
	CostFromServer bool
}
