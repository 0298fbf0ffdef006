package llmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Wire shapes of a chat.completion.chunk, field order as OpenAI sends it.
type chunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"`
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	SystemFingerprint string        `json:"system_fingerprint"`
	Choices           []chunkChoice `json:"choices"`
	Usage             any           `json:"usage,omitempty"`
}

type chunkChoice struct {
	Index        int        `json:"index"`
	Delta        chunkDelta `json:"delta"`
	Logprobs     any        `json:"logprobs"`
	FinishReason *string    `json:"finish_reason"`
}

type chunkDelta struct {
	Role             string          `json:"role,omitempty"`
	Content          *string         `json:"content,omitempty"`
	ReasoningContent string          `json:"reasoning_content,omitempty"`
	Reasoning        string          `json:"reasoning,omitempty"`
	ReasoningDetails []any           `json:"reasoning_details,omitempty"`
	ToolCalls        []chunkToolCall `json:"tool_calls,omitempty"`
}

type chunkToolCall struct {
	Index    *int          `json:"index,omitempty"`
	ID       string        `json:"id,omitempty"`
	Type     string        `json:"type,omitempty"`
	Function chunkFunction `json:"function"`
	Extra    any           `json:"extra_content,omitempty"`
}

type chunkFunction struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

var nullJSON = json.RawMessage("null")

// events renders the whole reply as SSE data payloads, [DONE] included.
func (s *Server) events(req ChatRequest, reply Reply) [][]byte {
	base := chunk{
		ID:                fmt.Sprintf("chatcmpl-%d", s.ids.Add(1)),
		Object:            "chat.completion.chunk",
		Created:           s.created,
		Model:             req.Model,
		SystemFingerprint: "fp_llmtest",
	}
	if req.IncludeUsage {
		base.Usage = nullJSON
	}
	var out [][]byte
	add := func(d chunkDelta, finish *string) {
		c := base
		c.Choices = []chunkChoice{{Delta: d, FinishReason: finish}}
		b, _ := json.Marshal(c)
		out = append(out, b)
	}
	empty := ""
	add(chunkDelta{Role: "assistant", Content: &empty}, nil)
	n := reply.chunkSize()
	if reply.Reasoning != "" {
		for i, p := range split(reply.Reasoning, n) {
			if reply.ReasoningDetails {
				d := map[string]any{"type": "reasoning.text", "text": p, "format": "anthropic-claude-v1", "index": 0}
				if i == len(split(reply.Reasoning, n))-1 {
					d["signature"] = "sig-llmtest"
				}
				add(chunkDelta{Reasoning: p, ReasoningDetails: []any{d}}, nil)
				continue
			}
			add(chunkDelta{ReasoningContent: p}, nil)
		}
	}
	if reply.Text != "" {
		for _, p := range split(reply.Text, n) {
			add(chunkDelta{Content: &p}, nil)
		}
	}
	for i, tc := range reply.ToolCalls {
		idx := &i
		if reply.OmitToolIndex {
			idx = nil
		}
		first := chunkToolCall{Index: idx, ID: tc.ID, Type: "function", Function: chunkFunction{Name: tc.Name}}
		if tc.ThoughtSignature != "" {
			first.Extra = map[string]any{"google": map[string]any{"thought_signature": tc.ThoughtSignature}}
		}
		add(chunkDelta{ToolCalls: []chunkToolCall{first}}, nil)
		if tc.Args != "" {
			for _, p := range split(tc.Args, n) {
				add(chunkDelta{ToolCalls: []chunkToolCall{{Index: idx, Function: chunkFunction{Arguments: p}}}}, nil)
			}
		}
	}
	if reply.StreamError != "" {
		b, _ := json.Marshal(map[string]any{"error": map[string]any{
			"message": reply.StreamError, "type": "server_error", "param": nil, "code": nil,
		}})
		return append(out, b) // the stream ends after the error, without [DONE]
	}
	finish := reply.finishReason()
	add(chunkDelta{}, &finish)
	if req.IncludeUsage {
		prompt, completion := reply.usage(req)
		c := base
		c.Choices = []chunkChoice{}
		c.Usage = usageJSON(prompt, completion, reply.CachedTokens)
		b, _ := json.Marshal(c)
		out = append(out, b)
	}
	return append(out, []byte("[DONE]"))
}

// stream answers with Server-Sent Events, applying the reply's faults.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, req ChatRequest, reply Reply) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()

	events := s.events(req, reply)
	stopAt := -1 // index of the first event not sent
	switch {
	case reply.CutAfter < 0:
		stopAt = 0
	case reply.CutAfter > 0 || reply.Hang:
		stopAt = reply.CutAfter
	}
	buf := make([]byte, 0, 256)
	for i, ev := range events {
		if i == stopAt {
			break
		}
		if reply.ChunkDelay > 0 && !s.wait(r, reply.ChunkDelay) {
			return
		}
		buf = append(append(append(buf[:0], "data: "...), ev...), "\n\n"...)
		if _, err := w.Write(buf); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
	if stopAt < 0 || stopAt >= len(events) {
		return
	}
	if reply.Hang {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	}
	// Abort without the final chunk of the chunked encoding: the client
	// sees the connection drop mid-body.
	panic(http.ErrAbortHandler)
}

// wait sleeps d unless the client leaves or the server closes first.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}
