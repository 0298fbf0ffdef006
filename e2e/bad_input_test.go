package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestE2EBadInputIsRefused: values that used to be accepted silently (or
// hang, or eat memory) end in exit 1 or 2 with an error naming the problem,
// before any sandbox is made.
func TestE2EBadInputIsRefused(t *testing.T) {
	e := newEnv(t, "local")
	fifo := filepath.Join(e.root, "fifo.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// The matrix: 10 cases × 100 models × 1000 runs; refused
	// before anything is built (it used to run out of memory).
	var big strings.Builder
	big.WriteString("[matrix]\nmodels = [")
	for i := range 100 {
		fmt.Fprintf(&big, "%q, ", fmt.Sprint("m", i))
	}
	big.WriteString("]\nruns = 1000\n")
	for i := range 10 {
		fmt.Fprintf(&big, "[[case]]\nname = \"c%d\"\nprompt = \"p\"\n", i)
	}
	bigSuite := filepath.Join(e.root, "big.toml")
	if err := os.WriteFile(bigSuite, []byte(big.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--timeout", "-1s", "hi"}, "--timeout -1s: must not be negative"},
		{[]string{"run", "--budget", "NaN", "hi"}, "session.max_budget_usd must be a number"},
		{[]string{"run", "--config", "/dev/zero", "hi"}, "/dev/zero is not a regular file (a device)"},
		{[]string{"run", "--config", fifo, "hi"}, "is not a regular file (a named pipe)"},
		{[]string{"suite", "run", "/dev/zero"}, "/dev/zero is not a regular file"},
		{[]string{"suite", "run", fifo}, "is not a regular file (a named pipe)"},
		{[]string{"run", "-f", "/dev/zero"}, "the prompt is more than 8 MiB"},
		{[]string{"run", "--at", "-1", "--resume", "r.jsonl", "hi"}, "--at -1: events are numbered from 1"},
		{[]string{"suite", "run", "-j", "-5", "s.toml"}, "-j must be at least 1 (got -5)"},
		{[]string{"suite", "run", bigSuite}, "big.toml:7: case[1]: with case \"c1\""},
		{[]string{"suite", "run", "--max-cases", "50", bigSuite}, "more than the 50 allowed (--max-cases)"},
	} {
		out, stderr, code := e.run(20*time.Second, tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want an error saying %q:\n%s\n%s", tc.args, code, tc.want, out, stderr)
		}
	}
	if n := len(e.localSandboxes()); n != 0 {
		t.Errorf("%d sandboxes were created for refused input", n)
	}
}
