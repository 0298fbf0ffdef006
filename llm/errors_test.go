package llm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
)

func TestNoRetryOnUserErrors(t *testing.T) {
	cases := []struct {
		name     string
		reply    llmtest.Reply
		kind     error
		mentions []string
	}{
		{"401", llmtest.ErrorReply(401), llm.ErrAuth, []string{"LLM_API_KEY", "401"}},
		{"403", llmtest.ErrorReply(403), llm.ErrAuth, []string{"LLM_API_KEY", "403"}},
		{"404", llmtest.ErrorReply(404), llm.ErrModelNotFound, []string{"gpt-4o", "LLM_MODEL", "LLM_BASE_URL"}},
		{"400", llmtest.Reply{Status: 400, ErrorMessage: "Invalid schema for function 'terminal'"}, llm.ErrBadRequest, []string{"Invalid schema for function 'terminal'", "400"}},
		{"context", llmtest.Reply{Status: 400, ErrorMessage: "This model's maximum context length is 128000 tokens.", ErrorCode: "context_length_exceeded"}, llm.ErrContextLength, []string{"too long"}},
		{"quota", llmtest.Reply{Status: 429, ErrorMessage: "You exceeded your current quota, please check your plan and billing details.", ErrorCode: "insufficient_quota"}, llm.ErrQuota, []string{"credit"}},
		{"402", llmtest.ErrorReply(402), llm.ErrQuota, []string{"credit"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			srv.Enqueue(tc.reply, llmtest.TextReply("must not be reached"))
			c := newClient(t, srv, "gpt-4o", func(cfg *llm.Config) { cfg.APIKey = testKey })
			var got collect
			_, err := c.Stream(context.Background(), userRequest("x"), got.on)
			if !errors.Is(err, tc.kind) {
				t.Fatalf("err = %v, want %v", err, tc.kind)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Fatalf("%d requests: a %s must not be retried", n, tc.name)
			}
			for _, m := range tc.mentions {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("message %q does not mention %q", err, m)
				}
			}
			if strings.Contains(err.Error(), testKey) {
				t.Fatalf("message leaks the key: %q", err)
			}
			if len(got.deltas) != 0 {
				t.Fatalf("deltas delivered on error: %+v", got.deltas)
			}
			var e *llm.Error
			if !errors.As(err, &e) || e.StatusCode != tc.reply.Status || e.Attempts != 1 {
				t.Fatalf("err = %#v", err)
			}
		})
	}
}

func TestContextLengthIsAlsoBadRequest(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply{Status: 400, ErrorCode: "context_length_exceeded", ErrorMessage: "too many tokens"})
	_, err := newClient(t, srv, "gpt-4o", nil).Stream(context.Background(), userRequest("x"), nil)
	if !errors.Is(err, llm.ErrContextLength) || !errors.Is(err, llm.ErrBadRequest) {
		t.Fatalf("err = %v", err)
	}
}

// Real servers' 401 bodies echo (part of) the key, and a proxy may echo
// all of it; nothing of it may reach the error text.
func TestKeyNeverInErrors(t *testing.T) {
	echo := "bad key " + testKey + " (Bearer " + testKey + ")"
	replies := []llmtest.Reply{
		{Status: 401, ErrorMessage: echo},
		{Status: 403, ErrorMessage: echo},
		{Status: 404, ErrorMessage: echo},
		{Status: 400, ErrorMessage: echo},
		{Status: 402, ErrorMessage: echo},
		{Status: 429, ErrorMessage: echo, RetryAfter: "0"},
		{Status: 500, ErrorMessage: echo},
		{Status: 503, ErrorMessage: echo},
		{Text: "partial text", CutAfter: 3},
		{StreamError: echo},
		{Text: "abc", StreamError: echo},
	}
	for _, r := range replies {
		srv := llmtest.NewServer(t)
		srv.SetHandler(func(llmtest.ChatRequest) llmtest.Reply { return r })
		c := newClient(t, srv, "gpt-4o", func(cfg *llm.Config) { cfg.APIKey = testKey; cfg.MaxRetries = 1 })
		_, err := c.Stream(context.Background(), userRequest("x"), nil)
		if err == nil {
			t.Fatalf("reply %+v: no error", r)
		}
		if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), "SECRETKEY") {
			t.Fatalf("reply %+v: key leaked: %q", r, err)
		}
	}
	// Wrong key sent to a server that checks it.
	srv := llmtest.NewServer(t, llmtest.WithAPIKey("sk-the-right-one-xxxxxxxx"))
	c := newClient(t, srv, "gpt-4o", func(cfg *llm.Config) { cfg.APIKey = testKey })
	_, err := c.Stream(context.Background(), userRequest("x"), nil)
	if !errors.Is(err, llm.ErrAuth) || strings.Contains(err.Error(), testKey) {
		t.Fatalf("err = %v", err)
	}
	// Unreachable server: transport errors carry URLs, never the key.
	srv.Close()
	_, err = c.Stream(context.Background(), userRequest("x"), nil)
	if !errors.Is(err, llm.ErrUnavailable) || strings.Contains(err.Error(), testKey) {
		t.Fatalf("err = %v", err)
	}
	// Nobody listening will not change within the backoff: no retries.
	if e := (*llm.Error)(nil); !errors.As(err, &e) || e.Attempts != 1 {
		t.Fatalf("connection refused retried: %#v", err)
	}
}

func TestMissingKeyMessage(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithAPIKey("sk-required-key-123456"))
	cfg := srv.Config("gpt-4o")
	cfg.APIKey = ""
	c, err := llm.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Stream(context.Background(), userRequest("x"), nil)
	if !errors.Is(err, llm.ErrAuth) || !strings.Contains(err.Error(), "set LLM_API_KEY") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnknownModelAgainstServerList(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithModels("gpt-4o"))
	_, err := newClient(t, srv, "gpt-4o-typo", nil).Stream(context.Background(), userRequest("x"), nil)
	if !errors.Is(err, llm.ErrModelNotFound) || !strings.Contains(err.Error(), `"gpt-4o-typo"`) {
		t.Fatalf("err = %v", err)
	}
	srv.Enqueue(llmtest.TextReply("fine"))
	if _, err := newClient(t, srv, "gpt-4o", nil).Stream(context.Background(), userRequest("x"), nil); err != nil {
		t.Fatalf("known model: %v", err)
	}
}

func TestRetryOn429HonoursRetryAfter(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(
		llmtest.Reply{Status: 429, RetryAfter: "1"},
		llmtest.Reply{Status: 429, RetryAfter: "0"},
		llmtest.TextReply("finally"),
	)
	// A long base delay shows the server's Retry-After is what is used.
	c := newClient(t, srv, "gpt-4o", func(cfg *llm.Config) { cfg.RetryDelay = time.Hour })
	start := time.Now()
	var got collect
	resp, err := c.Stream(context.Background(), userRequest("x"), got.on)
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if resp.Message.Content != "finally" || got.text() != "finally" {
		t.Fatalf("resp %q, deltas %q", resp.Message.Content, got.text())
	}
	if n := len(srv.Requests()); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
	if el := time.Since(start); el < 900*time.Millisecond || el > 30*time.Second {
		t.Fatalf("took %v: Retry-After: 1 not honoured", el)
	}
}

func TestRetryOn5xx(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.ErrorReply(500), llmtest.ErrorReply(502), llmtest.ErrorReply(503), llmtest.TextReply("ok"))
	resp, err := newClient(t, srv, "gpt-4o", nil).Stream(context.Background(), userRequest("x"), nil)
	if err != nil || resp.Message.Content != "ok" {
		t.Fatalf("resp %+v, err %v", resp, err)
	}
	if n := len(srv.Requests()); n != 4 {
		t.Fatalf("%d requests, want 4", n)
	}
}

func TestRetriesExhausted(t *testing.T) {
	for _, tc := range []struct {
		status int
		kind   error
	}{{429, llm.ErrRateLimited}, {500, llm.ErrServer}} {
		srv := llmtest.NewServer(t)
		srv.SetHandler(func(llmtest.ChatRequest) llmtest.Reply { return llmtest.ErrorReply(tc.status) })
		c := newClient(t, srv, "gpt-4o", func(cfg *llm.Config) { cfg.MaxRetries = 2 })
		_, err := c.Stream(context.Background(), userRequest("x"), nil)
		var e *llm.Error
		if !errors.Is(err, tc.kind) || !errors.As(err, &e) || e.Attempts != 3 {
			t.Fatalf("status %d: err = %v", tc.status, err)
		}
		if n := len(srv.Requests()); n != 3 {
			t.Fatalf("status %d: %d requests, want 3", tc.status, n)
		}
		if !strings.Contains(err.Error(), "after 3 attempts") {
			t.Fatalf("message %q", err)
		}
	}
}

func TestTooLongRetryAfterEndsCall(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply{Status: 429, RetryAfter: "3600"}, llmtest.TextReply("never"))
	_, err := newClient(t, srv, "gpt-4o", nil).Stream(context.Background(), userRequest("x"), nil)
	if !errors.Is(err, llm.ErrRateLimited) || !strings.Contains(err.Error(), "1h0m0s") {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

func TestNoRetriesWhenDisabled(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.ErrorReply(503), llmtest.TextReply("never"))
	c := newClient(t, srv, "gpt-4o", func(cfg *llm.Config) { cfg.MaxRetries = -1 })
	if _, err := c.Stream(context.Background(), userRequest("x"), nil); !errors.Is(err, llm.ErrServer) {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []llm.Config{
		{},
		{Model: "gpt-4o", BaseURL: "localhost:11434"},
		{Model: "gpt-4o", BaseURL: "ftp://x/v1"},
	} {
		if _, err := llm.New(cfg); !errors.Is(err, llm.ErrConfig) {
			t.Fatalf("New(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
	c, err := llm.New(llm.Config{Model: "gpt-4o"})
	if err != nil || c.Model() != "gpt-4o" {
		t.Fatalf("New = %v, %v", c, err)
	}
	_, err = llm.New(llm.Config{Model: "m", BaseURL: "http://user:hunter2pw@example.invalid:bad/v1"})
	if err == nil || strings.Contains(err.Error(), "hunter2pw") {
		t.Fatalf("err = %v", err)
	}
}

func TestReasoningModelSettingsRejectedLocally(t *testing.T) {
	srv := llmtest.NewServer(t)
	temp := float32(0.2)
	c := newClient(t, srv, "o3-mini", func(cfg *llm.Config) { cfg.Temperature = &temp })
	_, err := c.Stream(context.Background(), userRequest("x"), nil)
	if !errors.Is(err, llm.ErrBadRequest) || !strings.Contains(err.Error(), "temperature") {
		t.Fatalf("err = %v", err)
	}
	// max tokens goes out as max_completion_tokens for such models.
	srv.Enqueue(llmtest.TextReply("ok"))
	c = newClient(t, srv, "o3-mini", func(cfg *llm.Config) { cfg.MaxTokens = 77 })
	if _, err := c.Stream(context.Background(), userRequest("x"), nil); err != nil {
		t.Fatal(err)
	}
	if body := string(srv.Requests()[0].Body); !strings.Contains(body, `"max_completion_tokens":77`) || strings.Contains(body, `"max_tokens"`) {
		t.Fatalf("body %s", body)
	}
}
