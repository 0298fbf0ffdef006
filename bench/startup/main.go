// Command startup measures the time from starting tether to its first
// frame, two ways:
//
//   - in process: from before app.StartEngine (which begins creating a
//     local sandbox in the background, isolation auto) to the first frame
//     the Bubble Tea renderer writes (to a recorder, 160×48); also when
//     the frame first shows the sandbox started, and the first frame when
//     sandbox creation is made to take 1 s more. This is the UI's own
//     start-up, without exec and Go runtime start.
//   - the real binary (-bin, optional): from exec to the first bytes of the
//     first frame (the prompt placeholder) on a pseudo-terminal made by
//     script(1), which also counts script, sh and stty (a few ms), so it
//     is an upper bound. It runs with HOME in a scratch directory and no
//     model configured, then is sent SIGTERM.
//
// Each is repeated -n times; the median and worst are reported.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/app"
	"github.com/tether-dev/tether/bench/internal/rig"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/ui"
)

func main() {
	bin := flag.String("bin", "", "tether binary to time in a pty (optional)")
	n := flag.Int("n", 10, "repetitions")
	flag.Parse()
	var inproc, ready, slow, real []time.Duration
	for i := 0; i < *n; i++ {
		f, r, err := inProcess(0)
		if err != nil {
			fmt.Fprintln(os.Stderr, "startup:", err)
			os.Exit(1)
		}
		inproc, ready = append(inproc, f), append(ready, r)
		f, _, err = inProcess(time.Second)
		if err != nil {
			fmt.Fprintln(os.Stderr, "startup:", err)
			os.Exit(1)
		}
		slow = append(slow, f)
		if *bin != "" {
			d, err := binary(*bin)
			if err != nil {
				fmt.Fprintln(os.Stderr, "startup:", err)
				os.Exit(1)
			}
			real = append(real, d)
		}
	}
	fmt.Printf("RESULT first_frame_inprocess_p50_ms %s\n", rig.Ms(rig.Percentile(inproc, 50)))
	fmt.Printf("RESULT first_frame_inprocess_max_ms %s\n", rig.Ms(rig.Percentile(inproc, 100)))
	fmt.Printf("RESULT sandbox_started_shown_p50_ms %s\n", rig.Ms(rig.Percentile(ready, 50)))
	fmt.Printf("RESULT first_frame_slow_sandbox_max_ms %s\n", rig.Ms(rig.Percentile(slow, 100)))
	if len(real) > 0 {
		fmt.Printf("RESULT first_frame_binary_p50_ms %s\n", rig.Ms(rig.Percentile(real, 50)))
		fmt.Printf("RESULT first_frame_binary_max_ms %s\n", rig.Ms(rig.Percentile(real, 100)))
	}
}

// recorder notes when the first frame and the first "started" frame are
// written. Bubble Tea writes a frame in one write per flush.
type recorder struct {
	first, started chan time.Time
	gotFirst       bool
	gotStarted     bool
}

func (r *recorder) Write(p []byte) (int, error) {
	now := time.Now()
	s := ansi.Strip(string(p))
	if !r.gotFirst && strings.Contains(s, "prompt") {
		r.gotFirst = true
		r.first <- now
	}
	if !r.gotStarted && strings.Contains(s, "started") {
		r.gotStarted = true
		r.started <- now
	}
	return len(p), nil
}

// slowProvider makes sandbox creation take at least delay, to show that
// the first frame does not wait for it.
type slowProvider struct {
	sandbox.Provider
	delay time.Duration
}

func (p slowProvider) Create(ctx context.Context, spec sandbox.Spec) (sandbox.Sandbox, error) {
	select {
	case <-time.After(p.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return p.Provider.Create(ctx, spec)
}

// inProcess times one start; createDelay > 0 slows sandbox creation down.
func inProcess(createDelay time.Duration) (first, started time.Duration, err error) {
	dir, err := os.MkdirTemp("", "tether-startup-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	rec := &recorder{first: make(chan time.Time, 1), started: make(chan time.Time, 1)}
	t0 := time.Now()
	prov, err := local.NewProvider(local.Options{BaseDir: filepath.Join(dir, "sb")})
	if err != nil {
		return 0, 0, err
	}
	var p0 sandbox.Provider = prov
	if createDelay > 0 {
		p0 = slowProvider{prov, createDelay}
	}
	eng := app.StartEngine(app.EngineOptions{Provider: p0})
	m := ui.New(eng, ui.Options{SpillDir: dir, QuitDelay: -1})
	p := tea.NewProgram(m, tea.WithInput(nil), tea.WithOutput(rec), tea.WithWindowSize(160, 48), tea.WithoutSignalHandler())
	done := make(chan struct{})
	go func() {
		defer close(done)
		final, _ := p.Run()
		if fm, ok := final.(ui.Model); ok {
			_ = fm.Close()
		}
	}()
	var t1, t2 time.Time
	select {
	case t1 = <-rec.first:
	case <-time.After(10 * time.Second):
		err = fmt.Errorf("no first frame in 10s")
	}
	if err == nil {
		select {
		case t2 = <-rec.started:
		case <-time.After(10 * time.Second):
			err = fmt.Errorf("the sandbox was not shown started in 10s")
		}
	}
	p.Send(tea.KeyPressMsg{Code: 'q', Mod: tea.ModCtrl})
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.Kill()
		<-done
	}
	eng.Detach()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = eng.Shutdown(ctx)
	return t1.Sub(t0), t2.Sub(t0), err
}

// syncBuf collects the pty output; the reader goroutine signals when the
// first frame's text has arrived.
type syncBuf struct {
	buf  bytes.Buffer
	seen chan time.Time
	done bool
}

func (b *syncBuf) Write(p []byte) (int, error) {
	now := time.Now()
	b.buf.Write(p)
	if !b.done && strings.Contains(ansi.Strip(b.buf.String()), "Tell the agent") || !b.done && strings.Contains(ansi.Strip(b.buf.String()), "!cmd") {
		b.done = true
		b.seen <- now
	}
	return len(p), nil
}

func binary(bin string) (time.Duration, error) {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return 0, err
	}
	home, err := os.MkdirTemp("", "tether-startup-home-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(home)
	out := &syncBuf{seen: make(chan time.Time, 1)}
	cmd := exec.Command("script", "-qfec", "stty cols 160 rows 48; exec "+abs, "/dev/null")
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TERM=xterm-256color"}
	cmd.Stdout = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, err
	}
	defer stdin.Close()
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("run %s under script(1): %w", bin, err)
	}
	var d time.Duration
	select {
	case t := <-out.seen:
		d = t.Sub(t0)
	case <-time.After(10 * time.Second):
		err = fmt.Errorf("no first frame from %s in 10s; output: %q", bin, out.buf.String())
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	waited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-waited
	}
	return d, err
}
