package llmtest

import (
	"encoding/json"
	"fmt"
	"time"
)

// Reply scripts one answer of the server. The zero Reply is an empty
// assistant message that finishes with "stop".
type Reply struct {
	// Text is streamed in pieces of ChunkSize runes.
	Text string
	// Reasoning is streamed first, as delta.reasoning_content (DeepSeek,
	// vLLM, llama-server), or as delta.reasoning with a matching
	// reasoning_details entry when ReasoningDetails is set (OpenRouter).
	Reasoning        string
	ReasoningDetails bool
	// ToolCalls are streamed after Text; each call's Args in several
	// fragments, the id, type and name only on the first (as OpenAI does).
	ToolCalls []ToolCallReply
	// FinishReason defaults to "tool_calls" when there are ToolCalls,
	// else "stop".
	FinishReason string
	// PromptTokens and CompletionTokens are reported as usage. When both
	// are 0 they are estimated (about 4 bytes per token) so that usage is
	// never empty by accident.
	PromptTokens, CompletionTokens int
	// CachedTokens is reported as prompt_tokens_details.cached_tokens.
	CachedTokens int
	// BilledCost is reported as usage.cost by shapes that bill in the
	// stream (OpenRouter).
	BilledCost float64
	// ChunkSize is the runes of text or arguments per chunk; 0 means 4.
	ChunkSize int

	// Status, when set, answers with this HTTP status and an OpenAI-style
	// error body (ErrorMessage, ErrorCode, or defaults for the status).
	Status       int
	ErrorMessage string
	ErrorCode    string
	// RetryAfter is sent as the Retry-After header (seconds or HTTP date),
	// with Status or with a stream.
	RetryAfter string
	// Header is sent with the answer, whatever it is (x-ratelimit-reset-*
	// on a 429, say).
	Header map[string]string
	// Body, when set, is sent verbatim as the whole answer, with Status
	// (0 = 200) and ContentType ("" = none): an HTML page, a JSON error
	// with or without a trailing newline, a server's own error shape.
	Body        string
	ContentType string
	// CutAfter > 0 drops the connection after that many chunks; < 0 drops
	// it right after the headers. The client sees an unexpected EOF.
	CutAfter int
	// ChunkDelay is slept before each chunk.
	ChunkDelay time.Duration
	// Hang sends the headers, then CutAfter chunks (0 = none), then holds
	// the connection open silently until the client goes away.
	Hang bool
	// StreamError, when set, replaces the finish chunk with an in-stream
	// error event ({"error":{...}}) after the content, as some providers
	// do when an upstream fails mid-reply.
	StreamError string
	// OmitToolIndex leaves "index" out of tool-call fragments, as some
	// OpenAI-compatible servers do.
	OmitToolIndex bool

	rsID string // Responses: id of the reasoning item, set when served
}

// ToolCallReply is one tool call the fake model makes.
type ToolCallReply struct {
	ID   string // "" = generated, unique per server
	Name string
	Args string // raw arguments text, sent verbatim (may be malformed on purpose)
	// ThoughtSignature, when set, is sent as Gemini 3 does, in the call's
	// extra_content.google.thought_signature.
	ThoughtSignature string
}

// TextReply is a reply of plain assistant text.
func TextReply(text string) Reply { return Reply{Text: text} }

// ToolReply is a reply that calls tools (several in one message if given).
func ToolReply(calls ...ToolCallReply) Reply { return Reply{ToolCalls: calls} }

// ErrorReply answers with an HTTP error status and OpenAI's default
// message for it.
func ErrorReply(status int) Reply { return Reply{Status: status} }

// Call builds a tool call. args may be a string or []byte (sent verbatim,
// so malformed JSON can be scripted) or any value, which is marshalled.
// It panics if args cannot be marshalled: that is a bug in the test.
func Call(name string, args any) ToolCallReply {
	var s string
	switch a := args.(type) {
	case string:
		s = a
	case []byte:
		s = string(a)
	case nil:
		s = "{}"
	default:
		b, err := json.Marshal(a)
		if err != nil {
			panic(fmt.Sprintf("llmtest.Call(%q): cannot marshal args: %v", name, err))
		}
		s = string(b)
	}
	return ToolCallReply{Name: name, Args: s}
}

func (r Reply) chunkSize() int {
	if r.ChunkSize > 0 {
		return r.ChunkSize
	}
	return 4
}

func (r Reply) finishReason() string {
	switch {
	case r.FinishReason != "":
		return r.FinishReason
	case len(r.ToolCalls) > 0:
		return "tool_calls"
	default:
		return "stop"
	}
}

// usage returns the token counts to report for req.
func (r Reply) usage(req ChatRequest) (prompt, completion int) {
	if r.PromptTokens != 0 || r.CompletionTokens != 0 {
		return r.PromptTokens, r.CompletionTokens
	}
	in := 0
	for _, m := range req.Messages {
		in += len(m.Content)
		for _, tc := range m.ToolCalls {
			in += len(tc.Name) + len(tc.Arguments)
		}
	}
	out := len(r.Text) + len(r.Reasoning)
	for _, tc := range r.ToolCalls {
		out += len(tc.Name) + len(tc.Args)
	}
	return in/4 + 1, out/4 + 1
}

// split cuts s into pieces of n runes (at least one piece, even for "").
func split(s string, n int) []string {
	if s == "" {
		return []string{""}
	}
	var out []string
	runes := 0
	start := 0
	for i := range s {
		if runes == n {
			out = append(out, s[start:i])
			start, runes = i, 0
		}
		runes++
	}
	return append(out, s[start:])
}

// defaultError is OpenAI's wording for common statuses.
func defaultError(status int, model, key string) (msg, typ, code string) {
	switch status {
	case 401:
		return fmt.Sprintf("Incorrect API key provided: %s. You can find your API key at https://platform.openai.com/account/api-keys.", maskKey(key)), "invalid_request_error", "invalid_api_key"
	case 403:
		return "You are not allowed to sample from this model", "invalid_request_error", "model_not_allowed"
	case 404:
		return fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", model), "invalid_request_error", "model_not_found"
	case 429:
		return "Rate limit reached for requests. Please try again in 1s.", "requests", "rate_limit_exceeded"
	case 400:
		return "Invalid request.", "invalid_request_error", ""
	}
	if status >= 500 {
		return "The server had an error while processing your request. Sorry about that!", "server_error", ""
	}
	return fmt.Sprintf("HTTP %d", status), "invalid_request_error", ""
}

// maskKey shows a key the way OpenAI does in its 401 message.
func maskKey(key string) string {
	if len(key) < 8 {
		return "***"
	}
	return key[:3] + "*****" + key[len(key)-4:]
}
