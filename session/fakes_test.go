package session

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/sandbox"
)

// fakeReply is one scripted model answer.
type fakeReply struct {
	text   string
	calls  []llm.ToolCall
	err    error
	hang   bool // stream some text, then block until ctx is cancelled
	usage  llm.Usage
	chunks int // split text into this many deltas (default 3)
}

// fakeModel is a scripted Model that remembers every request.
type fakeModel struct {
	mu      sync.Mutex
	replies []fakeReply
	reqs    []llm.Request
	// repeat, when set, answers every call after the script runs out.
	repeat  func(n int) fakeReply
	calling chan int // receives the call number as each call starts (if non-nil)
}

func (m *fakeModel) Stream(ctx context.Context, req llm.Request, onDelta func(llm.Delta)) (llm.Response, error) {
	m.mu.Lock()
	req.Messages = slices.Clone(req.Messages)
	m.reqs = append(m.reqs, req)
	n := len(m.reqs)
	var r fakeReply
	switch {
	case len(m.replies) > 0:
		r, m.replies = m.replies[0], m.replies[1:]
	case m.repeat != nil:
		r = m.repeat(n)
	default:
		r = fakeReply{text: "nothing more to do"}
	}
	calling := m.calling
	m.mu.Unlock()
	if calling != nil {
		select {
		case calling <- n:
		case <-ctx.Done():
			return llm.Response{}, ctx.Err()
		}
	}
	if r.err != nil {
		return llm.Response{}, r.err
	}
	parts := r.chunks
	if parts <= 0 {
		parts = 3
	}
	for _, p := range splitN(r.text, parts) {
		if err := ctx.Err(); err != nil {
			return llm.Response{}, err
		}
		onDelta(llm.Delta{Content: p})
	}
	if r.hang {
		<-ctx.Done()
		return llm.Response{}, fmt.Errorf("stream interrupted: %w", ctx.Err())
	}
	return llm.Response{
		Message:      llm.Message{Role: llm.RoleAssistant, Content: r.text, ToolCalls: r.calls},
		FinishReason: "stop",
		Usage:        r.usage,
	}, nil
}

func (m *fakeModel) requests() []llm.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.reqs)
}

func splitN(s string, n int) []string {
	if s == "" {
		return nil
	}
	size := (len(s) + n - 1) / n
	var out []string
	for len(s) > 0 {
		k := min(size, len(s))
		out = append(out, s[:k])
		s = s[k:]
	}
	return out
}

func call(id, name, args string) llm.ToolCall {
	return llm.ToolCall{ID: id, Name: name, Arguments: args}
}

func shCall(id, command string) llm.ToolCall {
	b, _ := json.Marshal(map[string]string{"command": command})
	return call(id, "sh", string(b))
}

// fakeSandbox runs commands with the host's bash in a temp dir, killing the
// whole process group on cancel, as the sandbox contract requires.
type fakeSandbox struct {
	dir    string
	closed int
	mu     sync.Mutex
}

func newFakeSandbox(t testing.TB) *fakeSandbox { return &fakeSandbox{dir: t.TempDir()} }

func (f *fakeSandbox) ID() string { return "fake-sb" }
func (f *fakeSandbox) Info(ctx context.Context) (sandbox.Info, error) {
	return sandbox.Info{ID: "fake-sb", Provider: "fake", State: sandbox.StateStarted, WorkDir: f.dir}, nil
}
func (f *fakeSandbox) WorkDir() string { return f.dir }
func (f *fakeSandbox) ReadFile(ctx context.Context, p string) ([]byte, error) {
	return os.ReadFile(f.abs(p))
}
func (f *fakeSandbox) WriteFile(ctx context.Context, p string, data []byte) error {
	return os.WriteFile(f.abs(p), data, 0o644)
}
func (f *fakeSandbox) GitClone(ctx context.Context, req sandbox.CloneRequest) error {
	return errors.New("fake sandbox: no git")
}
func (f *fakeSandbox) Close(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed++
	return nil
}
func (f *fakeSandbox) closeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}
func (f *fakeSandbox) abs(p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	return f.dir + "/" + p
}

func (f *fakeSandbox) Exec(ctx context.Context, req sandbox.ExecRequest) (sandbox.ExecResult, error) {
	start := time.Now()
	cmd := exec.Command("bash", "-c", req.Command)
	cmd.Dir = f.dir
	cmd.Stdout, cmd.Stderr = req.Stdout, req.Stderr
	if cmd.Stdout == nil {
		cmd.Stdout = &bytes.Buffer{}
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &bytes.Buffer{}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return sandbox.ExecResult{ExitCode: -1}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			return sandbox.ExecResult{ExitCode: -1}, err
		}
		return sandbox.ExecResult{ExitCode: code, Duration: time.Since(start)}, nil
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return sandbox.ExecResult{ExitCode: -1, Duration: time.Since(start), Cancelled: true}, nil
	}
}

// fakeProvider hands out fakeSandboxes.
type fakeProvider struct {
	t       testing.TB
	mu      sync.Mutex
	created []*fakeSandbox
}

func (p *fakeProvider) Name() string { return "fake" }
func (p *fakeProvider) Create(ctx context.Context, spec sandbox.Spec) (sandbox.Sandbox, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sb := newFakeSandbox(p.t)
	p.created = append(p.created, sb)
	return sb, nil
}
func (p *fakeProvider) List(ctx context.Context, labels map[string]string) ([]sandbox.Info, error) {
	return nil, nil
}
func (p *fakeProvider) Delete(ctx context.Context, id string) error { return nil }

// fakeShTool runs {"command": ...} through the sandbox, streaming output.
type fakeShTool struct{}

func (fakeShTool) Definition() llm.Tool {
	return llm.Tool{Name: "sh", Description: "run a command", Parameters: json.RawMessage(`{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}`)}
}

func (fakeShTool) Describe(args json.RawMessage) (string, string) {
	var a struct{ Command string }
	_ = json.Unmarshal(args, &a)
	return a.Command, "run " + a.Command
}

func (fakeShTool) Run(ctx context.Context, c ToolCall) (ToolResult, error) {
	var a struct{ Command string }
	if err := json.Unmarshal(c.Args, &a); err != nil {
		return ToolResult{}, fmt.Errorf("bad args: %w", err)
	}
	var buf fakeLockedBuf
	res, err := c.Sandbox.Exec(ctx, sandbox.ExecRequest{
		Command: a.Command,
		Stdout:  ioMulti(c.Stdout, &buf), Stderr: ioMulti(c.Stderr, &buf),
	})
	if err != nil {
		return ToolResult{}, err
	}
	code := res.ExitCode
	content := buf.String()
	n := len(content)
	if len(content) > 2000 {
		content = content[:1000] + "..." + content[len(content)-1000:]
	}
	return ToolResult{Content: content, ExitCode: &code, IsError: code != 0, OutputBytes: int64(n)}, nil
}

type fakeWriterFunc func([]byte) (int, error)

func (f fakeWriterFunc) Write(p []byte) (int, error) { return f(p) }

func ioMulti(a, b interface{ Write([]byte) (int, error) }) fakeWriterFunc {
	return func(p []byte) (int, error) {
		_, _ = a.Write(p)
		return b.Write(p)
	}
}

// fakeFinishTool ends the run with its "message".
type fakeFinishTool struct{}

func (fakeFinishTool) Definition() llm.Tool {
	return llm.Tool{Name: "finish", Parameters: json.RawMessage(`{"type":"object"}`)}
}
func (fakeFinishTool) Run(ctx context.Context, c ToolCall) (ToolResult, error) {
	var a struct{ Message string }
	_ = json.Unmarshal(c.Args, &a)
	return ToolResult{Content: "finished", Finish: true, FinishMessage: a.Message}, nil
}

// fakeFuncTool runs fn; for tools that block, fail or panic on demand.
type fakeFuncTool struct {
	name string
	fn   func(ctx context.Context, c ToolCall) (ToolResult, error)
}

func (f fakeFuncTool) Definition() llm.Tool {
	return llm.Tool{Name: f.name, Parameters: json.RawMessage(`{"type":"object"}`)}
}
func (f fakeFuncTool) Run(ctx context.Context, c ToolCall) (ToolResult, error) { return f.fn(ctx, c) }

func fakeTools(extra ...Tool) func() []Tool {
	return func() []Tool { return append([]Tool{fakeShTool{}, fakeFinishTool{}}, extra...) }
}

func newTestSession(t testing.TB, m Model, mod func(*Options)) (*Session, *fakeSandbox) {
	t.Helper()
	sb := newFakeSandbox(t)
	opts := Options{Sandbox: sb, Tools: fakeTools(), ModelName: "fake-model"}
	if m != nil {
		opts.Model = m
	}
	if mod != nil {
		mod(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, sb
}

type fakeLockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *fakeLockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *fakeLockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
