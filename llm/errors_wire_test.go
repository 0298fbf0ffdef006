package llm_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
)

// answer serves status, headers and body to every request.
func answer(t *testing.T, status int, ctype, body string, hdr map[string]string) (*llm.Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	c, err := llm.New(llm.Config{BaseURL: ts.URL + "/v1", Model: "m", RetryDelay: time.Millisecond, MaxRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	return c, &n
}

func TestErrorsNamedAndRetriedRight(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		ctype, body string
		kind        error
		requests    int32
		wantInMsg   string
	}{
		{"llama-server context size", 400, "application/json",
			`{"error":{"code":400,"message":"request (7553 tokens) exceeds the available context size (4096 tokens), try increasing it","type":"exceed_context_size_error","n_prompt_tokens":7553,"n_ctx":4096}}`,
			llm.ErrContextLength, 1, "too long"},
		{"vLLM context length", 400, "application/json",
			`{"object":"error","message":"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.","type":"BadRequestError","param":null,"code":400}`,
			llm.ErrContextLength, 1, "too long"},
		{"in-stream invalid_api_key", 200, "text/event-stream",
			"data: {\"error\":{\"message\":\"Invalid API key\",\"code\":\"invalid_api_key\"}}\n\n", llm.ErrAuth, 1, "Invalid API key"},
		{"in-stream LiteLLM 500", 200, "text/event-stream",
			"data: {\"error\":{\"message\":\"upstream broke\",\"code\":\"500\"}}\n\n", llm.ErrServer, 3, "upstream broke"},
		{"in-stream rate limit", 200, "text/event-stream",
			"data: {\"error\":{\"message\":\"slow down\",\"code\":\"rate_limit_exceeded\"}}\n\n", llm.ErrRateLimited, 3, "slow down"},
		{"200 JSON error, no newline", 200, "application/json",
			`{"error":{"message":"model 'x' not found","type":"not_found_error","code":"model_not_found"}}`, llm.ErrModelNotFound, 1, "model 'x' not found"},
		{"200 JSON error, unlabelled, newline", 200, "",
			"{\"error\":{\"message\":\"bad key\",\"code\":\"invalid_api_key\"}}\n", llm.ErrAuth, 1, "bad key"},
		{"OpenAI context window", 400, "application/json",
			`{"error":{"message":"Your input exceeds the context window of this model. Please adjust your input and try again.","type":"invalid_request_error","param":"input","code":"context_length_exceeded"}}`,
			llm.ErrContextLength, 1, "too long"},
		{"in-stream llama-server context size", 200, "text/event-stream",
			"data: {\"error\":{\"code\":400,\"message\":\"request (9000 tokens) exceeds the available context size (8192 tokens)\",\"type\":\"exceed_context_size_error\"}}\n\n", llm.ErrContextLength, 1, "too long"},
		{"in-stream insufficient_quota", 200, "text/event-stream",
			"data: {\"error\":{\"message\":\"You exceeded your current quota\",\"code\":\"insufficient_quota\"}}\n\n", llm.ErrQuota, 1, "credit"},
		{"in-stream OpenRouter 429", 200, "text/event-stream",
			": OPENROUTER PROCESSING\n\ndata: {\"id\":\"gen-1\",\"object\":\"chat.completion.chunk\",\"error\":{\"code\":429,\"message\":\"Provider returned error\"},\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}]}\n\n", llm.ErrRateLimited, 3, "Provider returned error"},
		{"200 JSON LiteLLM 500, no newline", 200, "application/json",
			`{"error":{"message":"litellm.APIConnectionError: upstream down","type":null,"param":null,"code":"500"}}`, llm.ErrServer, 3, "upstream down"},
		{"200 HTML", 200, "text/html", "<!doctype html><html><body>Welcome</body></html>", llm.ErrBadRequest, 1, "the endpoint answered HTML: check LLM_BASE_URL"},
		{"200 HTML unlabelled", 200, "", "\n<html><body>Welcome to nginx!</body></html>", llm.ErrBadRequest, 1, "the endpoint answered HTML: check LLM_BASE_URL"},
		{"404 HTML", 404, "text/html", "<html><body>Not Found</body></html>", llm.ErrModelNotFound, 1, "the endpoint answered HTML: check LLM_BASE_URL"},
		{"502 HTML", 502, "text/html", "<html><body>Bad Gateway</body></html>", llm.ErrServer, 3, "HTML"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, n := answer(t, tc.status, tc.ctype, tc.body, nil)
			_, err := c.Stream(context.Background(), userRequest("x"), nil)
			if !errors.Is(err, tc.kind) || n.Load() != tc.requests || !strings.Contains(err.Error(), tc.wantInMsg) {
				t.Fatalf("err = %v (%d requests); want kind %v, %d requests, %q", err, n.Load(), tc.kind, tc.requests, tc.wantInMsg)
			}
		})
	}
}

func TestNonStreamedJSONReplyAccepted(t *testing.T) {
	c, n := answer(t, 200, "application/json",
		`{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"whole","reasoning_content":"hm","tool_calls":[{"id":"call_1","type":"function","function":{"name":"terminal","arguments":"{\"command\":\"ls\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":5,"completion_tokens":3}}`, nil)
	var got collect
	resp, err := c.Stream(context.Background(), userRequest("x"), got.on)
	if err != nil || resp.Message.Content != "whole" || resp.Message.Reasoning != "hm" || len(resp.Message.ToolCalls) != 1 || n.Load() != 1 {
		t.Fatalf("resp %+v, err %v, %d requests", resp, err, n.Load())
	}
	if got.text() != "whole" || resp.Usage.PromptTokens != 5 {
		t.Fatalf("deltas %q usage %+v", got.text(), resp.Usage)
	}
}

func TestRateLimitResetHeadersWaited(t *testing.T) {
	var n atomic.Int32
	var first time.Time
	var gap time.Duration
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			first = time.Now()
			w.Header().Set("x-ratelimit-remaining-requests", "0")
			w.Header().Set("x-ratelimit-reset-requests", "400ms")
			w.Header().Set("x-ratelimit-reset-tokens", "6m0s")
			w.WriteHeader(429)
			_, _ = w.Write([]byte(`{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`))
			return
		}
		gap = time.Since(first)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte(chunkHello + chunkStop + done))
	}))
	t.Cleanup(ts.Close)
	c, _ := llm.New(llm.Config{BaseURL: ts.URL + "/v1", Model: "m", RetryDelay: time.Millisecond})
	var got collect
	if _, err := c.Stream(context.Background(), userRequest("x"), got.on); err != nil {
		t.Fatal(err)
	}
	if gap < 350*time.Millisecond || gap > 5*time.Second {
		t.Fatalf("waited %v, want the 400ms the exhausted request budget asked for", gap)
	}
	r := got.deltas[0].Retry
	if r == nil || r.Reason != "rate limited (HTTP 429)" || r.Attempt != 1 || r.Wait != 400*time.Millisecond || !r.FromServer {
		t.Fatalf("retry notice %+v", r)
	}
}

func TestFinishLengthMarksTruncated(t *testing.T) {
	c, _ := rawServer(t, `data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"file_editor","arguments":"{\"content\":\"abc"}}]},"finish_reason":"length"}]}`+"\n\n"+done)
	resp, err := c.Stream(context.Background(), userRequest("x"), nil)
	if err != nil || !resp.Truncated || resp.FinishReason != llm.FinishLength {
		t.Fatalf("resp %+v err %v", resp, err)
	}
}

func TestRunawayReplyCut(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for r.Context().Err() == nil {
			if _, err := w.Write([]byte(`data: {"choices":[{"index":0,"delta":{"content":"` + strings.Repeat("x", 1000) + `"}}]}` + "\n\n")); err != nil {
				return
			}
		}
	}))
	t.Cleanup(ts.Close)
	c, _ := llm.New(llm.Config{BaseURL: ts.URL + "/v1", Model: "m", MaxReplyBytes: 1 << 20})
	resp, err := c.Stream(context.Background(), userRequest("x"), nil)
	if !errors.Is(err, llm.ErrReplyLimit) || len(resp.Message.Content) > 1<<20+1000 || !strings.Contains(err.Error(), "max_reply_bytes") {
		t.Fatalf("err %v, %d bytes kept", err, len(resp.Message.Content))
	}
}
