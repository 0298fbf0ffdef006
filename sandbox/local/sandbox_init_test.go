package local

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// TestInitKeepsConcurrentCommandsApart: one command ending sweeps what it
// left, never what a command still running started.
func TestInitKeepsConcurrentCommandsApart(t *testing.T) {
	sb := localEscapeSandbox(t, Options{}, sandbox.Spec{})
	var wg sync.WaitGroup
	var long strings.Builder
	wg.Go(func() {
		_, err := sb.Exec(context.Background(), sandbox.ExecRequest{
			Command: `(sleep 1; echo child-done) & (setsid bash -c 'sleep 1; echo session-done') & wait`,
			Stdout:  &long, Timeout: time.Minute,
		})
		if err != nil {
			t.Error(err)
		}
	})
	time.Sleep(200 * time.Millisecond)
	for range 5 {
		localRun(t, sb, "(setsid env -i sleep 100 &); true")
	}
	wg.Wait()
	if got := long.String(); !strings.Contains(got, "child-done") || !strings.Contains(got, "session-done") {
		t.Fatalf("the running command lost its processes when others ended: %q", got)
	}
}

// TestInitRestartsWhenKilled: the agent cannot signal the init where
// Landlock scopes signals; where it can (older kernels), or when the init
// dies for any other reason, the next command still runs in a new one.
func TestInitRestartsWhenKilled(t *testing.T) {
	sb := localEscapeSandbox(t, Options{}, sandbox.Spec{})
	_, out := localRun(t, sb, "kill -9 2 1 2>&1; echo rc=$?")
	if localLandlockABI() >= 6 && !strings.Contains(out, "rc=1") {
		t.Errorf("the agent signalled the init or PID 1 despite Landlock's signal scope: %s", out)
	}
	ls := sb.(*localSandbox)
	first, err := ls.initProc()
	if err != nil {
		t.Fatal(err)
	}
	first.kill()
	if res, out := localRun(t, sb, "echo alive"); res.ExitCode != 0 || out != "alive\n" {
		t.Fatalf("after the init died: %+v %q", res, out)
	}
	if again, _ := ls.initProc(); again == first {
		t.Fatal("the dead init was reused")
	}
}
