package llmtest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tether-dev/tether/llm"
)

// ChatRequest is one decoded request the server received.
type ChatRequest struct {
	// API is "chat" (/v1/chat/completions) or "responses" (/v1/responses,
	// whose input items are decoded into Messages: reasoning items into
	// the assistant message's ReasoningItems, function calls with their
	// ItemID, function_call_output items as tool messages).
	API      string
	Model    string
	Messages []llm.Message
	Tools    []llm.Tool
	Stream   bool
	// StreamOptions reports whether stream_options was sent at all;
	// IncludeUsage is its include_usage.
	StreamOptions bool
	IncludeUsage  bool
	// MaxTokens is max_tokens or, when that is absent, max_completion_tokens.
	MaxTokens   int
	Temperature *float64
	// APIKey is the bearer token received ("" when none).
	APIKey string
	// Body is the raw JSON body.
	Body []byte
}

// Last returns the final message of the conversation (zero Message if none).
func (r ChatRequest) Last() llm.Message {
	if len(r.Messages) == 0 {
		return llm.Message{}
	}
	return r.Messages[len(r.Messages)-1]
}

// ToolResults returns the tool messages that follow the last assistant
// message: the results of the model's latest tool calls.
func (r ChatRequest) ToolResults() []llm.Message {
	var out []llm.Message
	for i := len(r.Messages) - 1; i >= 0 && r.Messages[i].Role == llm.RoleTool; i-- {
		out = append([]llm.Message{r.Messages[i]}, out...)
	}
	return out
}

// LastToolResult returns the final message if it is a tool result.
func (r ChatRequest) LastToolResult() (llm.Message, bool) {
	m := r.Last()
	return m, m.Role == llm.RoleTool
}

// HasTool reports whether a tool of that name was offered to the model.
func (r ChatRequest) HasTool(name string) bool {
	for _, t := range r.Tools {
		if t.Name == name {
			return true
		}
	}
	return false
}

// wire shapes of a request body
type wireRequest struct {
	Model    string        `json:"model"`
	Messages []wireMessage `json:"messages"`
	Tools    []struct {
		Type     string `json:"type"`
		Function struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
		} `json:"function"`
	} `json:"tools"`
	Stream        bool `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	MaxTokens           int      `json:"max_tokens"`
	MaxCompletionTokens int      `json:"max_completion_tokens"`
	Temperature         *float64 `json:"temperature"`
}

type wireMessage struct {
	Role             string          `json:"role"`
	ReasoningContent string          `json:"reasoning_content"`
	Reasoning        string          `json:"reasoning"`
	ReasoningDetails json.RawMessage `json:"reasoning_details"`
	Content          json.RawMessage `json:"content"`
	ToolCalls        []wireCall      `json:"tool_calls"`
	ToolCallID       string          `json:"tool_call_id"`
	Name             string          `json:"name"`
}

// wireCall is a tool call in a message: read from requests, written in
// non-streamed replies.
type wireCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
	ExtraContent json.RawMessage `json:"extra_content,omitempty"`
}

func decodeRequest(body []byte, authz string) (ChatRequest, error) {
	var w wireRequest
	if err := json.Unmarshal(body, &w); err != nil {
		return ChatRequest{}, fmt.Errorf("request body is not valid JSON: %v", err)
	}
	r := ChatRequest{
		API:         "chat",
		Model:       w.Model,
		Stream:      w.Stream,
		MaxTokens:   w.MaxTokens,
		Temperature: w.Temperature,
		APIKey:      strings.TrimPrefix(authz, "Bearer "),
		Body:        body,
	}
	if r.MaxTokens == 0 {
		r.MaxTokens = w.MaxCompletionTokens
	}
	if w.StreamOptions != nil {
		r.StreamOptions, r.IncludeUsage = true, w.StreamOptions.IncludeUsage
	}
	for i, m := range w.Messages {
		content, err := decodeContent(m.Content)
		if err != nil {
			return ChatRequest{}, fmt.Errorf("messages[%d].content: %v", i, err)
		}
		msg := llm.Message{Role: m.Role, Content: content, ToolCallID: m.ToolCallID, Name: m.Name, ReasoningDetails: m.ReasoningDetails}
		switch {
		case m.ReasoningContent != "":
			msg.Reasoning, msg.ReasoningField = m.ReasoningContent, "reasoning_content"
		case m.Reasoning != "":
			msg.Reasoning, msg.ReasoningField = m.Reasoning, "reasoning"
		}
		for _, tc := range m.ToolCalls {
			msg.ToolCalls = append(msg.ToolCalls, llm.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments, ExtraContent: string(tc.ExtraContent)})
		}
		r.Messages = append(r.Messages, msg)
	}
	for _, t := range w.Tools {
		r.Tools = append(r.Tools, llm.Tool{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters})
	}
	return r, nil
}

// decodeContent accepts a string, null, or an array of content parts
// (whose text parts are joined).
func decodeContent(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", fmt.Errorf("neither a string nor an array of parts")
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String(), nil
}
