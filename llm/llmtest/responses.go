package llmtest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tether-dev/tether/llm"
)

// OpenAI's Responses API (POST /v1/responses), streamed: the request's
// input items are decoded into the same ChatRequest the chat endpoint
// gives handlers, and a Reply is streamed as response.* events in the
// order OpenAI's API reference documents (reasoning item with its summary
// and encrypted_content, message item with output_text, function_call
// items with argument deltas, then response.completed with usage, or
// response.incomplete when FinishReason is "length").

type wireRespRequest struct {
	Model string          `json:"model"`
	Input json.RawMessage `json:"input"`
	Tools []struct {
		Type        string          `json:"type"`
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"tools"`
	Stream          bool     `json:"stream"`
	MaxOutputTokens int      `json:"max_output_tokens"`
	Temperature     *float64 `json:"temperature"`
}

type wireItem struct {
	Type             string          `json:"type"`
	Role             string          `json:"role"`
	Content          json.RawMessage `json:"content"`
	ID               string          `json:"id"`
	CallID           string          `json:"call_id"`
	Name             string          `json:"name"`
	Arguments        string          `json:"arguments"`
	Output           json.RawMessage `json:"output"`
	EncryptedContent *string         `json:"encrypted_content"`
	Summary          []struct {
		Text string `json:"text"`
	} `json:"summary"`
}

func decodeResponsesRequest(body []byte, authz string) (ChatRequest, error) {
	var w wireRespRequest
	if err := json.Unmarshal(body, &w); err != nil {
		return ChatRequest{}, fmt.Errorf("request body is not valid JSON: %v", err)
	}
	r := ChatRequest{API: "responses", Model: w.Model, Stream: w.Stream, MaxTokens: w.MaxOutputTokens,
		Temperature: w.Temperature, APIKey: strings.TrimPrefix(authz, "Bearer "), Body: body}
	for _, t := range w.Tools {
		r.Tools = append(r.Tools, llm.Tool{Name: t.Name, Description: t.Description, Parameters: t.Parameters})
	}
	var text string
	if json.Unmarshal(w.Input, &text) == nil {
		r.Messages = []llm.Message{{Role: llm.RoleUser, Content: text}}
		return r, nil
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(w.Input, &raws); err != nil {
		return ChatRequest{}, fmt.Errorf("input: neither a string nor an array of items")
	}
	var cur *llm.Message // the assistant turn being gathered
	var items []json.RawMessage
	flush := func() {
		if cur != nil {
			if len(items) > 0 {
				cur.ReasoningItems, _ = json.Marshal(items)
			}
			r.Messages = append(r.Messages, *cur)
			cur, items = nil, nil
		}
	}
	turn := func() *llm.Message {
		if cur == nil {
			cur = &llm.Message{Role: llm.RoleAssistant}
		}
		return cur
	}
	for i, raw := range raws {
		var it wireItem
		if err := json.Unmarshal(raw, &it); err != nil {
			return ChatRequest{}, fmt.Errorf("input[%d]: %v", i, err)
		}
		switch {
		case it.Type == "reasoning":
			if it.EncryptedContent == nil {
				return ChatRequest{}, fmt.Errorf("input[%d]: reasoning item %s without encrypted_content (store is false)", i, it.ID)
			}
			m := turn()
			items = append(items, raw)
			for _, s := range it.Summary {
				m.Reasoning += s.Text
			}
		case it.Type == "function_call":
			m := turn()
			m.ToolCalls = append(m.ToolCalls, llm.ToolCall{ID: it.CallID, Name: it.Name, Arguments: it.Arguments, ItemID: it.ID})
		case it.Type == "function_call_output":
			flush()
			var out string
			if json.Unmarshal(it.Output, &out) != nil {
				out = string(it.Output)
			}
			r.Messages = append(r.Messages, llm.Message{Role: llm.RoleTool, ToolCallID: it.CallID, Content: out})
		case it.Type == "message" || it.Type == "":
			content, err := decodeContent(it.Content)
			if err != nil {
				return ChatRequest{}, fmt.Errorf("input[%d].content: %v", i, err)
			}
			if it.Role == llm.RoleAssistant {
				turn().Content += content
				continue
			}
			flush()
			r.Messages = append(r.Messages, llm.Message{Role: it.Role, Content: content})
		default:
			return ChatRequest{}, fmt.Errorf("input[%d]: unsupported item type %q", i, it.Type)
		}
	}
	flush()
	return r, nil
}

// responseEvents renders reply as a Responses stream.
func (s *Server) responseEvents(req ChatRequest, reply Reply) []sseEvent {
	var out []sseEvent
	seq := 0
	emit := func(typ string, fields map[string]any) {
		fields["type"], fields["sequence_number"] = typ, seq
		seq++
		b, _ := json.Marshal(fields)
		out = append(out, sseEvent{name: typ, data: b})
	}
	id := fmt.Sprintf("resp_%d", s.ids.Add(1))
	resp := func(status string, output []any) map[string]any {
		return map[string]any{"id": id, "object": "response", "created_at": s.created, "status": status,
			"model": req.Model, "output": output, "error": nil, "incomplete_details": nil}
	}
	emit("response.created", map[string]any{"response": resp("in_progress", []any{})})
	emit("response.in_progress", map[string]any{"response": resp("in_progress", []any{})})
	n := reply.chunkSize()
	var output []any
	if reply.Reasoning != "" {
		oi, rs := len(output), reply.rsID
		emit("response.output_item.added", map[string]any{"output_index": oi, "item": map[string]any{"id": rs, "type": "reasoning", "summary": []any{}}})
		emit("response.reasoning_summary_part.added", map[string]any{"item_id": rs, "output_index": oi, "summary_index": 0, "part": map[string]any{"type": "summary_text", "text": ""}})
		for _, p := range split(reply.Reasoning, n) {
			emit("response.reasoning_summary_text.delta", map[string]any{"item_id": rs, "output_index": oi, "summary_index": 0, "delta": p})
		}
		emit("response.reasoning_summary_text.done", map[string]any{"item_id": rs, "output_index": oi, "summary_index": 0, "text": reply.Reasoning})
		part := map[string]any{"type": "summary_text", "text": reply.Reasoning}
		emit("response.reasoning_summary_part.done", map[string]any{"item_id": rs, "output_index": oi, "summary_index": 0, "part": part})
		item := map[string]any{"id": rs, "type": "reasoning", "summary": []any{part}, "encrypted_content": "gAAAAB-llmtest-" + rs}
		emit("response.output_item.done", map[string]any{"output_index": oi, "item": item})
		output = append(output, item)
	}
	if reply.Text != "" {
		oi, mid := len(output), fmt.Sprintf("msg_%d", s.ids.Add(1))
		emit("response.output_item.added", map[string]any{"output_index": oi, "item": map[string]any{"id": mid, "type": "message", "status": "in_progress", "role": "assistant", "content": []any{}}})
		emit("response.content_part.added", map[string]any{"item_id": mid, "output_index": oi, "content_index": 0, "part": map[string]any{"type": "output_text", "text": "", "annotations": []any{}}})
		for _, p := range split(reply.Text, n) {
			emit("response.output_text.delta", map[string]any{"item_id": mid, "output_index": oi, "content_index": 0, "delta": p})
		}
		emit("response.output_text.done", map[string]any{"item_id": mid, "output_index": oi, "content_index": 0, "text": reply.Text})
		part := map[string]any{"type": "output_text", "text": reply.Text, "annotations": []any{}}
		emit("response.content_part.done", map[string]any{"item_id": mid, "output_index": oi, "content_index": 0, "part": part})
		item := map[string]any{"id": mid, "type": "message", "status": "completed", "role": "assistant", "content": []any{part}}
		emit("response.output_item.done", map[string]any{"output_index": oi, "item": item})
		output = append(output, item)
	}
	for _, tc := range reply.ToolCalls {
		oi, fc := len(output), "fc_"+strings.TrimPrefix(tc.ID, "call_")
		emit("response.output_item.added", map[string]any{"output_index": oi, "item": map[string]any{"id": fc, "type": "function_call", "status": "in_progress", "arguments": "", "call_id": tc.ID, "name": tc.Name}})
		for _, p := range split(tc.Args, n) {
			emit("response.function_call_arguments.delta", map[string]any{"item_id": fc, "output_index": oi, "delta": p})
		}
		emit("response.function_call_arguments.done", map[string]any{"item_id": fc, "output_index": oi, "arguments": tc.Args})
		item := map[string]any{"id": fc, "type": "function_call", "status": "completed", "arguments": tc.Args, "call_id": tc.ID, "name": tc.Name}
		emit("response.output_item.done", map[string]any{"output_index": oi, "item": item})
		output = append(output, item)
	}
	if reply.StreamError != "" {
		code := "server_error"
		if reply.ErrorCode != "" {
			code = reply.ErrorCode
		}
		emit("error", map[string]any{"code": code, "message": reply.StreamError, "param": nil})
		return out
	}
	prompt, completion := reply.usage(req)
	reasoningTokens := 0
	if reply.Reasoning != "" {
		reasoningTokens = len(reply.Reasoning)/4 + 1
	}
	final := resp("completed", output)
	final["usage"] = map[string]any{
		"input_tokens": prompt, "input_tokens_details": map[string]int{"cached_tokens": reply.CachedTokens},
		"output_tokens": completion, "output_tokens_details": map[string]int{"reasoning_tokens": reasoningTokens},
		"total_tokens": prompt + completion,
	}
	if reply.FinishReason == "length" {
		final["status"], final["incomplete_details"] = "incomplete", map[string]any{"reason": "max_output_tokens"}
		emit("response.incomplete", map[string]any{"response": final})
		return out
	}
	emit("response.completed", map[string]any{"response": final})
	return out
}
