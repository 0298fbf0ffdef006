package shellrun_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/sandbox/shellrun"
)

// countingTerminal counts the shells opened and makes opening one slow, as
// a first shell in a new sandbox (or on Daytona) is.
type countingTerminal struct {
	sandbox.Terminal
	mu     sync.Mutex
	opened int
}

func (c *countingTerminal) OpenShell(ctx context.Context, spec sandbox.ShellSpec) (sandbox.Shell, error) {
	c.mu.Lock()
	c.opened++
	c.mu.Unlock()
	time.Sleep(200 * time.Millisecond)
	return c.Terminal.OpenShell(ctx, spec)
}

// TestTwoRunsAtFirstUseOpenOneShell: while the first Run opens the shell,
// a second one (a user's !cmd beside the agent's first command) is busy,
// not a second shell whose reader steals the first one's completion.
func TestTwoRunsAtFirstUseOpenOneShell(t *testing.T) {
	p, err := local.NewProvider(local.Options{BaseDir: t.TempDir(), Isolation: local.IsolationNone})
	if err != nil {
		t.Skip(err)
	}
	ctx := context.Background()
	sb, err := p.Create(ctx, sandbox.Spec{})
	if err != nil {
		t.Skip(err)
	}
	defer sb.Close(ctx)
	term := &countingTerminal{Terminal: sb.(sandbox.Terminal)}
	r := shellrun.New(term, sandbox.ShellSpec{}, "")
	defer r.Close(ctx)

	type outcome struct {
		res shellrun.Result
		out string
		err error
	}
	results := make(chan outcome, 2)
	for _, cmd := range []string{"echo first", "echo second"} {
		go func() {
			var out bytes.Buffer
			res, err := r.Run(ctx, cmd, &out, 10*time.Second, false)
			results <- outcome{res, out.String(), err}
		}()
	}
	var ran, busy int
	for range 2 {
		select {
		case o := <-results:
			switch {
			case errors.Is(o.err, shellrun.ErrBusy):
				busy++
			case o.err == nil && o.res.ExitCode == 0 && (o.out == "first\n" || o.out == "second\n"):
				ran++
			default:
				t.Errorf("a run ended %+v %q %v", o.res, o.out, o.err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("a run never ended: its completion went to another shell")
		}
	}
	if ran != 1 || busy != 1 {
		t.Errorf("ran %d, busy %d: want one run and one busy", ran, busy)
	}
	if term.opened != 1 {
		t.Errorf("%d shells opened, want 1", term.opened)
	}
}
