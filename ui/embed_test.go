package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

func TestSummaryFollowsTheEvents(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 100, 30)
	if s := m.Summary(); s.State != session.StateIdle || s.Busy || s.Steps != 0 || s.Usage != nil {
		t.Fatalf("fresh summary = %+v", s)
	}
	eng.Emit(scriptRunning()...)
	eng.Emit(evAction("c2", "make", false), evAction("d1", "ls", false))
	eng.Emit(session.Event{Kind: session.KindAction, Action: &session.Action{ToolCallID: "u1", Tool: "terminal", Command: "pwd", Direct: true}})
	pump(m, eng)
	s := m.Summary()
	if s.State != session.StateRunning || !s.Busy || s.Title != "list the files and count lines" {
		t.Fatalf("summary = %+v", s)
	}
	if s.Steps != 3 { // c1, c2, d1; the user's own command is not a step
		t.Fatalf("steps = %d, want 3", s.Steps)
	}
	if s.SandboxID != "local-abc" || s.SandboxState != "started" {
		t.Fatalf("sandbox = %q %q", s.SandboxID, s.SandboxState)
	}
	if s.Usage == nil || s.Usage.TotalCostUSD != 0.0123 || !s.Usage.CostKnown {
		t.Fatalf("usage = %+v", s.Usage)
	}
	if s.Events != int(eng.Seq()) {
		t.Fatalf("events = %d, want %d", s.Events, eng.Seq())
	}
	// The copy is the caller's.
	s.Usage.TotalCostUSD = 99
	if m.Summary().Usage.TotalCostUSD == 99 {
		t.Fatal("Summary shares its usage with the model")
	}
}

func TestEmbeddedAsksTheParentToQuit(t *testing.T) {
	eng := newFakeEngine()
	opts := testOptions()
	opts.Embedded = true
	m := New(eng, opts)
	t.Cleanup(func() { _ = m.Close() })
	update(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	cmd := update(m, keyMsg("ctrl+c"))
	cmd = update(m, keyMsg("ctrl+c"))
	msgs := uitest.RunCmd(cmd, time.Second)
	if len(msgs) != 1 {
		t.Fatalf("messages = %#v", msgs)
	}
	if _, ok := msgs[0].(QuitRequestMsg); !ok {
		t.Fatalf("got %#v, want QuitRequestMsg", msgs[0])
	}
	if eng.Count("Shutdown") != 0 || m.Summary().TearingDown {
		t.Fatal("an embedded screen tore itself down")
	}
}

func TestTeardownFromTheParent(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 100, 30)
	eng.Emit(evSandbox("started"))
	pump(m, eng)
	cmd := m.Teardown()
	if m.Teardown() != nil {
		t.Fatal("a second Teardown started another shutdown")
	}
	if !m.Summary().TearingDown {
		t.Fatal("not tearing down")
	}
	var got []tea.Msg
	for _, msg := range uitest.RunCmd(cmd, 2*time.Second) {
		if _, ok := msg.(shutdownDoneMsg); ok {
			got = append(got, msg)
		}
	}
	if len(got) != 1 || eng.Count("Shutdown") != 1 {
		t.Fatalf("Shutdown calls = %d, done messages = %d", eng.Count("Shutdown"), len(got))
	}
	update(m, got[0])
	pump(m, eng)
	s := m.Summary()
	if !s.TeardownFinished || s.ShutdownErr != nil || s.TeardownLine != "done" {
		t.Fatalf("summary after teardown = %+v", s)
	}
}

func TestInactiveLooksUnfocused(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 100, 30)
	if !strings.Contains(screen(m), "┏━ prompt") {
		t.Fatalf("the prompt should look focused:\n%s", screen(m))
	}
	m.SetActive(false)
	if strings.Contains(screen(m), "┏") || m.m.prompt.ta.Focused() {
		t.Fatalf("an inactive screen still looks focused:\n%s", screen(m))
	}
	m.SetActive(true)
	if !strings.Contains(screen(m), "┏━ prompt") || !m.m.prompt.ta.Focused() {
		t.Fatalf("focus not restored:\n%s", screen(m))
	}
}
