package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
)

// tui is tether's terminal UI running in a private tmux server: a real
// pseudo-terminal, driven with send-keys and read with capture-pane.
type tui struct {
	e    *e2eEnv
	sock string
	pid  int
}

// startTUI opens the UI in a 100x30 tmux pane; it skips the test when
// tmux is not installed.
func (e *e2eEnv) startTUI(args ...string) *tui {
	e.t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		e.t.Skip("tmux is not installed: the TUI tests need a pseudo-terminal")
	}
	// The pane runs a script with exactly the test's environment, whatever
	// the tmux server inherited; exec keeps tether's pid the pane's pid.
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	if !e.tuiKeepPane {
		b.WriteString("exec ")
	}
	b.WriteString("env -i")
	for _, kv := range e.environ() {
		b.WriteString(" " + shellQuote(kv))
	}
	b.WriteString(" " + shellQuote(tetherBin))
	for _, a := range args {
		b.WriteString(" " + shellQuote(a))
	}
	if !e.tuiStderrOnTTY {
		b.WriteString(" 2>" + shellQuote(filepath.Join(e.root, "tui.stderr")))
	}
	b.WriteString("\n")
	if e.tuiKeepPane {
		b.WriteString("sleep 600\n")
	}
	script := filepath.Join(e.root, "tui.sh")
	if err := os.WriteFile(script, []byte(b.String()), 0o700); err != nil {
		e.t.Fatal(err)
	}
	u := &tui{e: e, sock: filepath.Join(e.root, "tmux.sock")}
	if out, err := u.tmux("new-session", "-d", "-s", "main", "-x", "100", "-y", "30", script); err != nil {
		e.t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	e.t.Cleanup(func() {
		_, _ = u.tmux("kill-server")
		if u.pid > 0 {
			_ = syscall.Kill(u.pid, syscall.SIGKILL)
		}
	})
	out, err := u.tmux("display-message", "-p", "-t", "main", "#{pane_pid}")
	if err != nil {
		e.t.Fatalf("tmux display-message: %v\n%s", err, out)
	}
	if u.pid, err = strconv.Atoi(strings.TrimSpace(out)); err != nil {
		e.t.Fatalf("pane pid %q: %v", out, err)
	}
	return u
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (u *tui) tmux(args ...string) (string, error) {
	cmd := exec.Command("tmux", append([]string{"-S", u.sock, "-f", "/dev/null"}, args...)...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TMUX") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// screen is the pane's text now.
func (u *tui) screen() string {
	out, _ := u.tmux("capture-pane", "-p", "-t", "main")
	return out
}

// waitScreen waits until the screen contains want.
func (u *tui) waitScreen(want string, d time.Duration) {
	u.e.t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(u.screen(), want) {
		if time.Now().After(deadline) {
			u.e.t.Fatalf("screen never showed %q; it shows:\n%s\nstderr:\n%s", want, u.screen(), u.stderr())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (u *tui) typeLine(s string) {
	u.e.t.Helper()
	if out, err := u.tmux("send-keys", "-t", "main", "-l", s); err != nil {
		u.e.t.Fatalf("send-keys: %v %s", err, out)
	}
	u.keys("Enter")
}

func (u *tui) keys(keys ...string) {
	u.e.t.Helper()
	if out, err := u.tmux(append([]string{"send-keys", "-t", "main"}, keys...)...); err != nil {
		u.e.t.Fatalf("send-keys %v: %v %s", keys, err, out)
	}
}

func (u *tui) stderr() string {
	b, _ := os.ReadFile(filepath.Join(u.e.root, "tui.stderr"))
	return string(b)
}

// alive reports whether tether still runs (a zombie counts as gone).
func pidAlive(pid int) bool {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(st)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func (u *tui) waitExit(d time.Duration) {
	u.e.t.Helper()
	deadline := time.Now().Add(d)
	for pidAlive(u.pid) {
		if time.Now().After(deadline) {
			u.e.t.Fatalf("the TUI (pid %d) did not exit within %s; screen:\n%s", u.pid, d, u.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestE2ETUI closes the UI three ways while a sandbox command sleeps:
// the terminal goes away (tmux killed: SIGHUP), SIGTERM, and ctrl+q then y.
// Each must leave no sandbox and no sandbox process.
func TestE2ETUI(t *testing.T) {
	for _, prov := range allProviders {
		// terminal-closed-tty: stderr too is the terminal that goes away, so
		// every write tether makes on its way out fails (EIO).
		for _, how := range []string{"terminal-closed", "terminal-closed-tty", "sigterm", "ctrl+q"} {
			t.Run(prov+"/"+how, func(t *testing.T) {
				t.Parallel()
				tuiExit(t, prov, how)
			})
		}
	}
}

func tuiExit(t *testing.T, prov, how string) {
	e := newEnv(t, prov)
	e.tuiStderrOnTTY = how == "terminal-closed-tty"
	e.llm.Enqueue(llmtest.ToolReply(e.sleepCall()), llmtest.TextReply("never reached"))
	u := e.startTUI()
	u.waitScreen("started", 30*time.Second) // the sandbox line
	if how == "sigterm" {
		u.typeLine("!sleep " + e.marker) // a user shell command
	} else {
		u.typeLine("please sleep") // the model's command
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(markedProcs(e.marker)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox command never started; screen:\n%s\nstderr:\n%s", u.screen(), u.stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
	switch how {
	case "terminal-closed", "terminal-closed-tty":
		if out, err := u.tmux("kill-server"); err != nil {
			t.Fatalf("tmux kill-server: %v %s", err, out)
		}
	case "sigterm":
		_ = syscall.Kill(u.pid, syscall.SIGTERM)
	case "ctrl+q":
		u.keys("C-q")
		u.waitScreen("Quit anyway?", 10*time.Second)
		u.keys("y")
	}
	u.waitExit(30 * time.Second)
	stderr := u.stderr()
	assertNoPanic(t, stderr)
	logStderr(t, stderr)
	e.assertNoLeaks("tui/" + prov + "/" + how)
}

// TestE2ETUIWhileCreating leaves the UI while Daytona is still creating
// the sandbox (ctrl+q, or the terminal closing): the sandbox being made
// must be deleted once it exists, not left running.
func TestE2ETUIWhileCreating(t *testing.T) {
	for _, how := range []string{"ctrl+q", "terminal-closed"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, "daytona")
			e.day.SetCreateDelay(3 * time.Second)
			u := e.startTUI()
			deadline := time.Now().Add(20 * time.Second)
			for e.day.CountRequests("POST", "/api/sandbox") == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("no create request; screen:\n%s", u.screen())
				}
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond)
			if how == "ctrl+q" {
				u.keys("C-q")
				time.Sleep(300 * time.Millisecond)
				if strings.Contains(u.screen(), "Quit anyway?") {
					u.keys("y")
				}
			} else if out, err := u.tmux("kill-server"); err != nil {
				t.Fatalf("tmux kill-server: %v %s", err, out)
			}
			u.waitExit(30 * time.Second)
			stderr := u.stderr()
			assertNoPanic(t, stderr)
			logStderr(t, stderr)
			e.assertNoLeaks("tui/daytona/" + how + "-while-creating")
		})
	}
}

// TestE2ETUIDeleteFails: Daytona refuses the delete when the UI quits. The
// user must be told, and `tether cleanup --yes` must then remove it.
func TestE2ETUIDeleteFails(t *testing.T) {
	e := newEnv(t, "daytona")
	e.day.FailNext("DELETE", "/api/sandbox/", 500, 1000)
	e.llm.Enqueue(llmtest.ToolReply(e.backgroundCall()), llmtest.TextReply("all done here"))
	u := e.startTUI()
	u.waitScreen("started", 30*time.Second)
	u.typeLine("go")
	u.waitScreen("all done here", 30*time.Second)
	u.keys("C-q")
	// The failure stays on screen until a key is pressed.
	u.waitScreen("Press any key", 30*time.Second)
	if screen := u.screen(); !strings.Contains(screen, "tether cleanup") {
		t.Errorf("after a failed delete the screen does not point at `tether cleanup`:\n%s", screen)
	}
	u.keys("Enter")
	u.waitExit(30 * time.Second)
	stderr := u.stderr()
	assertNoPanic(t, stderr)
	logStderr(t, stderr)
	if !strings.Contains(stderr, "tether cleanup") {
		t.Errorf("after a failed delete stderr does not point at `tether cleanup`:\n%s", stderr)
	}
	drainFaults(t, e)
	if live := e.day.Live(); len(live) != 1 {
		t.Fatalf("live sandboxes after the failed delete: %v, want one", live)
	}
	out, se, code := e.run(30*time.Second, "cleanup", "--yes")
	if code != 0 || !strings.Contains(out, "deleted ") {
		t.Errorf("`tether cleanup --yes` (exit %d):\n%s\n%s", code, out, se)
	}
	e.assertNoLeaks("tui/daytona/deletefails+cleanup")
}
