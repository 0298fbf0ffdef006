package local

import (
	"context"
	"os/exec"
	"strconv"
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

// TestInitOutlivesKillsAfterTheExit: a kill of a command whose exit is
// already in (a shell killing what is left once it ended; the disk
// watchdog or Close killing from a list taken before; Exec's cancel
// watcher racing the exit; a kill whose exit overtakes its killer under
// load) must not end the init a grace later, and with it the command
// running then ("the sandbox's init process ended" in the middle of an
// unrelated `rm -f f*`). The grace is shortened so that a timer armed by
// such a kill fires within the test.
func TestInitOutlivesKillsAfterTheExit(t *testing.T) {
	const grace = 100 * time.Millisecond
	late := []struct {
		name string
		f    func(t *testing.T, ls *localSandbox)
	}{
		{"shell-exits", func(t *testing.T, ls *localSandbox) {
			ts := localOpenTestShell(t, ls)
			ts.run(t, "echo up-$((6*7))", "up-42")
			if err := ts.sh.Send(context.Background(), []byte("exit\n")); err != nil {
				t.Fatal(err)
			}
			select {
			case <-ts.sh.Done():
			case <-time.After(15 * time.Second):
				t.Fatal("the shell did not end on exit")
			}
		}},
		{"killed-after-exit", func(t *testing.T, ls *localSandbox) {
			n, err := ls.begin()
			if err != nil {
				t.Fatal(err)
			}
			defer ls.execs.Done()
			tag := localSandboxTag(ls.info.ID) + strconv.FormatUint(n, 10)
			pr, wait, err := ls.startInInit(n, ls.info.WorkDir, []string{ls.p.bash, "-c", "true"}, ls.buildEnv(nil, tag), tag, &exec.Cmd{}, false)
			if err != nil {
				t.Fatal(err)
			}
			if code, err := wait(); code != 0 || err != nil {
				t.Fatalf("true: exit %d, %v", code, err)
			}
			pr.kill(localKillDisk)
		}},
	}
	localModes(t, func(t *testing.T, iso string) {
		for _, c := range late {
			t.Run(c.name, func(t *testing.T) {
				_, sb := localTestSandbox(t, iso)
				ls := sb.(*localSandbox)
				in, err := ls.initProc()
				if err != nil {
					t.Fatal(err)
				}
				in.killGrace = grace
				c.f(t, ls)
				res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "sleep " + strconv.FormatFloat((5*grace).Seconds(), 'f', -1, 64) + "; echo ok", Timeout: time.Minute})
				if err != nil || res.ExitCode != 0 {
					t.Fatalf("a command after the late kill: %+v %v", res, err)
				}
				select {
				case <-in.done:
					t.Fatalf("the init ended after a kill of a command already over: %v", in.err)
				default:
				}
				if again, _ := ls.initProc(); again != in {
					t.Fatal("the init was replaced")
				}
			})
		}
	})
}
