package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

// TestE2ECleanupSparesLiveRuns: `tether cleanup --yes` run while another
// tether is working must not delete that run's sandbox, nor one kept on
// purpose with `tether sandbox create`; the run then ends normally.
func TestE2ECleanupSparesLiveRuns(t *testing.T) {
	for _, prov := range allProviders {
		t.Run(prov, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, prov)
			kept, stderr, code := e.run(30*time.Second, "sandbox", "create")
			kept = strings.TrimSpace(kept)
			if code != 0 || kept == "" {
				t.Fatalf("sandbox create: exit %d\n%s", code, stderr)
			}
			e.llm.Enqueue(llmtest.ToolReply(e.sleepCall()), llmtest.TextReply("never reached"))
			p := e.start("run", "sleep a long time")
			e.waitMarked(p, 30*time.Second)
			before := append(e.localSandboxes(), e.live()...)

			out, stderr, code := e.run(30*time.Second, "cleanup", "--yes")
			if code != 0 || !strings.Contains(out, "no orphaned") {
				t.Errorf("cleanup with a live run (exit %d):\n%s\n%s", code, out, stderr)
			}
			after := append(e.localSandboxes(), e.live()...)
			if len(after) != len(before) || len(after) != 2 {
				t.Errorf("cleanup deleted a live or kept sandbox: %v -> %v", before, after)
			}
			if len(markedProcs(e.marker)) == 0 {
				t.Errorf("cleanup killed the live run's command")
			}

			_ = p.cmd.Process.Signal(syscall.SIGINT)
			if code := p.wait(t, 30*time.Second); code != 1 {
				t.Errorf("run exit %d after SIGINT, want 1", code)
			}
			if out, se, code := e.run(30*time.Second, "sandbox", "rm", kept); code != 0 {
				t.Errorf("sandbox rm %s: exit %d\n%s\n%s", kept, code, out, se)
			}
			e.assertNoLeaks("cleanup-spares-live/" + prov)
		})
	}
}

// TestE2ESandboxExecInterrupt: Ctrl+C on `tether sandbox exec` stops the
// command in the sandbox (the sandbox itself is kept: it was made by hand).
func TestE2ESandboxExecInterrupt(t *testing.T) {
	for _, prov := range allProviders {
		t.Run(prov, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, prov)
			id, stderr, code := e.run(30*time.Second, "sandbox", "create")
			id = strings.TrimSpace(id)
			if code != 0 || id == "" {
				t.Fatalf("sandbox create: exit %d\n%s", code, stderr)
			}
			p := e.start("sandbox", "exec", id, "sleep "+e.marker)
			e.waitMarked(p, 30*time.Second)
			_ = p.cmd.Process.Signal(syscall.SIGINT)
			code = p.wait(t, 30*time.Second)
			if code == 0 {
				t.Errorf("interrupted exec exited 0")
			}
			assertNoPanic(t, p.stderr.String())
			logStderr(t, p.stderr.String())
			deadline := time.Now().Add(5 * time.Second)
			for len(markedProcs(e.marker)) != 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := markedProcs(e.marker); len(n) != 0 {
				t.Errorf("the command outlived Ctrl+C on `tether sandbox exec`: %v", n)
			}
			if out, se, code := e.run(30*time.Second, "sandbox", "rm", id); code != 0 {
				t.Errorf("sandbox rm: exit %d\n%s\n%s", code, out, se)
			}
			e.assertNoLeaks("sandbox-exec-sigint/" + prov)
		})
	}
}
