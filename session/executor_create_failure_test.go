package session

import (
	"context"
	"errors"
	"testing"

	"github.com/tether-dev/tether/sandbox"
)

// failingProvider fails every create with err.
type failingProvider struct {
	fakeProvider
	err error
}

func (p *failingProvider) Create(context.Context, sandbox.Spec) (sandbox.Sandbox, error) {
	return nil, p.err
}

// TestExecutorReportsAFailedCreateAsError: the result of a run whose
// sandbox could not be made says "error" (and "cancelled" when the caller
// gave up), never "" (what `tether run --json` printed).
func TestExecutorReportsAFailedCreateAsError(t *testing.T) {
	boom := errors.New("daytona: create sandbox: HTTP 500: boom")
	p := &failingProvider{fakeProvider: fakeProvider{t: t}, err: boom}
	m := &fakeModel{replies: []fakeReply{{text: "done"}}}
	res, err := QuickRun(context.Background(), "go", ExecutorOptions{Options: Options{Model: m, Tools: fakeTools()}, Provider: p})
	if !errors.Is(err, boom) || res.Status != StateError {
		t.Errorf("failed create: status %q, err %v", res.Status, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.err = context.Canceled
	res, err = QuickRun(ctx, "go", ExecutorOptions{Options: Options{Model: m, Tools: fakeTools()}, Provider: p})
	if err == nil || res.Status != StateCancelled {
		t.Errorf("cancelled create: status %q, err %v", res.Status, err)
	}
}
