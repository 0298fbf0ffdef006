package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tui runs a README command that opens the terminal UI in a tmux pane,
// checks the screen a user would see, uses it a little and quits with
// ctrl+q; the command must then exit 0.
func (r *readmeRun) tui(t *testing.T, c readmeCmd) {
	dir := t.TempDir()
	rcFile := filepath.Join(dir, "rc")
	var b strings.Builder
	b.WriteString("#!/bin/sh\ncd " + shellQuote(r.dir) + "\nenv -i")
	for _, kv := range r.env() {
		b.WriteString(" " + shellQuote(kv))
	}
	b.WriteString(" bash -c " + shellQuote(c.text) + " 2>" + shellQuote(filepath.Join(dir, "stderr")) + "\n")
	b.WriteString("echo $? >" + shellQuote(rcFile) + "\nsleep 600\n")
	script := filepath.Join(dir, "pane.sh")
	if err := os.WriteFile(script, []byte(b.String()), 0o700); err != nil {
		t.Fatal(err)
	}
	u := &tui{sock: filepath.Join(dir, "tmux.sock")}
	if out, err := u.tmux("new-session", "-d", "-s", "main", "-x", "120", "-y", "36", script); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = u.tmux("kill-server") })
	screen := func() string { out, _ := u.tmux("capture-pane", "-p", "-t", "main"); return out }
	waitFor := func(want string, d time.Duration) {
		t.Helper()
		deadline := time.Now().Add(d)
		for !strings.Contains(screen(), want) {
			if time.Now().After(deadline) {
				errb, _ := os.ReadFile(filepath.Join(dir, "stderr"))
				t.Fatalf("%s: the screen never showed %q; it shows:\n%s\nstderr:\n%s", c.text, want, screen(), errb)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	typeLine := func(s string) {
		_, _ = u.tmux("send-keys", "-t", "main", "-l", s)
		_, _ = u.tmux("send-keys", "-t", "main", "Enter")
	}
	// `go run .` compiles first: minutes on a cold cache.
	waitFor("step off", 5*time.Minute)
	waitFor("started", time.Minute)
	model := r.model || strings.Contains(c.text, "LLM_MODEL=")
	switch {
	case !model:
		// The README: with no model tether still opens, `!ls` runs a
		// command and the banner says what to set.
		waitFor("no model configured", 5*time.Second)
		typeLine("!echo readme-$((6*7))")
		waitFor("readme-42", 30*time.Second)
	case strings.Contains(c.text, "--fleet"):
		waitFor("sessions 1/1", 5*time.Second)
		typeLine("say fleet says hi")
		waitFor("● fleet says hi", 30*time.Second)
	default:
		typeLine("say hello from the readme")
		waitFor("● hello from the readme", 30*time.Second)
		waitFor("finished", 30*time.Second)
	}
	_, _ = u.tmux("send-keys", "-t", "main", "C-q")
	deadline := time.Now().Add(time.Minute)
	for {
		b, err := os.ReadFile(rcFile)
		if err == nil && len(b) > 0 {
			if code, _ := strconv.Atoi(strings.TrimSpace(string(b))); code != 0 {
				errb, _ := os.ReadFile(filepath.Join(dir, "stderr"))
				t.Errorf("%s: exit %d after ctrl+q\n%s", c.text, code, errb)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still running a minute after ctrl+q:\n%s", c.text, screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
