package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tether-dev/tether/app"
	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
	"github.com/tether-dev/tether/session"
)

// TestE2EKill9 kills tether with SIGKILL while its command sleeps: nothing
// of tether's own teardown runs. The recording must still read back to its
// last complete event, and `tether cleanup` must find the orphaned sandbox
// and, with --yes, delete it and its processes.
func TestE2EKill9(t *testing.T) {
	cases := []struct {
		name, provider, config string
	}{
		{"local-auto", "local", ""}, // bwrap when it works here
		{"local-none", "local", "[local]\nisolation = \"none\""},
		{"daytona", "daytona", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			kill9(t, c.name, c.provider, c.config)
		})
	}
}

func kill9(t *testing.T, name, provider, config string) {
	e := newEnv(t, provider, withConfig(config))
	e.llm.Enqueue(llmtest.ToolReply(e.sleepCall()), llmtest.TextReply("never reached"))
	p := e.start("run", "sleep a long time")
	e.waitMarked(p, 30*time.Second)
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	if code := p.wait(t, 10*time.Second); code != -1 {
		t.Errorf("exit code %d after SIGKILL, want -1", code)
	}
	time.Sleep(500 * time.Millisecond) // let death signals land
	survivors := markedProcs(e.marker)
	t.Logf("%s: %d sandbox process(es) outlived tether's SIGKILL by 0.5 s", name, len(survivors))
	for _, pid := range survivors {
		cl, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		if len(cl) > 60 {
			cl = cl[:60]
		}
		t.Logf("  survivor %d: %q", pid, bytes.ReplaceAll(cl, []byte{0}, []byte{' '}))
	}

	checkRecordingPrefix(t, e)

	sbs := append(e.localSandboxes(), e.live()...)
	if len(sbs) != 1 {
		t.Fatalf("sandboxes after SIGKILL: %v, want the run's one (tether had no chance to delete it)", sbs)
	}
	out, stderr, code := e.run(30*time.Second, "cleanup")
	if code != 0 || !strings.Contains(out, sbs[0]) || !strings.Contains(out, "no longer running") {
		t.Errorf("`tether cleanup` (exit %d) does not list %s as orphaned:\n%s\n%s", code, sbs[0], out, stderr)
	}
	out, stderr, code = e.run(30*time.Second, "cleanup", "--yes")
	if code != 0 || !strings.Contains(out, "deleted "+sbs[0]) {
		t.Errorf("`tether cleanup --yes` (exit %d):\n%s\n%s", code, out, stderr)
	}
	assertNoPanic(t, stderr)
	e.assertNoLeaks("kill9/" + name)
}

// checkRecordingPrefix: the recording a killed tether left is every line
// written, whole, except perhaps a torn last one, and ReadRecording returns
// the events up to the last complete one without error.
func checkRecordingPrefix(t *testing.T, e *e2eEnv) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(e.recordDir(), "*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("recordings: %v, want one", files)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	complete := 0
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if json.Valid(sc.Bytes()) {
			complete++
		} else if !bytes.HasSuffix(raw, sc.Bytes()) {
			t.Errorf("damaged line in the middle of the recording: %q", sc.Bytes())
		}
	}
	evs, err := session.ReadRecording(files[0])
	if err != nil {
		t.Fatalf("ReadRecording on a killed run's file: %v", err)
	}
	if len(evs) == 0 {
		t.Fatal("ReadRecording returned no events")
	}
	var sawAction bool
	for _, ev := range evs {
		if ev.Kind == session.KindAction && ev.Action != nil && strings.Contains(ev.Action.Command, e.marker) {
			sawAction = true
		}
	}
	if !sawAction {
		t.Errorf("the recording lacks the command running when tether was killed (%d events)", len(evs))
	}
	t.Logf("recording: %d complete lines, %d events read back", complete, len(evs))
}

// TestGuardPanic: a panic inside guard closes every registered sandbox
// (here a real local one with a running process) and is then re-raised.
func TestGuardPanic(t *testing.T) {
	base := t.TempDir()
	p, err := local.NewProvider(local.Options{BaseDir: base})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 30*time.Second)
	reg := sandbox.NewRegistry()
	sb, err := p.Create(ctx, sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	sb = reg.Track(sb)
	marker := "300.77" + sb.ID()[len(sb.ID())-4:]
	marker = strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r == '.' {
			return r
		}
		return '1'
	}, marker)
	t.Cleanup(func() { killMarked(marker) })
	started := make(chan error, 1)
	go func() {
		_, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "sleep " + marker})
		started <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(markedProcs(marker)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(markedProcs(marker)) == 0 {
		t.Fatal("the sandbox command never started")
	}

	var stderr bytes.Buffer
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		_ = app.Guard(reg, slog.New(slog.DiscardHandler), &stderr, func() error { panic("boom in the UI") })
	}()
	if recovered != "boom in the UI" {
		t.Errorf("guard re-raised %v, want the original panic value", recovered)
	}
	if reg.Len() != 0 {
		t.Errorf("registry still holds %d sandbox(es) after the panic", reg.Len())
	}
	if ents, _ := readDirNames(base); len(ents) != 0 {
		t.Errorf("sandbox dirs left after the panic: %v", ents)
	}
	deadline = time.Now().Add(3 * time.Second)
	for len(markedProcs(marker)) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := markedProcs(marker); len(n) != 0 {
		t.Errorf("sandbox processes survived the panic: %v", n)
	}
	left, _ := readDirNames(base)
	reportResult(t, "panic/guard", len(left), len(markedProcs(marker)), 0)
	select {
	case err := <-started:
		if err == nil {
			t.Errorf("the killed command reported success")
		} else if !errors.Is(err, sandbox.ErrClosed) {
			t.Logf("the command ended with: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("Exec did not return after its sandbox was closed")
	}
}

// TestE2EKill9WhileCreating: tether is killed while Daytona is still
// creating its sandbox. Once it exists, `tether cleanup --yes` removes it.
func TestE2EKill9WhileCreating(t *testing.T) {
	e := newEnv(t, "daytona")
	e.day.SetCreateDelay(time.Second)
	p := e.start("run", "hello")
	deadline := time.Now().Add(20 * time.Second)
	for e.day.CountRequests("POST", "/api/sandbox") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no create request\nstderr:\n%s", p.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	p.wait(t, 10*time.Second)
	// The fake answers the create once the sandbox's toolbox (a real
	// daemon) is up, which under load can outlast tether: wait for it.
	for deadline := time.Now().Add(10 * time.Second); len(e.day.Live()) == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if len(e.day.Live()) != 1 {
		t.Fatalf("live after SIGKILL while creating: %v, want the one being made", e.day.Live())
	}
	time.Sleep(time.Second) // it becomes "started"
	out, stderr, code := e.run(30*time.Second, "cleanup", "--yes")
	if code != 0 || !strings.Contains(out, "deleted ") {
		t.Errorf("`tether cleanup --yes` (exit %d):\n%s\n%s", code, out, stderr)
	}
	e.assertNoLeaks("kill9/daytona-while-creating")
}
