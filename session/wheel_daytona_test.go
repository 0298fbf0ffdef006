package session

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox/daytona/daytonatest/realdaemon"
)

// TestWheelOnDaytonaRecordsAndLeavesNoPTY: on Daytona's real toolbox
// daemon the wheel is a PTY session of its own; the user's commands and
// files are recorded, and after hand-back the daemon has no PTY session
// and the sandbox no process of the user's left.
func TestWheelOnDaytonaRecordsAndLeavesNoPTY(t *testing.T) {
	sb, d := realdaemon.Sandbox(t)
	srv := llmtest.NewServer(t)
	s, err := New(Options{Sandbox: sb, Model: wireClient(t, srv), ModelName: "test-model"})
	if err != nil {
		t.Fatal(err)
	}
	c := collect(s)
	defer c.finish(t, s)
	start := time.Now()
	w, err := s.TakeWheel(context.Background(), 90, 25)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("take the wheel (PTY open + ready): %s", time.Since(start))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if ids, err := d.PtySessions(ctx); err != nil || len(ids) != 1 {
		t.Fatalf("PTY sessions with the wheel taken: %v %v", ids, err)
	}
	sc := readWheel(w)
	typeCommands(t, w, sc, "echo hi > f", "stty size", "nohup sleep 974 >/dev/null 2>&1 &")
	if !strings.Contains(sc.out.String(), "25 90") {
		t.Errorf("stty size inside the wheel: %q", sc.out.String())
	}
	if err := w.Resize(ctx, 100, 30); err != nil {
		t.Fatal(err)
	}
	typeCommands(t, w, sc, "stty size")
	if !strings.Contains(sc.out.String(), "30 100") {
		t.Errorf("stty size after resize: %q", sc.out.String())
	}
	start = time.Now()
	info, err := w.HandBack(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("hand back (close + log + compare): %s", time.Since(start))
	if len(info.Commands) != 4 || info.Commands[0].Command != "echo hi > f" || info.CommandsUnknown != "" {
		t.Errorf("commands = %+v (%q)", info.Commands, info.CommandsUnknown)
	}
	if len(info.Files) != 1 || info.Files[0] != (FileChange{"f", FileAdded}) {
		t.Errorf("files = %+v (%q)", info.Files, info.FilesUnknown)
	}
	ptys, err := d.PtySessions(ctx)
	if err != nil || len(ptys) != 0 {
		t.Errorf("PTY sessions after hand-back: %v %v", ptys, err)
	}
	var left []string
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		left = nil
		for _, p := range ttOurProcesses(d) {
			if strings.Contains(p.Args, "sleep 974") {
				left = append(left, p.Args)
			}
		}
		if len(left) == 0 {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("the user's background job outlived the hand-back: %v", left)
	}
}
