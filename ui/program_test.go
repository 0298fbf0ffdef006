package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

// These run the real Bubble Tea program: events arrive through the
// engine's channel and Shutdown runs as a command.

func startProgram(t *testing.T, eng *fakeEngine, opts Options) *teatest.TestModel {
	t.Helper()
	m := New(eng, opts)
	t.Cleanup(func() { _ = m.Close() })
	return teatest.NewTestModel(t, probed{m}, teatest.WithInitialTermSize(100, 30))
}

func finalModel(t *testing.T, tm *teatest.TestModel) Model {
	t.Helper()
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second))
	return fm.(probed).Model
}

func TestProgramQuitWhenIdleDeletesSandbox(t *testing.T) {
	eng := newFakeEngine()
	tm := startProgram(t, eng, testOptions())
	eng.Emit(evSandbox("started"))
	waitScreen(t, tm, 1, "local-abc")
	tm.Send(keyMsg("ctrl+c"))
	tm.Send(keyMsg("ctrl+c"))
	m := finalModel(t, tm)
	if eng.Count("Shutdown") != 1 {
		t.Fatalf("Shutdown calls = %d", eng.Count("Shutdown"))
	}
	log := strings.Join(m.TeardownLog(), "\n")
	// Both sandbox events are listed, and "done" only after them.
	i, j := strings.Index(log, "destroyed"), strings.Index(log, "done")
	if !strings.Contains(log, "deleting sandbox local-abc") || i < 0 || j < i {
		t.Fatalf("teardown log:\n%s", log)
	}
	if m.ShutdownErr() != nil {
		t.Fatal(m.ShutdownErr())
	}
}

func TestProgramQuitWhileRunningConfirms(t *testing.T) {
	eng := newFakeEngine()
	release := eng.BlockShutdown()
	tm := startProgram(t, eng, testOptions())
	eng.Emit(scriptRunning()...)
	waitScreen(t, tm, len(scriptRunning()), "running")
	tm.Send(keyMsg("ctrl+q"))
	waitScreen(t, tm, 0, "Quit anyway?")
	if eng.Count("Shutdown") != 0 {
		t.Fatal("Shutdown called before the user confirmed")
	}
	tm.Send(keyMsg("y"))
	// Shutdown is blocked: the teardown stays on screen, the UI still answers.
	waitScreen(t, tm, 0, "cancelling run")
	eng.Emit(uitest.State(session.StateRunning, session.StateCancelled, "shutting down"))
	waitScreen(t, tm, 0, "run cancelled")
	release()
	m := finalModel(t, tm)
	if got := m.TeardownLog(); got[len(got)-1] != "done" {
		t.Fatalf("teardown log: %q", got)
	}
}

func TestProgramShutdownFailureIsShown(t *testing.T) {
	eng := newFakeEngine()
	eng.FailShutdown(errors.New("delete sandbox local-abc: 503 service unavailable"))
	m := New(eng, testOptions())
	t.Cleanup(func() { _ = m.Close() })
	tm := teatest.NewTestModel(t, probed{m}, teatest.WithInitialTermSize(100, 30))
	tm.Send(keyMsg("ctrl+q"))
	waitScreen(t, tm, 0, "shutdown failed: delete sandbox local-abc: 503")
	waitScreen(t, tm, 0, "tether cleanup")
	tm.Send(keyMsg("x")) // any key leaves
	fm := finalModel(t, tm)
	if fm.ShutdownErr() == nil {
		t.Fatal("ShutdownErr is nil after a failed shutdown")
	}
}
