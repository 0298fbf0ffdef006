package session

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
)

// ttSandbox returns a local sandbox (no isolation) in a temporary directory,
// closed when the test ends.
func ttSandbox(tb testing.TB) sandbox.Sandbox {
	tb.Helper()
	sb, err := ttSandboxIso(tb, local.IsolationNone)
	if err != nil {
		tb.Fatal(err)
	}
	return sb
}

// ttSandboxIso returns a local sandbox with the given isolation mode.
func ttSandboxIso(tb testing.TB, isolation string) (sandbox.Sandbox, error) {
	tb.Helper()
	p, err := local.NewProvider(local.Options{BaseDir: tb.TempDir(), Isolation: isolation})
	if err != nil {
		return nil, fmt.Errorf("local provider: %w", err)
	}
	sb, err := p.Create(context.Background(), sandbox.Spec{})
	if err != nil {
		return nil, fmt.Errorf("create local sandbox: %w", err)
	}
	tb.Cleanup(func() { sb.Close(context.Background()) })
	return sb, nil
}

// ttBuffer is a goroutine-safe writer whose content can be polled.
type ttBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *ttBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *ttBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ttArgs marshals args (a map or struct, or a string taken as raw JSON).
func ttArgs(tb testing.TB, args any) json.RawMessage {
	tb.Helper()
	if s, ok := args.(string); ok {
		return json.RawMessage(s)
	}
	b, err := json.Marshal(args)
	if err != nil {
		tb.Fatalf("marshal args: %v", err)
	}
	return b
}

// ttRun runs one call of tool with args in sb; stdout and stderr are
// captured into the returned buffers.
func ttRun(tb testing.TB, tool Tool, sb sandbox.Sandbox, id string, args any) (ToolResult, *ttBuffer, *ttBuffer, error) {
	tb.Helper()
	var out, errb ttBuffer
	res, err := tool.Run(context.Background(), ToolCall{ID: id, Args: ttArgs(tb, args), Sandbox: sb, Stdout: &out, Stderr: &errb})
	return res, &out, &errb, err
}

// ttMust runs a call that must succeed (no error, not IsError).
func ttMust(tb testing.TB, tool Tool, sb sandbox.Sandbox, args any) ToolResult {
	tb.Helper()
	res, _, _, err := ttRun(tb, tool, sb, "call-1", args)
	if err != nil {
		tb.Fatalf("run %s: unexpected error: %v", ttArgs(tb, args), err)
	}
	if res.IsError {
		tb.Fatalf("run %s: unexpected error result: %s", ttArgs(tb, args), res.Content)
	}
	return res
}

// ttContains fails unless s contains every one of wants.
func ttContains(tb testing.TB, s string, wants ...string) {
	tb.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			tb.Fatalf("missing %q in:\n%s", w, s)
		}
	}
}
