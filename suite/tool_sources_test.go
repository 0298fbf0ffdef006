package suite

import (
	"context"
	"io"
	"sync"
	"testing"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/session"
)

// recordingSource is a ToolSource that notes which sandboxes it was
// started in and whether each start was closed again.
type recordingSource struct {
	mu      sync.Mutex
	started map[string]bool // sandbox id -> still open
}

func (r *recordingSource) Tools(_ context.Context, sb sandbox.Sandbox) ([]session.Tool, io.Closer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started[sb.ID()] = true
	return nil, closerFunc(func() error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.started[sb.ID()] = false
		return nil
	}), nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// TestToolSourcesStartInEachCaseSandbox: the config's tool sources (MCP
// servers) are started once per case, in that case's sandbox, and closed
// with its session.
func TestToolSourcesStartInEachCaseSandbox(t *testing.T) {
	s, err := Load(writeSuite(t, "[defaults.sandbox]\nprovider = \"local\"\n[[case]]\nname = \"a\"\nprompt = \"true\"\n[[case]]\nname = \"b\"\nprompt = \"true\"\n", nil))
	if err != nil {
		t.Fatal(err)
	}
	src := &recordingSource{started: map[string]bool{}}
	_, models := shellModel(t)
	rep, err := Run(context.Background(), s, RunOptions{Concurrency: 2, Providers: providers(newLocalProvider(t)), Models: models,
		DefaultModel: "m", ToolSources: []session.ToolSource{src}})
	if err != nil || rep.Failed() {
		t.Fatalf("run: %v %+v", err, rep)
	}
	if len(src.started) != 2 {
		t.Fatalf("started in %d sandboxes, want one per case: %v", len(src.started), src.started)
	}
	for id, open := range src.started {
		if open {
			t.Errorf("the source started in %s was never closed", id)
		}
	}
}
