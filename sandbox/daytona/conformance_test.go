package daytona_test

import (
	"context"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
	"github.com/tether-dev/tether/sandbox/sandboxtest"
)

// TestDaytonaConformance runs the provider-agnostic sandbox tests on the
// real toolbox daemon; after each, the sandbox must hold no process and no
// toolbox session.
func TestDaytonaConformance(t *testing.T) {
	env := realdaemon.New(t)
	p, err := env.NewProvider(daytona.Options{Logger: dtLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	sandboxtest.Run(t, sandboxtest.Options{
		New: func(t *testing.T) sandbox.Sandbox { return dtCreate(t, p, sandbox.Spec{}) },
		Idle: func(t *testing.T, sb sandbox.Sandbox) {
			d, ok := env.Daemon(sb.ID())
			if !ok {
				t.Fatal("no daemon for the sandbox")
			}
			procs, sessions, err := d.WaitIdle(context.Background(), 3*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if len(procs) > 0 || len(sessions) > 0 {
				t.Errorf("left in the sandbox: processes %v, toolbox sessions %v", procs, sessions)
			}
		},
	})
}
