package llmtest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
)

func post(t *testing.T, url, key, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/chat/completions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// sseEvents reads the data payloads of an SSE body.
func sseEvents(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("unexpected SSE line %q", line)
		}
		out = append(out, data)
	}
	return out
}

func TestWireFormatStream(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply{
		Text:         "hi there",
		ToolCalls:    []llmtest.ToolCallReply{{ID: "call_9", Name: "terminal", Args: `{"command":"ls"}`}},
		PromptTokens: 11, CompletionTokens: 5,
	})
	resp := post(t, srv.URL, "", `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := sseEvents(t, resp.Body)
	if events[len(events)-1] != "[DONE]" {
		t.Fatalf("last event %q", events[len(events)-1])
	}
	type chunk struct {
		Object  string `json:"object"`
		Choices []struct {
			Delta struct {
				Role      string  `json:"role"`
				Content   *string `json:"content"`
				ToolCalls []struct {
					Index    *int   `json:"index"`
					ID       string `json:"id"`
					Type     string `json:"type"`
					Function struct {
						Name      string `json:"name"`
						Arguments string `json:"arguments"`
					} `json:"function"`
				} `json:"tool_calls"`
			} `json:"delta"`
			FinishReason *string `json:"finish_reason"`
		} `json:"choices"`
		Usage *struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
			TotalTokens      int `json:"total_tokens"`
		} `json:"usage"`
	}
	var text, args strings.Builder
	var finish string
	var idsSeen, usageChunks int
	for i, ev := range events[:len(events)-1] {
		var c chunk
		if err := json.Unmarshal([]byte(ev), &c); err != nil {
			t.Fatalf("event %d %q: %v", i, ev, err)
		}
		if c.Object != "chat.completion.chunk" {
			t.Fatalf("object %q", c.Object)
		}
		if !strings.Contains(ev, `"usage"`) {
			t.Fatalf("with include_usage every chunk carries usage (null or final): %s", ev)
		}
		if c.Usage != nil {
			usageChunks++
			if len(c.Choices) != 0 || c.Usage.PromptTokens != 11 || c.Usage.CompletionTokens != 5 || c.Usage.TotalTokens != 16 {
				t.Fatalf("usage chunk %s", ev)
			}
			if i != len(events)-2 {
				t.Fatalf("usage chunk is not the last before [DONE]")
			}
			continue
		}
		if i == 0 && c.Choices[0].Delta.Role != "assistant" {
			t.Fatalf("first chunk %s", ev)
		}
		d := c.Choices[0].Delta
		if d.Content != nil {
			text.WriteString(*d.Content)
		}
		for _, tc := range d.ToolCalls {
			if tc.Index == nil || *tc.Index != 0 {
				t.Fatalf("tool fragment without index 0: %s", ev)
			}
			if tc.ID != "" {
				idsSeen++
				if tc.Type != "function" || tc.Function.Name != "terminal" {
					t.Fatalf("first fragment %s", ev)
				}
			}
			args.WriteString(tc.Function.Arguments)
		}
		if f := c.Choices[0].FinishReason; f != nil {
			finish = *f
		}
	}
	if text.String() != "hi there" || args.String() != `{"command":"ls"}` || finish != "tool_calls" || idsSeen != 1 || usageChunks != 1 {
		t.Fatalf("text %q args %q finish %q ids %d usage chunks %d", text.String(), args.String(), finish, idsSeen, usageChunks)
	}
}

func TestWireFormatNoUsageWithoutOption(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.TextReply("x"))
	resp := post(t, srv.URL, "", `{"model":"m","stream":true,"messages":[]}`)
	for _, ev := range sseEvents(t, resp.Body) {
		if strings.Contains(ev, `"usage"`) {
			t.Fatalf("usage sent without stream_options: %s", ev)
		}
	}
}

func TestNonStreamingJSON(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply{Text: "plain", ToolCalls: []llmtest.ToolCallReply{llmtest.Call("finish", map[string]string{"message": "ok"})}})
	// go-openai's non-streaming client is a faithful consumer of the format.
	cfg := openai.DefaultConfig("")
	cfg.BaseURL = srv.URL
	resp, err := openai.NewClientWithConfig(cfg).CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{
		Model:    "gpt-4o",
		Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hello there"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := resp.Choices[0].Message
	if m.Content != "plain" || len(m.ToolCalls) != 1 || m.ToolCalls[0].Function.Arguments != `{"message":"ok"}` || m.ToolCalls[0].ID == "" {
		t.Fatalf("message %+v", m)
	}
	if resp.Choices[0].FinishReason != "tool_calls" || resp.Usage.PromptTokens == 0 || resp.Usage.CompletionTokens == 0 {
		t.Fatalf("finish %q usage %+v (estimated usage must not be 0)", resp.Choices[0].FinishReason, resp.Usage)
	}
}

func TestGoOpenAIStreamParses(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply{Text: "abcdefghij", ToolCalls: []llmtest.ToolCallReply{llmtest.Call("t", `{"k":1}`)}})
	cfg := openai.DefaultConfig("")
	cfg.BaseURL = srv.URL
	st, err := openai.NewClientWithConfig(cfg).CreateChatCompletionStream(context.Background(), openai.ChatCompletionRequest{Model: "gpt-4o"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var text, args strings.Builder
	for {
		c, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(c.Choices[0].Delta.Content)
		for _, tc := range c.Choices[0].Delta.ToolCalls {
			args.WriteString(tc.Function.Arguments)
		}
	}
	if text.String() != "abcdefghij" || args.String() != `{"k":1}` {
		t.Fatalf("text %q args %q", text.String(), args.String())
	}
}

func TestAuthAndModelChecks(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithAPIKey("sk-good-key-123456"), llmtest.WithModels("gpt-4o"))
	srv.Enqueue(llmtest.TextReply("served"))
	body := `{"model":"gpt-4o","stream":false,"messages":[]}`
	for _, key := range []string{"", "sk-wrong-key-999999"} {
		resp := post(t, srv.URL, key, body)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 401 || !strings.Contains(string(b), `"code":"invalid_api_key"`) {
			t.Fatalf("key %q: %d %s", key, resp.StatusCode, b)
		}
		if key != "" && strings.Contains(string(b), key) {
			t.Fatalf("the fake echoes the whole key, unlike OpenAI: %s", b)
		}
	}
	resp := post(t, srv.URL, "sk-good-key-123456", `{"model":"gpt-5","stream":false,"messages":[]}`)
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 404 || !strings.Contains(string(b), "model_not_found") {
		t.Fatalf("unknown model: %d %s", resp.StatusCode, b)
	}
	if srv.Pending() != 1 {
		t.Fatal("rejected requests must not consume scripted replies")
	}
	resp = post(t, srv.URL, "sk-good-key-123456", body)
	if resp.StatusCode != 200 || srv.Pending() != 0 {
		t.Fatalf("good request: %d", resp.StatusCode)
	}
	reqs := srv.Requests()
	if len(reqs) != 4 || reqs[3].APIKey != "sk-good-key-123456" {
		t.Fatalf("requests %+v", reqs)
	}
}

func TestNothingScriptedIsAClearError(t *testing.T) {
	srv := llmtest.NewServer(t)
	c, err := llm.New(srv.Config("gpt-4o"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Stream(context.Background(), llm.Request{}, nil)
	if !errors.Is(err, llm.ErrBadRequest) || !strings.Contains(err.Error(), "Enqueue") {
		t.Fatalf("err = %v", err)
	}
}

func TestErrorReplyBodyAndRetryAfter(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply{Status: 429, RetryAfter: "3"})
	resp := post(t, srv.URL, "", `{"model":"m","messages":[]}`)
	var body struct {
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
			Code    string `json:"code"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" || body.Error.Code != "rate_limit_exceeded" || body.Error.Message == "" {
		t.Fatalf("%d %q %+v", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}

func TestHandlerSeesConversation(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.SetHandler(func(req llmtest.ChatRequest) llmtest.Reply {
		if res, ok := req.LastToolResult(); ok {
			return llmtest.TextReply("tool said " + res.Content)
		}
		return llmtest.ToolReply(llmtest.Call("terminal", map[string]string{"command": "echo hi"}))
	})
	c, err := llm.New(srv.Config("gpt-4o"))
	if err != nil {
		t.Fatal(err)
	}
	msgs := []llm.Message{{Role: llm.RoleUser, Content: "go"}}
	r1, err := c.Stream(context.Background(), llm.Request{Messages: msgs}, nil)
	if err != nil || len(r1.Message.ToolCalls) != 1 {
		t.Fatalf("%+v %v", r1, err)
	}
	call := r1.Message.ToolCalls[0]
	msgs = append(msgs, r1.Message, llm.Message{Role: llm.RoleTool, ToolCallID: call.ID, Name: call.Name, Content: "hi"})
	r2, err := c.Stream(context.Background(), llm.Request{Messages: msgs}, nil)
	if err != nil || r2.Message.Content != "tool said hi" {
		t.Fatalf("%+v %v", r2, err)
	}
	last := srv.Requests()[1]
	if res := last.ToolResults(); len(res) != 1 || res[0].ToolCallID != call.ID {
		t.Fatalf("tool results %+v", res)
	}
}

// Many clients at once, each with its own conversation, against one
// server: every reply must reach the right caller (run with -race).
func TestConcurrentUse(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.SetHandler(func(req llmtest.ChatRequest) llmtest.Reply {
		return llmtest.Reply{Text: "re: " + req.Last().Content, ToolCalls: []llmtest.ToolCallReply{llmtest.Call("t", `{"q":"`+req.Last().Content+`"}`)}}
	})
	c, err := llm.New(srv.Config("gpt-4o"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%4 == 0 {
				srv.Enqueue(llmtest.TextReply("queued")) // racing the handler path is fine
				return
			}
			msg := strings.Repeat("z", i)
			r, err := c.Stream(context.Background(), llm.Request{Messages: []llm.Message{{Role: "user", Content: msg}}}, nil)
			if err != nil {
				errs <- err.Error()
				return
			}
			if r.Message.Content != "re: "+msg && r.Message.Content != "queued" {
				errs <- "wrong reply " + r.Message.Content
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// One Reply value handed to concurrent requests: each gets fresh ids and
// the caller's value is not written to.
func TestSharedReplyValue(t *testing.T) {
	srv := llmtest.NewServer(t)
	shared := llmtest.ToolReply(llmtest.Call("t", `{}`), llmtest.Call("u", `{}`))
	srv.SetHandler(func(llmtest.ChatRequest) llmtest.Reply { return shared })
	c, err := llm.New(srv.Config("gpt-4o"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	ids := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.Stream(context.Background(), llm.Request{}, nil)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, tc := range r.Message.ToolCalls {
				if ids[tc.ID] {
					t.Errorf("id %q handed out twice", tc.ID)
				}
				ids[tc.ID] = true
			}
		}()
	}
	wg.Wait()
	if len(ids) != 16 || shared.ToolCalls[0].ID != "" {
		t.Fatalf("%d distinct ids; shared reply now %+v", len(ids), shared.ToolCalls)
	}
}
