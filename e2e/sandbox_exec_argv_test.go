package e2e

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestE2ESandboxExecArgvAndShellString: `tether sandbox exec ID --
// PROGRAM ARGS...` (or several words) runs the program with every argument
// intact, one word is a shell string, the exit code comes back, and the
// same holds on both providers; on Daytona no toolbox session is left.
func TestE2ESandboxExecArgvAndShellString(t *testing.T) {
	for _, prov := range providers {
		t.Run(prov, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, prov)
			idOut, stderr, code := e.run(60*time.Second, "sandbox", "create")
			id := strings.TrimSpace(idOut)
			if code != 0 || id == "" {
				t.Fatalf("sandbox create: exit %d\n%s\n%s", code, idOut, stderr)
			}
			for _, c := range []struct {
				args []string
				out  string
				code int
			}{
				{[]string{"--", "sh", "-c", `printf '%s|' "$@"`, "x", "a b", "c'd", "$HOME", "", "--"}, "a b|c'd|$HOME||--|", 0},
				{[]string{"printf", "%s\\n", "two words", "*"}, "two words\n*\n", 0},
				{[]string{"echo hi && echo 'there  now' | tr a-z A-Z"}, "hi\nTHERE  NOW\n", 0},
				{[]string{"--", "sh", "-c", "exit 3"}, "", 3},
				{[]string{"--", "echo hi"}, "", 127},
			} {
				out, stderr, code := e.run(60*time.Second, append([]string{"sandbox", "exec", id}, c.args...)...)
				if out != c.out || code != c.code {
					t.Errorf("sandbox exec %q: exit %d, stdout %q, want %d, %q\nstderr: %s", c.args, code, out, c.code, c.out, stderr)
				}
			}
			if _, stderr, code := e.run(30*time.Second, "sandbox", "exec", id, "--"); code == 0 || !strings.Contains(stderr, "want a command") {
				t.Errorf("sandbox exec with no command: exit %d\n%s", code, stderr)
			}
			if e.dayEnv != nil {
				d, ok := e.dayEnv.Daemon(id)
				if !ok {
					t.Fatal("no daemon for the kept sandbox")
				}
				procs, sessions, err := d.WaitIdle(context.Background(), 3*time.Second)
				if err != nil || len(procs) != 0 || len(sessions) != 0 {
					t.Errorf("left in the kept sandbox after the execs: processes %v, sessions %v (%v)", procs, sessions, err)
				}
			}
			if o, se, code := e.run(60*time.Second, "sandbox", "rm", id); code != 0 {
				t.Errorf("sandbox rm: exit %d\n%s\n%s", code, o, se)
			}
			e.assertNoLeaks("sandbox-exec-argv/" + prov)
		})
	}
}
