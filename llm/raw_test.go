package llm_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tether-dev/tether/llm"
)

// rawServer answers the n-th request with bodies[n] (the last one repeats)
// as a complete SSE response, for wire quirks the fake does not script.
func rawServer(t *testing.T, bodies ...string) (*llm.Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte(bodies[min(i, len(bodies)-1)]))
	}))
	t.Cleanup(ts.Close)
	c, err := llm.New(llm.Config{BaseURL: ts.URL + "/v1", Model: "gpt-4o", RetryDelay: 1, MaxRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	return c, &n
}

const (
	chunkHello = `data: {"choices":[{"index":0,"delta":{"content":"hello"}}]}` + "\n\n"
	chunkStop  = `data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n"
	done       = "data: [DONE]\n\n"
)

func TestKeepAliveCommentsIgnored(t *testing.T) {
	c, _ := rawServer(t, ": OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\n"+chunkHello+": ping\n\n"+chunkStop+done)
	resp, err := c.Stream(context.Background(), userRequest("x"), nil)
	if err != nil || resp.Message.Content != "hello" {
		t.Fatalf("resp %+v, err %v", resp, err)
	}
}

func TestEndWithoutDoneButFinished(t *testing.T) {
	c, n := rawServer(t, chunkHello+chunkStop)
	resp, err := c.Stream(context.Background(), userRequest("x"), nil)
	if err != nil || resp.Message.Content != "hello" || n.Load() != 1 {
		t.Fatalf("resp %+v, err %v, %d requests", resp, err, n.Load())
	}
}

func TestEndWithDoneButNoFinishReason(t *testing.T) {
	c, _ := rawServer(t, chunkHello+done)
	resp, err := c.Stream(context.Background(), userRequest("x"), nil)
	if err != nil || resp.Message.Content != "hello" {
		t.Fatalf("resp %+v, err %v", resp, err)
	}
}

// A body that simply stops, with neither finish_reason nor [DONE], is
// incomplete: after content it is an interruption, retried, and reported
// as such when every retry ends the same way.
func TestEndWithoutAnyTerminator(t *testing.T) {
	c, n := rawServer(t, chunkHello)
	resp, err := c.Stream(context.Background(), userRequest("x"), nil)
	if !errors.Is(err, llm.ErrInterrupted) || resp.Message.Content != "hello" || n.Load() != 3 {
		t.Fatalf("resp %+v, err %v, %d requests", resp, err, n.Load())
	}
	// Before content it is retried.
	c, n = rawServer(t, `data: {"choices":[{"index":0,"delta":{"role":"assistant"}}]}`+"\n\n", chunkHello+chunkStop+done)
	resp, err = c.Stream(context.Background(), userRequest("x"), nil)
	if err != nil || resp.Message.Content != "hello" || n.Load() != 2 {
		t.Fatalf("resp %+v, err %v, %d requests", resp, err, n.Load())
	}
}

func TestMalformedChunk(t *testing.T) {
	c, n := rawServer(t, "data: {not json\n\n")
	_, err := c.Stream(context.Background(), userRequest("x"), nil)
	if !errors.Is(err, llm.ErrServer) || n.Load() != 3 {
		t.Fatalf("err %v, %d requests", err, n.Load())
	}
	c, _ = rawServer(t, chunkHello+"data: {\"choices\":[]} {\"choices\":[]}\n\n"+chunkStop+done)
	if _, err = c.Stream(context.Background(), userRequest("x"), nil); !errors.Is(err, llm.ErrInterrupted) {
		t.Fatalf("two values on one line: err %v", err)
	}
}

func TestOpenRouterStyleErrorChunk(t *testing.T) {
	c, _ := rawServer(t, chunkHello+`data: {"id":"x","error":{"code":502,"message":"Upstream provider failed"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}`+"\n\n"+done)
	_, err := c.Stream(context.Background(), userRequest("x"), nil)
	if !errors.Is(err, llm.ErrInterrupted) || !errors.Is(err, llm.ErrServer) {
		t.Fatalf("err %v", err)
	}
}

// A 200 response whose body is a plain JSON error (no SSE) is reported
// with the server's message.
func TestPlainJSONErrorIn200(t *testing.T) {
	c, _ := rawServer(t, `{"error":{"message":"model is loading","type":"server_error"}}`+"\n")
	_, err := c.Stream(context.Background(), userRequest("x"), nil)
	if !errors.Is(err, llm.ErrServer) || !strings.Contains(err.Error(), "model is loading") {
		t.Fatalf("err %v", err)
	}
}
