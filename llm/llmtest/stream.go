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
	XGroq             any           `json:"x_groq,omitempty"`
}

type chunkChoice struct {
	Index        int        `json:"index"`
	Delta        chunkDelta `json:"delta"`
	Logprobs     any        `json:"logprobs"`
	FinishReason *string    `json:"finish_reason"`
}

type chunkDelta struct {
	Role             string          `json:"role,omitempty"`
	Content          any             `json:"content,omitempty"`
	ReasoningContent string          `json:"reasoning_content,omitempty"`
	Reasoning        string          `json:"reasoning,omitempty"`
	ReasoningDetails []any           `json:"reasoning_details,omitempty"`
	ToolCalls        []chunkToolCall `json:"tool_calls,omitempty"`
}

type chunkToolCall struct {
	Index    *int          `json:"index,omitempty"`
	ID       *string       `json:"id,omitempty"`
	Type     string        `json:"type,omitempty"`
	Function chunkFunction `json:"function"`
	Extra    any           `json:"extra_content,omitempty"`
}

type chunkFunction struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

// sseEvent is one event of a stream: a comment, or an optional event
// name with its data.
type sseEvent struct {
	comment string
	name    string
	data    []byte
}

var nullJSON = json.RawMessage("null")

// events renders the whole reply as SSE events in the server's shape,
// [DONE] included.
func (s *Server) events(req ChatRequest, reply Reply) []sseEvent {
	sh := s.shape
	base := chunk{
		ID:                fmt.Sprintf("chatcmpl-%d", s.ids.Add(1)),
		Object:            "chat.completion.chunk",
		Created:           s.created,
		Model:             req.Model,
		SystemFingerprint: "fp_llmtest",
	}
	if sh.Fingerprint != "" {
		base.SystemFingerprint = sh.Fingerprint
	}
	if req.IncludeUsage && sh.Usage == "" {
		base.Usage = nullJSON
	}
	var out []sseEvent
	if sh.Comment != "" {
		out = append(out, sseEvent{comment: sh.Comment})
	}
	// Chunks are marshalled once all are built (the finish chunk may
	// gain usage); out holds a placeholder for each.
	var chunks []*chunk
	push := func(d chunkDelta, finish *string) *chunk {
		c := base
		c.Choices = []chunkChoice{{Delta: d, FinishReason: finish}}
		out = append(out, sseEvent{})
		chunks = append(chunks, &c)
		return &c
	}
	role := chunkDelta{Role: "assistant", Content: ""}
	if sh.NullContent {
		role.Content = nullJSON
	}
	push(role, nil)
	n := reply.chunkSize()
	if reply.Reasoning != "" {
		parts := split(reply.Reasoning, n)
		for i, p := range parts {
			switch {
			case reply.ReasoningDetails:
				d := map[string]any{"type": "reasoning.text", "text": p, "format": "anthropic-claude-v1", "index": 0}
				if i == len(parts)-1 {
					d["signature"] = "sig-llmtest"
				}
				push(chunkDelta{Reasoning: p, ReasoningDetails: []any{d}}, nil)
			case sh.ReasoningField == "reasoning":
				push(chunkDelta{Reasoning: p}, nil)
			default:
				push(chunkDelta{ReasoningContent: p}, nil)
			}
		}
	}
	if reply.Text != "" {
		for _, p := range split(reply.Text, n) {
			push(chunkDelta{Content: p}, nil)
		}
	}
	for i, tc := range reply.ToolCalls {
		idx := &i
		if reply.OmitToolIndex || sh.NoIndex {
			idx = nil
		}
		id := tc.ID
		if sh.EmptyIDs {
			id = ""
		}
		first := chunkToolCall{Index: idx, ID: &id, Type: "function", Function: chunkFunction{Name: tc.Name}}
		if tc.ThoughtSignature != "" {
			first.Extra = map[string]any{"google": map[string]any{"thought_signature": tc.ThoughtSignature}}
		}
		if sh.WholeCalls {
			first.Function.Arguments = tc.Args
			push(chunkDelta{ToolCalls: []chunkToolCall{first}}, nil)
			continue
		}
		push(chunkDelta{ToolCalls: []chunkToolCall{first}}, nil)
		if tc.Args != "" {
			for _, p := range split(tc.Args, n) {
				push(chunkDelta{ToolCalls: []chunkToolCall{{Index: idx, Function: chunkFunction{Arguments: p}}}}, nil)
			}
		}
	}
	marshal := func() {
		j := 0
		for i := range out {
			if out[i].comment == "" && out[i].data == nil {
				out[i].data, _ = json.Marshal(chunks[j])
				j++
			}
		}
	}
	if reply.StreamError != "" {
		code := any(nil)
		if reply.ErrorCode != "" {
			code = reply.ErrorCode
		}
		marshal()
		b, _ := json.Marshal(map[string]any{"error": map[string]any{
			"message": reply.StreamError, "type": "server_error", "param": nil, "code": code,
		}})
		return append(out, sseEvent{data: b}) // the stream ends after the error, without [DONE]
	}
	finish := reply.finishReason()
	if len(reply.ToolCalls) > 0 && reply.FinishReason == "" && sh.ToolFinish != "" {
		finish = sh.ToolFinish
	}
	last := push(chunkDelta{}, &finish)
	switch sh.Usage {
	case "finish":
		last.Usage = s.usageFor(req, reply)
	case "x_groq":
		last.XGroq = map[string]any{"id": fmt.Sprintf("req_%d", s.ids.Add(1)), "usage": s.usageFor(req, reply)}
	default:
		if req.IncludeUsage {
			c := base
			c.Choices = []chunkChoice{}
			c.Usage = s.usageFor(req, reply)
			out = append(out, sseEvent{})
			chunks = append(chunks, &c)
		}
	}
	marshal()
	return append(out, sseEvent{data: []byte("[DONE]")})
}

// stream answers with Server-Sent Events, applying the reply's faults.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, events []sseEvent, reply Reply) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()

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
		buf = ev.appendTo(buf[:0])
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

// appendTo writes the event as it goes on the wire.
func (e sseEvent) appendTo(b []byte) []byte {
	if e.comment != "" {
		return append(append(b, e.comment...), "\n\n"...)
	}
	if e.name != "" {
		b = append(append(append(b, "event: "...), e.name...), '\n')
	}
	return append(append(append(b, "data: "...), e.data...), "\n\n"...)
}
