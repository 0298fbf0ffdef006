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

// TestResponsesAPIErrorsNamedAndRetriedRight: the Responses API's own
// error shapes (an "error" event, response.failed, a 200 JSON error, an
// incomplete reply) end with the right kind after the right number of
// requests, as Chat Completions' do.
func TestResponsesAPIErrorsNamedAndRetriedRight(t *testing.T) {
	ev := func(typ, rest string) string {
		return "event: " + typ + "\ndata: {\"type\":\"" + typ + "\"," + rest + "}\n\n"
	}
	created := ev("response.created", `"sequence_number":0,"response":{"id":"resp_1","status":"in_progress","output":[]}`)
	cases := []struct {
		name, ctype, body string
		kind              error
		requests          int32
		want              string
	}{
		{"error event rate limit", "text/event-stream", created + ev("error", `"code":"rate_limit_exceeded","message":"Rate limit reached for gpt-6","param":null`), llm.ErrRateLimited, 3, "Rate limit reached"},
		{"error event context", "text/event-stream", created + ev("error", `"code":"context_length_exceeded","message":"Your input exceeds the context window of this model.","param":"input"`), llm.ErrContextLength, 1, "too long"},
		{"response.failed server_error", "text/event-stream", created + ev("response.failed", `"response":{"id":"resp_1","status":"failed","error":{"code":"server_error","message":"The model failed to generate a response."}}`), llm.ErrServer, 3, "failed to generate"},
		{"200 JSON error", "application/json", `{"error":{"message":"Incorrect API key provided: sk-...abcd.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`, llm.ErrAuth, 1, "LLM_API_KEY"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				if r.URL.Path != "/v1/responses" {
					http.Error(w, "wrong endpoint "+r.URL.Path, 404)
					return
				}
				w.Header().Set("Content-Type", tc.ctype)
				_, _ = w.Write([]byte(tc.body))
			}))
			t.Cleanup(ts.Close)
			c, _ := llm.New(llm.Config{BaseURL: ts.URL + "/v1", Model: "gpt-6", RetryDelay: time.Millisecond, MaxRetries: 2})
			_, err := c.Stream(context.Background(), userRequest("x"), nil)
			if !errors.Is(err, tc.kind) || n.Load() != tc.requests || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v (%d requests); want kind %v, %d requests, %q", err, n.Load(), tc.kind, tc.requests, tc.want)
			}
		})
	}
}

// TestResponsesIncompleteAndWholeReplies: an incomplete reply (the output
// token limit) is marked truncated so its call is not run, and a server
// that answers one JSON response object instead of a stream is accepted.
func TestResponsesIncompleteAndWholeReplies(t *testing.T) {
	body := ""
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(body, "{") {
			w.Header().Set("Content-Type", "application/json")
		} else {
			w.Header().Set("Content-Type", "text/event-stream")
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	c, _ := llm.New(llm.Config{BaseURL: ts.URL + "/v1", Model: "gpt-6", RetryDelay: time.Millisecond})

	body = "event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":{\"id\":\"fc_1\",\"type\":\"function_call\",\"status\":\"in_progress\",\"arguments\":\"\",\"call_id\":\"call_1\",\"name\":\"file_editor\"}}\n\n" +
		"event: response.function_call_arguments.delta\ndata: {\"type\":\"response.function_call_arguments.delta\",\"item_id\":\"fc_1\",\"output_index\":0,\"delta\":\"{\\\"content\\\":\\\"abc\"}\n\n" +
		"event: response.incomplete\ndata: {\"type\":\"response.incomplete\",\"response\":{\"id\":\"resp_1\",\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":\"max_output_tokens\"},\"output\":[],\"usage\":{\"input_tokens\":10,\"output_tokens\":4096}}}\n\n"
	resp, err := c.Stream(context.Background(), userRequest("x"), nil)
	if err != nil || !resp.Truncated || resp.FinishReason != llm.FinishLength || len(resp.Message.ToolCalls) != 1 {
		t.Fatalf("incomplete reply: %+v, %v", resp, err)
	}

	body = `{"id":"resp_2","object":"response","status":"completed","output":[{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"output_text","text":"whole reply","annotations":[]}]}],"usage":{"input_tokens":12,"output_tokens":3}}`
	resp, err = c.Stream(context.Background(), userRequest("x"), nil)
	if err != nil || resp.Message.Content != "whole reply" || resp.Usage.PromptTokens != 12 || resp.Truncated {
		t.Fatalf("whole JSON reply: %+v, %v", resp, err)
	}
}
