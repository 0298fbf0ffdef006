package llm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
)

const benchChunks = 4000

// BenchmarkStreamLongReply streams a long reply (4000 text chunks plus a
// tool call in 500 fragments) end to end through the fake server, which
// flushes every chunk as real servers do.
func BenchmarkStreamLongReply(b *testing.B) {
	srv := llmtest.NewServer(b)
	text := strings.Repeat("word ", benchChunks) // 4 runes per chunk → 5000 chunks
	args := `{"content":"` + strings.Repeat("x", 2000) + `"}`
	srv.SetHandler(func(llmtest.ChatRequest) llmtest.Reply {
		return llmtest.Reply{Text: text, ToolCalls: []llmtest.ToolCallReply{llmtest.Call("file_editor", args)}, PromptTokens: 1000, CompletionTokens: 6000}
	})
	c, err := llm.New(srv.Config("gpt-4o"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text) + len(args)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		resp, err := c.Stream(context.Background(), userRequest("write"), func(llm.Delta) { n++ })
		if err != nil || len(resp.Message.Content) != len(text) || n < benchChunks {
			b.Fatalf("err %v, %d bytes, %d deltas", err, len(resp.Message.Content), n)
		}
	}
}

// BenchmarkClientDecode measures the client alone: a canned SSE body of
// 4000 content chunks served in one write, so the fake server's own JSON
// encoding and per-chunk flushing are not part of the figure.
func BenchmarkClientDecode(b *testing.B) {
	var body bytes.Buffer
	for i := range benchChunks {
		piece, _ := json.Marshal(fmt.Sprintf("tok%d ", i))
		fmt.Fprintf(&body, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%s},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n", piece)
	}
	body.WriteString("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n")
	body.WriteString("data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":4000}}\n\ndata: [DONE]\n\n")
	payload := body.Bytes()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write(payload)
	}))
	b.Cleanup(ts.Close)
	c, err := llm.New(llm.Config{BaseURL: ts.URL + "/v1", Model: "gpt-4o"})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		resp, err := c.Stream(context.Background(), userRequest("x"), func(llm.Delta) { n++ })
		if err != nil || n != benchChunks || resp.Usage.CompletionTokens != 4000 {
			b.Fatalf("err %v, %d deltas, usage %+v", err, n, resp.Usage)
		}
	}
}
