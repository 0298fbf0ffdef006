package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

func TestLocalExecStreamsBeforeExit(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		_, sb := localTestSandbox(t, iso)
		out := newLocalSyncBuffer()
		done := make(chan sandbox.ExecResult, 1)
		go func() {
			res, err := sb.Exec(context.Background(), sandbox.ExecRequest{
				Command: `echo first; while [ ! -e go ]; do sleep 0.01; done; echo second`,
				Stdout:  out,
			})
			if err != nil {
				t.Errorf("Exec: %v", err)
			}
			done <- res
		}()
		select {
		case chunk := <-out.writes:
			if chunk != "first\n" {
				t.Fatalf("first chunk = %q, want %q", chunk, "first\n")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no output arrived while the command was still running")
		}
		select {
		case <-done:
			t.Fatal("command finished before it was released")
		default:
		}
		if err := os.WriteFile(filepath.Join(sb.WorkDir(), "go"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		res := <-done
		if res.ExitCode != 0 || out.String() != "first\nsecond\n" {
			t.Fatalf("result %+v, output %q", res, out.String())
		}
	})
}

func TestLocalExecSeparatesStderrAndExitCodes(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		_, sb := localTestSandbox(t, iso)
		var stdout, stderr strings.Builder
		res, err := sb.Exec(context.Background(), sandbox.ExecRequest{
			Command: `echo out; echo err >&2; exit 7`, Stdout: &stdout, Stderr: &stderr,
		})
		if err != nil {
			t.Fatalf("non-zero exit must not be an error: %v", err)
		}
		if res.ExitCode != 7 || res.TimedOut || res.Cancelled || res.Duration <= 0 {
			t.Fatalf("result = %+v", res)
		}
		if stdout.String() != "out\n" || stderr.String() != "err\n" {
			t.Fatalf("stdout %q stderr %q", stdout.String(), stderr.String())
		}

		// One writer for both streams keeps their order.
		var both strings.Builder
		if _, err := sb.Exec(context.Background(), sandbox.ExecRequest{
			Command: `echo a; echo b >&2; echo c`, Stdout: &both, Stderr: &both,
		}); err != nil {
			t.Fatal(err)
		}
		if both.String() != "a\nb\nc\n" {
			t.Fatalf("combined = %q", both.String())
		}

		if res, _ := localRun(t, sb, `nosuchcommand-tether 2>/dev/null`); res.ExitCode != 127 {
			t.Fatalf("missing command exit = %d, want 127", res.ExitCode)
		}
		// Killed by a signal it sent itself: -1, but not our doing.
		if res, _ := localRun(t, sb, `kill -9 $$`); res.ExitCode == 0 || res.TimedOut || res.Cancelled {
			t.Fatalf("self-killed result = %+v", res)
		}
		// Nil writers discard output without failing.
		if res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "echo ignored; echo ignored >&2"}); err != nil || res.ExitCode != 0 {
			t.Fatalf("nil writers: %+v %v", res, err)
		}
	})
}

func TestLocalExecEnvAndSecrets(t *testing.T) {
	t.Setenv("LLM_API_KEY", "sk-must-not-leak")
	localModes(t, func(t *testing.T, iso string) {
		p := localTestProvider(t, Options{Isolation: iso})
		sb, err := p.Create(context.Background(), sandbox.Spec{Env: map[string]string{"FROM_SPEC": "spec", "BOTH": "spec"}})
		if err != nil {
			t.Fatal(err)
		}
		defer sb.Close(context.Background())
		var out strings.Builder
		_, err = sb.Exec(context.Background(), sandbox.ExecRequest{
			Command: `echo "$FROM_SPEC $BOTH $FROM_REQ ${LLM_API_KEY:-unset} $HOME"`,
			Env:     map[string]string{"BOTH": "req", "FROM_REQ": "x y"},
			Stdout:  &out,
		})
		if err != nil {
			t.Fatal(err)
		}
		home := filepath.Join(filepath.Dir(sb.WorkDir()), localHomeDir)
		if want := "spec req x y unset " + home + "\n"; out.String() != want {
			t.Fatalf("env output %q, want %q", out.String(), want)
		}
		_, err = sb.Exec(context.Background(), sandbox.ExecRequest{Command: "true", Env: map[string]string{"A=B": "x"}})
		if err == nil {
			t.Fatal("bad variable name accepted")
		}
	})
}

func TestLocalExecCwd(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		_, sb := localTestSandbox(t, iso)
		if _, out := localRun(t, sb, "pwd"); strings.TrimSpace(out) != sb.WorkDir() {
			t.Fatalf("default cwd %q, want %q", out, sb.WorkDir())
		}
		localRun(t, sb, "mkdir -p sub/dir")
		for _, cwd := range []string{"sub/dir", filepath.Join(sb.WorkDir(), "sub/dir")} {
			var out strings.Builder
			if _, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "pwd", Cwd: cwd, Stdout: &out}); err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(sb.WorkDir(), "sub/dir"); strings.TrimSpace(out.String()) != want {
				t.Fatalf("cwd %q: pwd %q, want %q", cwd, out.String(), want)
			}
		}
		_, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "pwd", Cwd: "missing"})
		if err == nil || !strings.Contains(err.Error(), "missing") {
			t.Fatalf("missing cwd: err = %v", err)
		}
	})
}

func TestLocalExecTimeout(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		_, sb := localTestSandbox(t, iso)
		marker := localMarker()
		start := time.Now()
		res, err := sb.Exec(context.Background(), sandbox.ExecRequest{
			Command: "(exec -a " + marker + " sleep 1000) & wait",
			Timeout: 300 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		if !res.TimedOut || res.Cancelled || res.ExitCode != -1 {
			t.Fatalf("result = %+v, want timed out with exit -1", res)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("timeout took %s", time.Since(start))
		}
		localWaitGone(t, marker)
	})
}

// TestLocalExecCancelKillsTree cancels a command whose grandchildren hold
// its output pipes, one of them in its own session, and checks that Exec
// returns promptly and that none survives.
func TestLocalExecCancelKillsTree(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		_, sb := localTestSandbox(t, iso)
		marker := localMarker()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		type outcome struct {
			res sandbox.ExecResult
			err error
		}
		done := make(chan outcome, 1)
		go func() {
			res, err := sb.Exec(ctx, sandbox.ExecRequest{
				Command: "(exec -a " + marker + " sleep 1000) & " +
					"setsid bash -c 'exec -a " + marker + " sleep 1000' & wait",
				Stdout: &strings.Builder{},
			})
			done <- outcome{res, err}
		}()
		localWaitFor(t, "both grandchildren to start", func() bool { return len(localLivePIDs(marker)) == 2 })
		cancel()
		var o outcome
		select {
		case o = <-done:
		case <-time.After(3 * time.Second):
			t.Fatal("Exec did not return within 3s of cancel")
		}
		if o.err != nil || !o.res.Cancelled || o.res.TimedOut || o.res.ExitCode != -1 {
			t.Fatalf("result %+v, err %v; want cancelled with exit -1", o.res, o.err)
		}
		localWaitGone(t, marker)
	})
}

// TestLocalExecBackgroundEndsWithCommand: what a command leaves running ends
// with it, in both modes, and Exec does not wait for it.
func TestLocalExecBackgroundEndsWithCommand(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		_, sb := localTestSandbox(t, iso)
		marker := localMarker()
		start := time.Now()
		res, _ := localRun(t, sb, "(exec -a "+marker+" sleep 1000) & echo started")
		if res.ExitCode != 0 {
			t.Fatalf("result %+v", res)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("Exec waited %s for a background process", time.Since(start))
		}
		localWaitGone(t, marker)
	})
}

func TestLocalExecCancelledBeforeStart(t *testing.T) {
	_, sb := localTestSandbox(t, IsolationNone)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "touch ran"})
	if err != nil || !res.Cancelled {
		t.Fatalf("result %+v err %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(sb.WorkDir(), "ran")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("command ran after cancel: %v", err)
	}
	if _, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "  "}); err == nil {
		t.Fatal("empty command accepted")
	}
}

func TestLocalExecConcurrent(t *testing.T) {
	localModes(t, func(t *testing.T, iso string) {
		_, sb := localTestSandbox(t, iso)
		const n = 6
		outs := make([]strings.Builder, n)
		errs := make(chan error, n)
		for i := range n {
			go func() {
				res, err := sb.Exec(context.Background(), sandbox.ExecRequest{
					Command: "sleep 0.05; echo " + strconv.Itoa(i) + "; exit " + strconv.Itoa(i),
					Stdout:  &outs[i],
				})
				if err == nil && res.ExitCode != i {
					err = fmt.Errorf("command %d exited %d", i, res.ExitCode)
				}
				errs <- err
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		for i := range n {
			if got := outs[i].String(); got != strconv.Itoa(i)+"\n" {
				t.Fatalf("command %d wrote %q", i, got)
			}
		}
	})
}
