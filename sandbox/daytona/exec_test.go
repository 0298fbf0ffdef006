package daytona_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

func TestDaytonaExecStreamsLive(t *testing.T) {
	srv, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	dir, _ := srv.Sandbox(sb.ID())
	// The command cannot end before the test has seen its first output,
	// so seeing it proves output arrives while the command runs. The "--"
	// pads the line: the SDK holds back the last 2 bytes of each frame.
	out, errOut := dtNewBuf("ready-to-go"), dtNewBuf("")
	go func() {
		select {
		case <-out.seen:
			_ = os.WriteFile(filepath.Join(dir.Dir, "go"), nil, 0o644)
		case <-time.After(20 * time.Second):
		}
	}()
	res, err := sb.Exec(context.Background(), sandbox.ExecRequest{
		Command: `echo ready-to-go--; echo oops >&2; while [ ! -e go ]; do sleep 0.02; done; echo done`,
		Stdout:  out, Stderr: errOut, Timeout: 20 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || res.TimedOut {
		t.Fatalf("result %+v (the output never streamed while the command ran?)", res)
	}
	if out.String() != "ready-to-go--\ndone\n" || errOut.String() != "oops\n" {
		t.Errorf("stdout=%q stderr=%q", out.String(), errOut.String())
	}
}

// TestDaytonaExecLeavesNoToolboxSession: Exec runs over PTY sessions it
// deletes before returning (no session command, whose sessions linger,
// and no kill request on the normal path).
func TestDaytonaExecLeavesNoToolboxSession(t *testing.T) {
	srv, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	for range 3 {
		if res, out, errOut := dtExec(t, sb, sandbox.ExecRequest{Command: "echo o; echo e >&2"}); res.ExitCode != 0 || out != "o\n" || errOut != "e\n" {
			t.Fatalf("%+v %q %q", res, out, errOut)
		}
		// Sessions are deleted before Exec returns; their shells take a
		// moment to be reaped.
		dtIdle(t, srv, sb.ID(), 2*time.Second)
	}
	base := "/toolbox/" + sb.ID() + "/process/"
	if n := srv.CountRequests("POST", base+"session"); n != 0 {
		t.Errorf("session requests = %d, want 0", n)
	}
	if n := srv.CountRequests("POST", base+"execute"); n != 0 {
		t.Errorf("ExecuteCommand used %d times on the normal path", n)
	}
	if n := srv.CountRequests("POST", base+"pty"); n != 6 {
		t.Errorf("PTY sessions created = %d, want 6 (stdout and stderr, 3 times)", n)
	}
}

func TestDaytonaExecExitCodes(t *testing.T) {
	_, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	for cmd, want := range map[string]int{"true": 0, "false": 1, "exit 3": 3, "(exit 7)": 7, "kill -TERM $$": 143} {
		res, _, _ := dtExec(t, sb, sandbox.ExecRequest{Command: cmd})
		if res.ExitCode != want || res.Cancelled || res.TimedOut {
			t.Errorf("%q: %+v, want exit %d", cmd, res, want)
		}
	}
	// `exit 3` did not take the session's shell down.
	if res, out, _ := dtExec(t, sb, sandbox.ExecRequest{Command: "echo still-here"}); res.ExitCode != 0 || out != "still-here\n" {
		t.Errorf("after exit: %+v %q", res, out)
	}
}

func TestDaytonaExecCwdEnv(t *testing.T) {
	_, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	if err := sb.WriteFile(context.Background(), "sub dir/x", []byte("x")); err != nil {
		t.Fatal(err)
	}
	_, out, _ := dtExec(t, sb, sandbox.ExecRequest{Command: "pwd"})
	if strings.TrimSpace(out) != sb.WorkDir() {
		t.Errorf("default cwd %q, want %q", out, sb.WorkDir())
	}
	_, out, _ = dtExec(t, sb, sandbox.ExecRequest{Command: "pwd; cat x", Cwd: "sub dir"})
	if out != filepath.Join(sb.WorkDir(), "sub dir")+"\nx" {
		t.Errorf("relative cwd: %q", out)
	}
	tricky := `it's "quoted" $HOME ; rm -rf /nope`
	_, out, _ = dtExec(t, sb, sandbox.ExecRequest{Command: `printf '%s|%s' "$A" "$B_2"`, Env: map[string]string{"A": tricky, "B_2": ""}})
	if out != tricky+"|" {
		t.Errorf("env: %q", out)
	}
	res, _, errOut := dtExec(t, sb, sandbox.ExecRequest{Command: "true", Cwd: "/no/such/dir"})
	if res.ExitCode == 0 || !strings.Contains(errOut, "/no/such/dir") {
		t.Errorf("missing cwd: %+v %q", res, errOut)
	}
	if _, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "true", Env: map[string]string{"1BAD": "x"}}); err == nil {
		t.Error("bad env name accepted")
	}
	if _, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "  "}); err == nil {
		t.Error("empty command accepted")
	}
}

// dtTreeCommand starts a process tree: a background child, one that drops
// tether's environment tag (only the session kill reaches it), one
// that escapes into its own session (only the tag reaches it), and a
// foreground sleep. It records pids in the work dir and says "tree-is-up"
// once all are running.
const dtTreeCommand = `sleep 1000 & echo $! > bg.pid
env -u TETHER_EXEC_ID sleep 1000 & echo $! > untagged.pid
setsid bash -c 'echo $$ > esc.pid; exec sleep 1000' &
echo $$ > main.pid
while [ ! -s esc.pid ]; do sleep 0.01; done
echo tree-is-up
sleep 1000`

func TestDaytonaExecCancelKillsTree(t *testing.T) {
	srv, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	ctx, cancel := context.WithCancel(context.Background())
	out := dtNewBuf("tree-is-up")
	var cancelledAt time.Time
	go func() {
		select {
		case <-out.seen:
		case <-time.After(20 * time.Second):
		}
		cancelledAt = time.Now()
		cancel()
	}()
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: dtTreeCommand, Stdout: out})
	returned := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if !res.Cancelled || res.ExitCode != -1 {
		t.Errorf("result %+v, want cancelled with exit -1", res)
	}
	if !strings.Contains(out.String(), "tree-is-up") {
		t.Fatalf("the tree never came up: %q", out.String())
	}
	if d := returned.Sub(cancelledAt); d > 3*time.Second {
		t.Errorf("Exec returned %s after cancel", d)
	}
	// The whole tree is gone (the daemon's view, its PID namespace).
	dtIdle(t, srv, sb.ID(), 3*time.Second)
	// The sandbox still runs commands afterwards.
	if res, out, _ := dtExec(t, sb, sandbox.ExecRequest{Command: "echo again"}); res.ExitCode != 0 || out != "again\n" {
		t.Errorf("after cancel: %+v %q", res, out)
	}
}

func TestDaytonaExecTimeout(t *testing.T) {
	srv, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	start := time.Now()
	res, out, _ := dtExec(t, sb, sandbox.ExecRequest{Command: dtTreeCommand, Timeout: 700 * time.Millisecond})
	if !res.TimedOut || res.Cancelled || res.ExitCode != -1 {
		t.Errorf("result %+v, want timed out", res)
	}
	if !strings.Contains(out, "tree-is-up") {
		t.Fatalf("the tree never came up within the timeout: %q", out)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a 700ms timeout took %s", d)
	}
	dtIdle(t, srv, sb.ID(), 3*time.Second)
}

func TestDaytonaExecCancelledBeforeStart(t *testing.T) {
	srv, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := len(srv.Requests())
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "touch ran"})
	if err != nil || !res.Cancelled {
		t.Fatalf("%+v %v", res, err)
	}
	if len(srv.Requests()) != before {
		t.Error("a cancelled Exec still talked to the toolbox")
	}
}

func TestDaytonaExecConcurrent(t *testing.T) {
	_, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, out, errOut := dtExec(t, sb, sandbox.ExecRequest{Command: fmt.Sprintf("sleep 0.1; echo out-%d; echo err-%d >&2; exit %d", i, i, i)})
			if res.ExitCode != i || out != fmt.Sprintf("out-%d\n", i) || errOut != fmt.Sprintf("err-%d\n", i) {
				t.Errorf("exec %d: %+v %q %q", i, res, out, errOut)
			}
		}()
	}
	wg.Wait()
}

func TestDaytonaExecLargeOutput(t *testing.T) {
	_, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	res, out, _ := dtExec(t, sb, sandbox.ExecRequest{Command: "seq 1 50000"})
	var want strings.Builder
	for i := 1; i <= 50000; i++ {
		fmt.Fprintf(&want, "%d\n", i)
	}
	if res.ExitCode != 0 || out != want.String() {
		t.Errorf("exit %d, %d bytes, want %d", res.ExitCode, len(out), want.Len())
	}
}

// A cancel that lands while the command is only just starting still kills
// it (the kill waits briefly for the command to record its group).
func TestDaytonaExecCancelRightAfterStart(t *testing.T) {
	srv, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	marker := fmt.Sprintf("1%d.5", time.Now().UnixNano()%100000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Cancel as soon as the toolbox has been asked to run it.
		for srv.CountRequests("POST", "/toolbox/"+sb.ID()+"/process/pty") < 1 {
			time.Sleep(50 * time.Microsecond)
		}
		cancel()
	}()
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "sleep " + marker})
	if err != nil || !res.Cancelled {
		t.Fatalf("%+v %v", res, err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for dtFindCmdline("sleep\x00"+marker) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("sleep %s survived a cancel right after start", marker)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dtFindCmdline returns the pid of a live process whose command line
// starts with prefix, or 0.
func dtFindCmdline(prefix string) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.HasPrefix(string(b), prefix) && dtAlive(pid) {
			return pid
		}
	}
	return 0
}

func TestDaytonaCloseDuringExec(t *testing.T) {
	_, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	out := dtNewBuf("running--")
	go func() {
		select {
		case <-out.seen:
		case <-time.After(20 * time.Second):
		}
		_ = sb.Close(context.Background())
	}()
	start := time.Now()
	_, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "echo running----; sleep 1000", Stdout: out})
	if !errors.Is(err, sandbox.ErrClosed) {
		t.Errorf("err = %v, want ErrClosed", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Exec took %s to notice Close", d)
	}
}

// A background child that keeps the output open does not hold Exec: it
// returns when the command's shell exits, as the toolbox reports it.
func TestDaytonaExecBackgroundChild(t *testing.T) {
	_, p := dtFake(t)
	sb := dtCreate(t, p, sandbox.Spec{})
	start := time.Now()
	res, out, _ := dtExec(t, sb, sandbox.ExecRequest{Command: "sleep 30 & echo started"})
	if res.ExitCode != 0 || out != "started\n" {
		t.Errorf("%+v %q", res, out)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Exec waited %s for a background child", d)
	}
}
