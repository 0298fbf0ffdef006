package llm

import (
	"encoding/json"
	"fmt"
)

// Chat Completions (POST /chat/completions), request and stream, in the
// shapes of OpenAI and of the servers that extend it: reasoning_content
// (DeepSeek, vLLM, llama-server), reasoning + reasoning_details
// (OpenRouter), extra_content on tool calls (Gemini 3), usage in x_groq
// (Groq), usage.cost (OpenRouter), prompt_cache_hit_tokens (DeepSeek).

// emptyToolOutput stands in for an empty tool result: OpenAI rejects a
// tool message without content.
const emptyToolOutput = "(no output)"

var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

type chatRequest struct {
	Model               string         `json:"model"`
	Messages            []chatMessage  `json:"messages"`
	Tools               []chatTool     `json:"tools,omitempty"`
	Stream              bool           `json:"stream"`
	StreamOptions       *streamOptions `json:"stream_options,omitempty"`
	MaxTokens           int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens int            `json:"max_completion_tokens,omitempty"`
	Temperature         *float32       `json:"temperature,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type chatMessage struct {
	Role             string          `json:"role"`
	Content          string          `json:"content,omitempty"`
	ReasoningContent string          `json:"reasoning_content,omitempty"`
	Reasoning        string          `json:"reasoning,omitempty"`
	ReasoningDetails json.RawMessage `json:"reasoning_details,omitempty"`
	ToolCalls        []chatToolCall  `json:"tool_calls,omitempty"`
	ToolCallID       string          `json:"tool_call_id,omitempty"`
	Name             string          `json:"name,omitempty"`
}

type chatToolCall struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	Function     chatFunction    `json:"function"`
	ExtraContent json.RawMessage `json:"extra_content,omitempty"`
}

type chatFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type chatTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

// checkTools validates tool schemas; problems are the caller's to fix.
func (c *Client) checkTools(tools []Tool) error {
	for _, t := range tools {
		if len(t.Parameters) > 0 && !json.Valid(t.Parameters) {
			return c.requestError(fmt.Sprintf("tool %q has parameters that are not valid JSON: fix its schema", t.Name))
		}
	}
	return nil
}

func schemaOf(t Tool) json.RawMessage {
	if len(t.Parameters) == 0 {
		return emptySchema
	}
	return t.Parameters
}

// chatBody maps req onto the Chat Completions wire request. Reasoning goes
// back on assistant messages in the field it came in, with OpenRouter's
// reasoning_details; Gemini's extra_content goes back on its tool call.
func (c *Client) chatBody(req Request, withStreamOptions, completionTokens bool) ([]byte, error) {
	out := chatRequest{Model: c.cfg.Model, Stream: true, Temperature: c.cfg.Temperature,
		Messages: make([]chatMessage, 0, len(req.Messages))}
	if withStreamOptions {
		out.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	for _, m := range req.Messages {
		om := chatMessage{Role: m.Role, Content: m.Content, ToolCallID: m.ToolCallID, Name: m.Name}
		if m.Role == RoleTool && m.Content == "" {
			om.Content = emptyToolOutput
		}
		if m.Role == RoleAssistant {
			switch m.ReasoningField {
			case "reasoning":
				om.Reasoning = m.Reasoning
			case "reasoning_content":
				om.ReasoningContent = m.Reasoning
			}
			if json.Valid(m.ReasoningDetails) {
				om.ReasoningDetails = m.ReasoningDetails
			}
		}
		for _, tc := range m.ToolCalls {
			ct := chatToolCall{ID: tc.ID, Type: "function", Function: chatFunction{Name: tc.Name, Arguments: tc.Arguments}}
			if tc.ExtraContent != "" && json.Valid([]byte(tc.ExtraContent)) {
				ct.ExtraContent = json.RawMessage(tc.ExtraContent)
			}
			om.ToolCalls = append(om.ToolCalls, ct)
		}
		out.Messages = append(out.Messages, om)
	}
	for _, t := range req.Tools {
		var ct chatTool
		ct.Type = "function"
		ct.Function.Name, ct.Function.Description, ct.Function.Parameters = t.Name, t.Description, schemaOf(t)
		out.Tools = append(out.Tools, ct)
	}
	if n := c.cfg.MaxTokens; n > 0 {
		if completionTokens {
			out.MaxCompletionTokens = n
		} else {
			out.MaxTokens = n
		}
	}
	return json.Marshal(out)
}

// Chunks as servers send them. An omitted tool-call index is told apart
// from index 0.
type wireChunk struct {
	Choices []wireChoice `json:"choices"`
	Usage   *wireUsage   `json:"usage"`
	// XGroq carries Groq's usage, in the last chunk.
	XGroq *struct {
		Usage *wireUsage `json:"usage"`
	} `json:"x_groq"`
	// Error is how OpenRouter and LiteLLM report a failure mid-stream,
	// inside an otherwise ordinary chunk.
	Error json.RawMessage `json:"error"`
}

type wireChoice struct {
	Index        int        `json:"index"`
	Delta        wireDelta  `json:"delta"`
	Message      *wireDelta `json:"message"` // a non-streamed chat.completion
	FinishReason string     `json:"finish_reason"`
}

type wireDelta struct {
	Content          string          `json:"content"`
	Refusal          string          `json:"refusal"`
	ReasoningContent string          `json:"reasoning_content"` // DeepSeek, vLLM, llama-server
	Reasoning        string          `json:"reasoning"`         // OpenRouter, Ollama, newer vLLM
	ReasoningDetails json.RawMessage `json:"reasoning_details"` // OpenRouter
	ToolCalls        []wireToolCall  `json:"tool_calls"`
}

type wireToolCall struct {
	Index    *int   `json:"index"`
	ID       string `json:"id"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
	ExtraContent json.RawMessage `json:"extra_content"` // Gemini 3
}

type wireUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	PromptTokensDetails *struct {
		CachedTokens     int `json:"cached_tokens"`
		CacheWriteTokens int `json:"cache_write_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
	PromptCacheHitTokens int      `json:"prompt_cache_hit_tokens"` // DeepSeek
	Cost                 *float64 `json:"cost"`                    // OpenRouter: what it billed, in USD
}

func (u *wireUsage) counts() *usageCounts {
	n := &usageCounts{prompt: u.PromptTokens, completion: u.CompletionTokens, cached: u.PromptCacheHitTokens, cost: u.Cost}
	if d := u.PromptTokensDetails; d != nil {
		n.cached = max(n.cached, d.CachedTokens)
		n.cacheWrite = d.CacheWriteTokens
	}
	if d := u.CompletionTokensDetails; d != nil {
		n.reasoning = d.ReasoningTokens
	}
	return n
}
