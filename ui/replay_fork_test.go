package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

// replayWithFork is a replay screen of recording() whose Fork hands back
// branch, keeping the request.
func replayWithFork(t *testing.T, branch *fakeEngine, got *ForkRequest) Model {
	t.Helper()
	opts := testOptions()
	opts.Fork = func(from Engine, req ForkRequest) (Engine, error) {
		if from != nil {
			t.Errorf("a replay forked from an engine %v: it has none", from)
		}
		*got = req
		return branch, nil
	}
	m := NewReplay(recording(), opts)
	t.Cleanup(func() { _ = m.Close() })
	m.Init()
	update(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	return m
}

func TestReplayForkStartsALiveBranchAtTheSelectedEvent(t *testing.T) {
	branch := newFakeEngine()
	var req ForkRequest
	m := replayWithFork(t, branch, &req)
	press(m, ">") // the whole recording on screen, paused
	press(m, "k") // select the last tool call
	sel, ok := m.m.stream.Selection()
	if !ok || sel.Action == nil {
		t.Fatalf("no tool call selected (%+v)", sel)
	}
	press(m, "F")
	if !m.m.fork.open || !strings.Contains(screen(m), "edit its command") {
		t.Fatalf("F in a replay did not open the fork dialog:\n%s", screen(m))
	}
	cmd := update(m, keyMsg("enter"))
	for _, msg := range uitest.RunCmd(cmd, time.Second) {
		update(m, msg)
	}
	if req.At != sel.Seq {
		t.Errorf("fork at event %d, want the selected %d", req.At, sel.Seq)
	}
	if m.m.replay != nil || m.m.eng != Engine(branch) {
		t.Fatal("the screen is still a replay: it did not switch to the live branch")
	}
	branch.Emit(uitest.User("the branch goes on"), uitest.State(session.StateIdle, session.StateRunning, ""))
	pump(m, branch)
	s := screen(m)
	if !strings.Contains(s, "the branch goes on") || !strings.Contains(s, "this is the branch") || strings.Contains(s, "event 1/") {
		t.Fatalf("screen after forking the replay:\n%s", s)
	}
	// Live now: the prompt box takes a prompt for the branch.
	press(m, "tab")
	for _, r := range "more" {
		press(m, string(r))
	}
	press(m, "enter")
	if got := branch.Prompts(); len(got) != 1 || got[0] != "more" {
		t.Errorf("prompt sent to the branch: %v", got)
	}
}

func TestReplayWithoutForkSaysWhereToFork(t *testing.T) {
	m := NewReplay(recording(), testOptions())
	t.Cleanup(func() { _ = m.Close() })
	m.Init()
	update(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	press(m, ">")
	press(m, "k")
	press(m, "F")
	if m.m.fork.open || !strings.Contains(screen(m), "forking is not available in this replay") {
		t.Fatalf("screen:\n%s", screen(m))
	}
}

// The replay's help names F when it can fork.
func TestGoldenReplayForkDialog(t *testing.T) {
	evs := recording()
	runGolden(t, "replay_fork_dialog", func(*fakeEngine) Model {
		opts := testOptions()
		opts.Fork = func(Engine, ForkRequest) (Engine, error) { return newFakeEngine(), nil }
		return NewReplay(evs, opts)
	}, func(tm *teatest.TestModel, _ *fakeEngine) {
		tm.Send(keyMsg(">"))
		tm.Send(keyMsg("k"))
		tm.Send(keyMsg("F"))
	}, "edit its command")
}
