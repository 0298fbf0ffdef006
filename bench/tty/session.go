package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tether-dev/tether/bench/internal/ptyterm"
)

// fakeLLM is bench/fakellm running on a free loopback port.
type fakeLLM struct {
	cmd      *exec.Cmd
	url      string
	finishes int
}

// next is the number the fake model's next finish will carry: it counts
// every command-running prompt it answered, in any session.
func (f *fakeLLM) next() int {
	f.finishes++
	return f.finishes
}

func startFakeLLM(bin string) (*fakeLLM, error) {
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start fakellm: %w", err)
	}
	sc := bufio.NewScanner(stderr)
	got := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "fakellm: serving on "); ok {
				got <- u
			}
		}
	}()
	select {
	case u := <-got:
		return &fakeLLM{cmd: cmd, url: u}, nil
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("fakellm did not say where it serves")
	}
}

func (f *fakeLLM) close() {
	_ = f.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = f.cmd.Process.Kill()
		<-done
	}
}

// tether is the real binary on a pty, configured for the fake model, with
// its home, state and config in a scratch directory.
type tether struct {
	*ptyterm.Term
	dir string
}

func tetherEnv(dir, llmURL string) []string {
	env := []string{
		"HOME=" + dir,
		"XDG_STATE_HOME=" + filepath.Join(dir, "state"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, "cache"),
		"PATH=" + os.Getenv("PATH"),
		"TERM=xterm-256color",
		"LANG=C.UTF-8",
	}
	if llmURL != "" {
		env = append(env, "LLM_BASE_URL="+llmURL, "LLM_MODEL=fake", "LLM_API_KEY=bench-fake-key")
	}
	for _, k := range []string{"TETHER_CPUPROFILE", "TETHER_TRACE"} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func startTether(bin, dir, llmURL string, w, h int) (*tether, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	t, err := ptyterm.Run(ptyterm.Options{Path: bin, Env: tetherEnv(dir, llmURL), Dir: dir, W: w, H: h})
	if err != nil {
		return nil, err
	}
	return &tether{Term: t, dir: dir}, nil
}

// sandboxBase is where this tether's local sandboxes live.
func (t *tether) sandboxBase() string { return filepath.Join(t.dir, "state", "tether", "sandboxes") }

// waitReady waits for the first frame, then for the sandbox to be up.
func (t *tether) waitReady() error {
	if _, err := t.WaitFor(isFirstFrame, 20*time.Second); err != nil {
		return err
	}
	_, err := t.WaitFor(sandboxStarted, 30*time.Second)
	return err
}

// sandboxStarted: the sandbox pane says the sandbox is up.
func sandboxStarted(l []string) bool { return ptyterm.Contains(l, "→ started") }

// isFirstFrame: the prompt's placeholder is on screen.
func isFirstFrame(l []string) bool {
	return ptyterm.Contains(l, "Tell the agent") || ptyterm.Contains(l, "!cmd")
}

// isFullFrame: the first frame at the terminal's size, the prompt's
// placeholder in the bottom rows (a frame drawn at a default 80×24 before
// the size is known has it higher up).
func isFullFrame(l []string) bool {
	return isFirstFrame(l[max(0, len(l)-6):])
}

// quit ends tether the way a user does (ctrl+q), falling back to signals.
func (t *tether) quit() {
	t.Send("\x11")
	select {
	case <-t.Exited():
	case <-time.After(20 * time.Second):
	}
	_ = t.Close(10 * time.Second)
	_ = syscall.Kill(-t.Cmd.Process.Pid, syscall.SIGKILL)
}
