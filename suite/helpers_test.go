package suite

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/session"
)

func newLocalProvider(t testing.TB) *local.Provider {
	t.Helper()
	p, err := local.NewProvider(local.Options{BaseDir: t.TempDir(), Isolation: "none"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// shellModel is a fake model that runs the latest user message as a
// terminal command, then calls finish: a suite's prompt is then the shell
// command the "agent" runs, which makes checks easy to steer.
func shellModel(t testing.TB) (*llmtest.Server, func(string) (session.Model, error)) {
	t.Helper()
	srv := llmtest.NewServer(t)
	srv.SetHandler(func(req llmtest.ChatRequest) llmtest.Reply {
		last := req.Last()
		if last.Role == llm.RoleTool {
			return llmtest.ToolReply(llmtest.Call(session.ToolFinish, map[string]any{"message": "done: " + last.Content}))
		}
		return llmtest.ToolReply(llmtest.Call(session.ToolTerminal, map[string]any{"command": last.Content}))
	})
	return srv, func(name string) (session.Model, error) {
		c, err := llm.New(srv.Config(name))
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

func providers(p sandbox.Provider) func(string) (sandbox.Provider, error) {
	return func(name string) (sandbox.Provider, error) {
		if name != "" && name != p.Name() {
			return nil, fmt.Errorf("unknown provider %q", name)
		}
		return p, nil
	}
}

// countingProvider wraps a provider and counts live sandboxes, with the
// most ever alive at once; it can refuse creations with a rate limit.
type countingProvider struct {
	sandbox.Provider
	live, peak, created atomic.Int64
	rateLimit           atomic.Int64 // refuse this many more creations
	refused             atomic.Int64
}

type rateLimitErr struct{}

func (rateLimitErr) Error() string     { return "provider: slow down" }
func (rateLimitErr) RateLimited() bool { return true }

func (c *countingProvider) Create(ctx context.Context, spec sandbox.Spec) (sandbox.Sandbox, error) {
	if c.rateLimit.Add(-1) >= 0 {
		c.refused.Add(1)
		return nil, fmt.Errorf("create: %w", rateLimitErr{})
	}
	sb, err := c.Provider.Create(ctx, spec)
	if err != nil {
		return nil, err
	}
	c.created.Add(1)
	n := c.live.Add(1)
	for {
		p := c.peak.Load()
		if n <= p || c.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return &countedSandbox{Sandbox: sb, p: c}, nil
}

type countedSandbox struct {
	sandbox.Sandbox
	p    *countingProvider
	once sync.Once
}

func (s *countedSandbox) Close(ctx context.Context) error {
	err := s.Sandbox.Close(ctx)
	if err == nil {
		s.once.Do(func() { s.p.live.Add(-1) })
	}
	return err
}

// statusLog collects OnUpdate calls.
type statusLog struct {
	mu  sync.Mutex
	all []CaseStatus
}

func (l *statusLog) add(st CaseStatus) {
	l.mu.Lock()
	l.all = append(l.all, st)
	l.mu.Unlock()
}

func (l *statusLog) snapshot() []CaseStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]CaseStatus(nil), l.all...)
}

func resultByName(t *testing.T, r *Report, name string) CaseResult {
	t.Helper()
	for _, c := range r.Cases {
		if c.Case == name {
			return c
		}
	}
	t.Fatalf("no case %q in the report", name)
	return CaseResult{}
}
