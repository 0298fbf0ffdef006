package session

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
)

type panicModel struct{}

func (panicModel) Stream(context.Context, llm.Request, func(llm.Delta)) (llm.Response, error) {
	panic("boom in the client")
}

// A model client that panics ends the run with an error instead of
// killing the process (which would leave the sandbox behind).
func TestModelPanicEndsRunWithError(t *testing.T) {
	s, err := New(Options{Sandbox: newFakeSandbox(t), Model: panicModel{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	go func() {
		for range s.Events() {
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := s.Run(ctx, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StateError || !strings.Contains(res.Reason, "boom in the client") {
		t.Errorf("result %s %q, want error naming the panic", res.Status, res.Reason)
	}
}

// Secrets the sandbox prints are redacted in what goes back to the model
// too — tool results and the user's own shell commands — or a Daytona key
// printed in the sandbox would be sent to the LLM provider.
func TestSecretsRedactedForTheModel(t *testing.T) {
	const key = "dtn-secret-0123456789"
	half := len(key) / 2
	printKey := `a='` + key[:half] + `'; b='` + key[half:] + `'; echo "key=$a$b"`
	m := &fakeModel{replies: []fakeReply{{calls: []llm.ToolCall{shCall("c1", printKey)}}, {text: "done"}, {text: "again"}}}
	s, err := New(Options{Sandbox: newFakeSandbox(t), Model: m, Tools: fakeTools(), Secrets: []string{key}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	go func() {
		for range s.Events() {
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := s.Run(ctx, "print it"); err != nil {
		t.Fatal(err)
	}
	if err := s.Shell(printKey); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for { // the shell command's note is queued for the next prompt
		s.mu.Lock()
		n := len(s.notes)
		s.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the shell command left no note for the model")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := s.Run(ctx, "and again"); err != nil {
		t.Fatal(err)
	}
	reqs := m.requests()
	if len(reqs) < 3 {
		t.Fatalf("%d model requests, want 3", len(reqs))
	}
	var sawTool, sawNote bool
	for _, r := range reqs {
		for _, msg := range r.Messages {
			if strings.Contains(msg.Content, key) {
				t.Errorf("a %s message sends the key to the model: %q", msg.Role, msg.Content)
			}
			if strings.Contains(msg.Content, "key=[REDACTED]") {
				sawTool = sawTool || msg.Role == llm.RoleTool
				sawNote = sawNote || msg.Role == llm.RoleUser
			}
		}
	}
	if !sawTool || !sawNote {
		t.Errorf("redacted output not found in the conversation (tool result %v, shell note %v)", sawTool, sawNote)
	}
}
