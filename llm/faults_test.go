package llm_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
)

// A stream cut after content is retried (no tool has run: the reply is
// just asked for again); the retry notice says the deltas so far are void.
func TestStreamCutAfterContentIsRetriedWithDiscard(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply{Text: "The quick brown fox jumps", ChunkSize: 4, CutAfter: 3}, llmtest.TextReply("whole reply"))
	var got collect
	resp, err := newClient(t, srv, "gpt-4o", nil).Stream(context.Background(), userRequest("x"), got.on)
	if err != nil || resp.Message.Content != "whole reply" {
		t.Fatalf("resp %q, err %v", resp.Message.Content, err)
	}
	var notices []llm.RetryNotice
	after := ""
	for _, d := range got.deltas {
		if d.Retry != nil {
			notices = append(notices, *d.Retry)
			after = ""
		}
		after += d.Content
	}
	if len(notices) != 1 || !notices[0].Discard || notices[0].Attempt != 1 || notices[0].Max != 4 || !strings.Contains(notices[0].Reason, "cut") {
		t.Fatalf("notices %+v", notices)
	}
	if after != "whole reply" || !strings.HasPrefix(got.text(), "The quic") {
		t.Fatalf("deltas %q, after the notice %q", got.text(), after)
	}
}

func TestStreamCutAfterContentWithoutRetriesIsInterrupted(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply{Text: "The quick brown fox jumps", ChunkSize: 4, CutAfter: 3}, llmtest.TextReply("must not be fetched"))
	var got collect
	c := newClient(t, srv, "gpt-4o", func(cfg *llm.Config) { cfg.MaxRetries = -1 })
	resp, err := c.Stream(context.Background(), userRequest("x"), got.on)
	if !errors.Is(err, llm.ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v, want the transport cause kept", err)
	}
	// role chunk + 2 text chunks were sent before the cut
	if got.text() != "The quic" || resp.Message.Content != "The quic" {
		t.Fatalf("deltas %q, partial %q", got.text(), resp.Message.Content)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("%d requests with retries off", n)
	}
	if !strings.Contains(err.Error(), "cut off") {
		t.Fatalf("message %q", err)
	}
}

func TestStreamCutBeforeContentIsRetried(t *testing.T) {
	for _, cut := range []int{-1, 1} { // right after headers; after the bare role chunk
		srv := llmtest.NewServer(t)
		srv.Enqueue(llmtest.Reply{Text: "lost", CutAfter: cut}, llmtest.TextReply("second try"))
		var got collect
		resp, err := newClient(t, srv, "gpt-4o", nil).Stream(context.Background(), userRequest("x"), got.on)
		if err != nil || resp.Message.Content != "second try" || got.text() != "second try" {
			t.Fatalf("cut %d: resp %q, deltas %q, err %v", cut, resp.Message.Content, got.text(), err)
		}
		if n := len(srv.Requests()); n != 2 {
			t.Fatalf("cut %d: %d requests", cut, n)
		}
	}
}

func TestStreamErrorEvent(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply{StreamError: "upstream overloaded"}, llmtest.TextReply("recovered"))
	resp, err := newClient(t, srv, "gpt-4o", nil).Stream(context.Background(), userRequest("x"), nil)
	if err != nil || resp.Message.Content != "recovered" {
		t.Fatalf("before content: resp %+v err %v", resp, err)
	}
	srv.Enqueue(llmtest.Reply{Text: "half", StreamError: "upstream overloaded"})
	_, err = newClient(t, srv, "gpt-4o", func(cfg *llm.Config) { cfg.MaxRetries = -1 }).Stream(context.Background(), userRequest("x"), nil)
	if !errors.Is(err, llm.ErrInterrupted) || !errors.Is(err, llm.ErrServer) || !strings.Contains(err.Error(), "upstream overloaded") {
		t.Fatalf("after content: err = %v", err)
	}
}

func TestHungStreamIdleTimeout(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply{Text: "I will stop talking now", Hang: true, CutAfter: 3})
	c := newClient(t, srv, "gpt-4o", func(cfg *llm.Config) { cfg.IdleTimeout = 150 * time.Millisecond; cfg.MaxRetries = -1 })
	var got collect
	start := time.Now()
	resp, err := c.Stream(context.Background(), userRequest("x"), got.on)
	if !errors.Is(err, llm.ErrTimeout) || !errors.Is(err, llm.ErrInterrupted) {
		t.Fatalf("err = %v", err)
	}
	if errors.Is(err, context.Canceled) {
		t.Fatalf("an idle timeout must not look like the caller's cancellation: %v", err)
	}
	if resp.Message.Content == "" || got.text() != resp.Message.Content {
		t.Fatalf("partial reply lost: %q / %q", resp.Message.Content, got.text())
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("took %v", el)
	}
	if !strings.Contains(err.Error(), "stalled") {
		t.Fatalf("message %q", err)
	}
}

func TestHungBeforeFirstTokenTimeout(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply{Text: "never", Hang: true})
	c := newClient(t, srv, "gpt-4o", func(cfg *llm.Config) { cfg.Timeout = 150 * time.Millisecond })
	_, err := c.Stream(context.Background(), userRequest("x"), nil)
	if !errors.Is(err, llm.ErrTimeout) || errors.Is(err, llm.ErrInterrupted) {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("%d requests: a timeout is not retried", n)
	}
}

// A slow but steady stream must not trip either timeout even though the
// whole reply takes longer than both: Timeout bounds only the wait for the
// reply to start, IdleTimeout only the gaps.
func TestSlowSteadyStreamCompletes(t *testing.T) {
	srv := llmtest.NewServer(t)
	text := strings.Repeat("ab", 60) // 60 chunks, ~10 ms apart: ~650 ms in all
	srv.Enqueue(llmtest.Reply{Text: text, ChunkSize: 2, ChunkDelay: 10 * time.Millisecond})
	c := newClient(t, srv, "gpt-4o", func(cfg *llm.Config) {
		cfg.Timeout = 400 * time.Millisecond
		cfg.IdleTimeout = 300 * time.Millisecond
	})
	resp, err := c.Stream(context.Background(), userRequest("x"), nil)
	if err != nil || resp.Message.Content != text {
		t.Fatalf("resp %q, err %v", resp.Message.Content, err)
	}
}

func TestCancelDuringStream(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply{Text: "some text then silence", Hang: true, CutAfter: 2})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := newClient(t, srv, "gpt-4o", nil) // default timeouts: only cancel can end this
	done := make(chan error, 1)
	go func() {
		_, err := c.Stream(ctx, userRequest("x"), func(llm.Delta) { cancel() })
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stream did not return after cancel")
	}
}

func TestCancelWhileHungBeforeHeaders(t *testing.T) {
	srv := llmtest.NewServer(t)
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	srv.SetHandler(func(llmtest.ChatRequest) llmtest.Reply { <-block; return llmtest.TextReply("late") })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := newClient(t, srv, "gpt-4o", nil).Stream(ctx, userRequest("x"), nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("took %v", el)
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.SetHandler(func(llmtest.ChatRequest) llmtest.Reply { return llmtest.Reply{Status: 429, RetryAfter: "60"} })
	c := newClient(t, srv, "gpt-4o", nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Stream(ctx, userRequest("x"), nil)
		done <- err
	}()
	// Wait for the first request, so the client is in its 60 s backoff.
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.Requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stream did not return after cancel during backoff")
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

func TestStreamOptionsRejectedFallback(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithoutStreamOptions())
	srv.Enqueue(llmtest.Reply{Text: "one", PromptTokens: 5, CompletionTokens: 1}, llmtest.TextReply("two"))
	c := newClient(t, srv, "gpt-4o", nil)
	resp, err := c.Stream(context.Background(), userRequest("x"), nil)
	if err != nil || resp.Message.Content != "one" {
		t.Fatalf("resp %+v, err %v", resp, err)
	}
	// Usage is unknown without stream_options: reported as 0, never guessed.
	if resp.Usage.PromptTokens != 0 || resp.Usage.CompletionTokens != 0 || resp.Usage.CostKnown {
		t.Fatalf("usage %+v", resp.Usage)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || !reqs[0].StreamOptions || reqs[1].StreamOptions {
		t.Fatalf("requests: %+v", reqs)
	}
	// The client remembers: the next call goes straight without them.
	if _, err := c.Stream(context.Background(), userRequest("y"), nil); err != nil {
		t.Fatal(err)
	}
	if reqs = srv.Requests(); len(reqs) != 3 || reqs[2].StreamOptions {
		t.Fatalf("third request: %+v", reqs[2])
	}
}

// A 400 that is not about stream_options is not mistaken for one.
func TestOtherBadRequestNotRetriedWithoutOptions(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply{Status: 400, ErrorMessage: "messages[1]: invalid role"}, llmtest.TextReply("no"))
	_, err := newClient(t, srv, "gpt-4o", nil).Stream(context.Background(), userRequest("x"), nil)
	if !errors.Is(err, llm.ErrBadRequest) || len(srv.Requests()) != 1 {
		t.Fatalf("err = %v, %d requests", err, len(srv.Requests()))
	}
}
