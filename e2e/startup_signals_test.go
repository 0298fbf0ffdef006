package e2e

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestE2ESignalWhileWaitingForThePrompt: `tether run -f FIFO` (or -f - on
// a terminal) waits for the prompt; SIGINT or SIGTERM then ends it at
// once, before any sandbox, instead of being swallowed while it waits.
func TestE2ESignalWhileWaitingForThePrompt(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			e := newEnv(t, "local")
			fifo := filepath.Join(e.root, "prompt.fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			p := e.start("run", "-f", fifo)
			time.Sleep(500 * time.Millisecond) // loading done, waiting on the FIFO
			sent := time.Now()
			_ = p.cmd.Process.Signal(sig)
			code := p.wait(t, 5*time.Second)
			took := time.Since(sent)
			if code == 0 || !strings.Contains(p.stderr.String(), "reading the prompt: stopped") {
				t.Errorf("exit %d after %s:\n%s", code, sig, p.stderr.String())
			}
			t.Logf("%s: exit %d, %s after the signal", sig, code, took.Round(time.Millisecond))
			if n := len(e.localSandboxes()); n != 0 {
				t.Errorf("%d sandboxes made while waiting for the prompt", n)
			}
		})
	}
}
