package transcript

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/session"
)

// record runs a real session (local sandbox, scripted model over SSE)
// with the given replies and returns its recording.
func record(t *testing.T, model, prompt string, replies ...llmtest.Reply) string {
	t.Helper()
	srv := llmtest.NewServer(t)
	srv.Enqueue(replies...)
	client, err := llm.New(srv.Config(model))
	if err != nil {
		t.Fatal(err)
	}
	p, err := local.NewProvider(local.Options{BaseDir: t.TempDir(), Isolation: local.IsolationNone})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := p.Create(context.Background(), sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close(context.Background()) })
	rec := filepath.Join(t.TempDir(), model+".jsonl")
	s, err := session.New(session.Options{Sandbox: sb, Model: client, ModelName: model, RecordPath: rec})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range s.Events() {
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Run(ctx, prompt); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return rec
}

func sh(cmd string) llmtest.Reply {
	return llmtest.ToolReply(llmtest.Call(session.ToolTerminal, map[string]any{"command": cmd}))
}
