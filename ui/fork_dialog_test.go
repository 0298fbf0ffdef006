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

// scriptFinished is a finished run: a prompt, a tool call with its
// result, an answer.
func scriptFinished() []session.Event {
	return append(scriptRunning(),
		evObservation("c1", "total 12", 0),
		uitest.Assistant("There is one Go file with 120 lines."),
		uitest.State(session.StateRunning, session.StateFinished, ""),
	)
}

func TestGoldenForkDialog(t *testing.T) {
	runGolden(t, "fork_dialog", interactive, func(tm *teatest.TestModel, eng *fakeEngine) {
		eng.Emit(scriptFinished()...)
		waitScreen(t, tm, len(scriptFinished()), "finished")
		tm.Send(keyMsg("tab")) // the stream
		tm.Send(keyMsg("F"))
	}, "edit its command")
}

func TestGoldenForkDialogResult(t *testing.T) {
	runGolden(t, "fork_dialog_result", interactive, func(tm *teatest.TestModel, eng *fakeEngine) {
		eng.Emit(scriptFinished()...)
		waitScreen(t, tm, len(scriptFinished()), "finished")
		tm.Send(keyMsg("tab"))
		tm.Send(keyMsg("F"))
		tm.Send(keyMsg("ctrl+r"))
	}, "after the terminal call")
}

// forkFrom opens the dialog on the screen's selection (after ups).
func forkFrom(t *testing.T, opts Options, ups int) (Model, *fakeEngine) {
	t.Helper()
	eng := newFakeEngine()
	m := New(eng, opts)
	t.Cleanup(func() { _ = m.Close() })
	m.Init()
	update(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	eng.Emit(scriptFinished()...)
	pump(m, eng)
	press(m, "tab")
	for range ups {
		press(m, "k")
		if sel, ok := m.m.stream.Selection(); ok && sel.Action == nil {
			break // at the prompt
		}
	}
	press(m, "F")
	if !m.m.fork.open {
		t.Fatalf("F did not open the fork dialog:\n%s", screen(m))
	}
	return m, eng
}

func seqOfKind(t *testing.T, eng *fakeEngine, kind session.Kind) int64 {
	t.Helper()
	for i, ev := range scriptFinished() {
		if ev.Kind == kind {
			return int64(i + 1) // the fake engine numbers events from 1
		}
	}
	t.Fatalf("no %s", kind)
	return 0
}

func forkMsg(t *testing.T, cmd tea.Cmd) ForkRequestMsg {
	t.Helper()
	for _, msg := range uitest.RunCmd(cmd, time.Second) {
		if fm, ok := msg.(ForkRequestMsg); ok {
			return fm
		}
	}
	t.Fatal("enter sent no fork request")
	return ForkRequestMsg{}
}

func TestForkDialogAsksTheParentForTheEditedBranch(t *testing.T) {
	opts := testOptions()
	opts.Embedded = true

	// The tool call: edited arguments, at its action.
	m, eng := forkFrom(t, opts, 0)
	if got := m.m.fork.editor.Value(); got != "ls -la && wc -l *.go" {
		t.Fatalf("the editor holds %q, want the terminal call's command alone", got)
	}
	m.m.fork.editor.SetValue("ls -1")
	fm := forkMsg(t, update(m, keyMsg("enter")))
	if want := seqOfKind(t, eng, session.KindAction); fm.Request.At != want || string(fm.Request.Edit.Args) != `{"command":"ls -1","timeout":30}` || fm.Engine != Engine(eng) {
		t.Fatalf("call fork request %+v, want at %d with the edited args", fm.Request, want)
	}

	// Its result, replaced, with another model: at the observation.
	m, eng = forkFrom(t, opts, 0)
	press(m, "ctrl+r")
	m.m.fork.editor.SetValue("permission denied")
	press(m, "tab")
	typeText(m, "other-model")
	fm = forkMsg(t, update(m, keyMsg("enter")))
	if want := seqOfKind(t, eng, session.KindObservation); fm.Request.At != want || fm.Request.Edit.Observation == nil ||
		*fm.Request.Edit.Observation != "permission denied" || fm.Request.Model != "other-model" {
		t.Fatalf("result fork request %+v, want at %d, replaced, other-model", fm.Request, want)
	}

	// An empty command is refused in the dialog, which stays open.
	m, _ = forkFrom(t, opts, 0)
	m.m.fork.editor.SetValue("  ")
	if cmd := update(m, keyMsg("enter")); cmd != nil {
		for _, msg := range uitest.RunCmd(cmd, time.Second) {
			if _, ok := msg.(ForkRequestMsg); ok {
				t.Fatal("an empty command was sent as a fork")
			}
		}
	}
	if !m.m.fork.open || !strings.Contains(screen(m), "the command is empty") {
		t.Fatalf("no error shown for an empty command:\n%s", screen(m))
	}
	press(m, "esc")
	if m.m.fork.open {
		t.Fatal("esc did not close the dialog")
	}
}

func TestForkDialogAtAPromptEditsIt(t *testing.T) {
	opts := testOptions()
	opts.Embedded = true
	m, eng := forkFrom(t, opts, 20) // up past the answer and the tool call to the prompt
	if m.m.fork.mode != forkPrompt {
		t.Fatalf("dialog mode %v, want the prompt:\n%s", m.m.fork.mode, screen(m))
	}
	m.m.fork.editor.SetValue("count lines of test files only")
	fm := forkMsg(t, update(m, keyMsg("enter")))
	if want := seqOfKind(t, eng, session.KindUserMessage); fm.Request.At != want || fm.Request.Edit.Prompt != "count lines of test files only" {
		t.Fatalf("prompt fork request %+v, want at %d", fm.Request, want)
	}
}

func TestForkSwitchesThePlainScreenToTheBranch(t *testing.T) {
	branch := newFakeEngine()
	var from Engine
	opts := testOptions()
	opts.Fork = func(e Engine, req ForkRequest) (Engine, error) { from = e; return branch, nil }
	m, orig := forkFrom(t, opts, 0)
	cmd := update(m, keyMsg("enter"))
	for _, msg := range uitest.RunCmd(cmd, time.Second) {
		update(m, msg)
	}
	if from != Engine(orig) || m.m.eng != Engine(branch) {
		t.Fatal("the screen did not switch to the branch's engine")
	}
	branch.Emit(uitest.User("the branch's own prompt"))
	pump(m, branch)
	// A read of the original's channel still in flight comes back stale.
	update(m, eventsMsg{events: []session.Event{uitest.User("late event of the original")}, from: orig.Events()})
	s := screen(m)
	if !strings.Contains(s, "the branch's own prompt") || strings.Contains(s, "late event of the original") || strings.Contains(s, "list the files") {
		t.Fatalf("screen after the fork:\n%s", s)
	}
}
