package session

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
)

// ttDaytonaProviders: Daytona's real toolbox daemon behind the in-process
// control plane (skipped where the binary or namespaces are missing).
func ttDaytonaProviders() []ttProvider {
	return []ttProvider{{"daytona", func(t testing.TB) sandbox.Sandbox {
		sb, _ := realdaemon.Sandbox(t)
		return sb
	}}}
}

// TestTerminalSessionEndLeavesNothingOnDaytona: when the session's
// terminal closes, the daemon has no PTY or toolbox session left and no
// process in the sandbox, also with a command still running in it.
func TestTerminalSessionEndLeavesNothingOnDaytona(t *testing.T) {
	sb, d := realdaemon.Sandbox(t)
	tool := NewTerminalTool().(*TerminalTool)
	start := time.Now()
	ttCall(t, tool, sb, map[string]any{"command": "cd /tmp && export A=1"})
	t.Logf("first command (opens the shell): %s", time.Since(start))
	res, _ := ttCall(t, tool, sb, map[string]any{"command": "nohup sleep 971 >/dev/null 2>&1 & setsid sleep 972 & sleep 973", "timeout": 0.5})
	if !res.Running {
		t.Fatalf("not running: %+v", res)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ids, err := d.PtySessions(ctx); err != nil || len(ids) != 1 {
		t.Fatalf("PTY sessions while the shell is open: %v %v", ids, err)
	}
	start = time.Now()
	if err := tool.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("close: %s", time.Since(start))
	ptys, err1 := d.PtySessions(ctx)
	sess, err2 := d.Sessions(ctx)
	var procs []realdaemon.Process
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		procs = ttOurProcesses(d)
		if len(procs) == 0 {
			break
		}
	}
	if len(ptys) != 0 || len(sess) != 0 || len(procs) != 0 || err1 != nil || err2 != nil {
		t.Fatalf("left after close: PTY sessions %v (%v), toolbox sessions %v (%v), processes %+v", ptys, err1, sess, err2, procs)
	}
}

// ttOurProcesses lists the sandbox's processes but the daemon's own
// helpers (its code interpreter's worker).
func ttOurProcesses(d *realdaemon.Daemon) []realdaemon.Process {
	all, _ := d.Processes()
	var out []realdaemon.Process
	for _, p := range all {
		if !strings.Contains(p.Args, "daytona_repl_worker") {
			out = append(out, p)
		}
	}
	return out
}
