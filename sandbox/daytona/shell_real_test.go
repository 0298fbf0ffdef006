package daytona_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
	"github.com/tether-dev/tether/sandbox/shellrun"
)

// Shells on Daytona's real toolbox daemon (skipped without the binary).

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDaytonaShellSurvivesADroppedConnection: when the daemon drops the
// WebSocket (as it does a slow consumer), the shell reconnects, counts the
// gap, and a command that ended while no one listened is still seen to
// end, with its exit code, through the state file.
func TestDaytonaShellSurvivesADroppedConnection(t *testing.T) {
	sb, _ := realdaemon.Sandbox(t)
	ctx := context.Background()
	var opened []sandbox.Shell
	var mu sync.Mutex
	term := termFunc(func(ctx context.Context, spec sandbox.ShellSpec) (sandbox.Shell, error) {
		sh, err := sb.(sandbox.Terminal).OpenShell(ctx, spec)
		if err == nil {
			mu.Lock()
			opened = append(opened, sh)
			mu.Unlock()
		}
		return sh, err
	}, sb)
	r := shellrun.New(term, sandbox.ShellSpec{}, "")
	defer r.Close(ctx)
	var out syncBuf
	if res, err := r.Run(ctx, "cd /tmp; X=5", &out, 10*time.Second, false); err != nil || res.ExitCode != 0 {
		t.Fatalf("first: %+v %v", res, err)
	}
	// Drop the connection while a command runs and ends.
	out = syncBuf{}
	done := make(chan shellrun.Result, 1)
	go func() {
		res, _ := r.Run(ctx, "sleep 0.3; echo lost-maybe; (exit $X)", &out, 20*time.Second, false)
		done <- res
	}()
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	sh := opened[0]
	mu.Unlock()
	daytona.DropShellConnection(sh)
	select {
	case res := <-done:
		if res.ExitCode != 5 || res.Restarted {
			t.Fatalf("after the drop: %+v, output %q", res, out.String())
		}
		t.Logf("after the drop: %+v, output %q", res, out.String())
	case <-time.After(15 * time.Second):
		t.Fatal("the command's end was never seen after the drop")
	}
	if g := sh.(shellrun.Gapper).Gaps(); g != 1 {
		t.Fatalf("gaps %d, want 1", g)
	}
	// A command that ends while nothing is connected: its marker is lost
	// with its output; the state file tells.
	defer daytona.PauseReconnects(800 * time.Millisecond)()
	out = syncBuf{}
	go func() {
		res, _ := r.Run(ctx, "sleep 0.2; echo gone; (exit 7)", &out, 20*time.Second, false)
		done <- res
	}()
	time.Sleep(100 * time.Millisecond)
	daytona.DropShellConnection(sh)
	select {
	case res := <-done:
		if res.ExitCode != 7 || !res.Lost || strings.Contains(out.String(), "gone") {
			t.Fatalf("ended while disconnected: %+v, output %q", res, out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the end of a command while disconnected was never seen")
	}
	// Same shell, same state, working again.
	out = syncBuf{}
	if res, err := r.Run(ctx, "pwd; echo $X", &out, 10*time.Second, false); err != nil || res.ExitCode != 0 || out.String() != "/tmp\n5\n" {
		t.Fatalf("after reconnect: %+v %v %q", res, err, out.String())
	}
	if len(opened) != 1 {
		t.Fatalf("%d shells opened, want the one", len(opened))
	}
}

// TestDaytonaShellRestartsWithStateAfterExit: exit, exec and set -e end
// the PTY shell; the next command runs in a new one with the same cwd and
// exported variables.
func TestDaytonaShellRestartsWithStateAfterExit(t *testing.T) {
	sb, d := realdaemon.Sandbox(t)
	ctx := context.Background()
	r := shellrun.New(sb.(sandbox.Terminal), sandbox.ShellSpec{}, "")
	defer r.Close(ctx)
	run := func(cmd string) (string, shellrun.Result) {
		var out syncBuf
		res, err := r.Run(ctx, cmd, &out, 10*time.Second, false)
		if err != nil {
			t.Fatalf("%q: %v", cmd, err)
		}
		return out.String(), res
	}
	run("mkdir -p /tmp/rs && cd /tmp/rs && export KEEP='a b'")
	for _, c := range []struct {
		cmd  string
		code int
	}{{"exit 3", 3}, {"exec true", 0}, {"set -e; false", 1}} {
		_, res := run(c.cmd)
		if !res.Restarted || res.ExitCode != c.code {
			t.Fatalf("%q: %+v", c.cmd, res)
		}
		out, res := run(`pwd; echo "$KEEP"`)
		if out != "/tmp/rs\na b\n" || res.ExitCode != 0 {
			t.Fatalf("after %q: %q %+v", c.cmd, out, res)
		}
	}
	// Every ended shell's PTY session is gone; only the current one is left.
	if ids, err := d.PtySessions(ctx); err != nil || len(ids) != 1 {
		t.Fatalf("PTY sessions: %v %v", ids, err)
	}
}

// TestDaytonaShellResize: stty sees the new size.
func TestDaytonaShellResize(t *testing.T) {
	sb, _ := realdaemon.Sandbox(t)
	ctx := context.Background()
	sh, err := sb.(sandbox.Terminal).OpenShell(ctx, sandbox.ShellSpec{Cols: 80, Rows: 24})
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close(ctx)
	if err := sh.Resize(ctx, 132, 40); err != nil {
		t.Fatal(err)
	}
	if err := sh.Send(ctx, []byte("stty size\n")); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 4096)
	for deadline := time.Now().Add(5 * time.Second); !bytes.Contains(got, []byte("40 132")); {
		if time.Now().After(deadline) {
			t.Fatalf("no '40 132' in %q", got)
		}
		n, err := sh.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("%v after %q", err, got)
		}
	}
	if !strings.Contains(string(got), "40 132") {
		t.Fatal(string(got))
	}
}

// termFunc is a sandbox.Terminal made of a function, keeping ReadFile of
// the sandbox (the resync reads the state file).
type termWrap struct {
	open func(ctx context.Context, spec sandbox.ShellSpec) (sandbox.Shell, error)
	sandbox.Sandbox
}

func (w termWrap) OpenShell(ctx context.Context, spec sandbox.ShellSpec) (sandbox.Shell, error) {
	return w.open(ctx, spec)
}

func termFunc(open func(ctx context.Context, spec sandbox.ShellSpec) (sandbox.Shell, error), sb sandbox.Sandbox) termWrap {
	return termWrap{open: open, Sandbox: sb}
}
