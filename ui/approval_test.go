package ui

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

func TestTypingYesInPromptNeverApproves(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	eng.Emit(scriptApproval()...)
	pump(m, eng)
	if !m.m.approval.active() {
		t.Fatal("approval panel not shown for an action that needs approval")
	}
	// The user was typing when the approval popped up: every key stays
	// in the prompt, including y, a, e, n and enter.
	typeText(m, "yes and also a n e y")
	press(m, "enter")
	for _, c := range []string{"Approve", "ApproveAll", "Reject", "Edit"} {
		if n := eng.Count(c); n != 0 {
			t.Fatalf("typing in the prompt called %s %d times; calls: %v", c, n, eng.Calls())
		}
	}
	if got := eng.Prompts(); len(got) != 1 || got[0] != "yes and also a n e y" {
		t.Fatalf("prompt sent = %q, want the typed text", got)
	}
	if !m.m.approval.active() {
		t.Fatal("approval panel vanished although nothing answered it")
	}
	// An empty, focused prompt does not hand the keys over either.
	typeText(m, "y")
	if eng.Count("Approve") != 0 || m.m.prompt.value() != "y" {
		t.Fatalf("y in an empty focused prompt: calls %v, prompt %q", eng.Calls(), m.m.prompt.value())
	}
	if !strings.Contains(screen(m), "ctrl+a") {
		t.Fatalf("the panel does not say how to review it:\n%s", screen(m))
	}
}

func TestApprovalTakesFocusOnlyWhenNobodyTypes(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	press(m, "tab") // to the stream; prompt empty
	eng.Emit(scriptApproval()...)
	pump(m, eng)
	if m.m.focus != focusApproval {
		t.Fatalf("focus = %v, want the approval panel (stream focused, prompt empty)", m.m.focus)
	}
	press(m, "y")
	if eng.Count("Approve") != 1 {
		t.Fatalf("y in the focused panel: calls %v", eng.Calls())
	}
	if m.m.approval.active() || m.m.focus != focusPrompt {
		t.Fatalf("after approving: panel active %v, focus %v", m.m.approval.active(), m.m.focus)
	}
}

// pendingApproval returns a model with an approval waiting and the panel focused via ctrl+a.
func pendingApproval(t *testing.T) (Model, *fakeEngine) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 100, 30)
	eng.Emit(scriptApproval()...)
	pump(m, eng)
	press(m, "ctrl+a")
	if m.m.focus != focusApproval {
		t.Fatalf("ctrl+a did not focus the approval panel (focus %v)", m.m.focus)
	}
	return m, eng
}

func TestApprovalAnswersReachEngine(t *testing.T) {
	t.Run("approve", func(t *testing.T) {
		m, eng := pendingApproval(t)
		press(m, "y")
		if !slices.Contains(eng.Calls(), "Approve") {
			t.Fatalf("calls %v", eng.Calls())
		}
	})
	t.Run("approve all", func(t *testing.T) {
		m, eng := pendingApproval(t)
		m.m.sess.stepMode = true
		press(m, "a")
		if !slices.Contains(eng.Calls(), "ApproveAll") || m.m.sess.stepMode {
			t.Fatalf("calls %v, step mode %v", eng.Calls(), m.m.sess.stepMode)
		}
	})
	t.Run("reject with reason", func(t *testing.T) {
		m, eng := pendingApproval(t)
		press(m, "n")
		if eng.Count("Reject") != 0 {
			t.Fatal("n rejected at once instead of asking for a reason")
		}
		typeText(m, "don't delete build, run go test")
		press(m, "enter")
		if len(eng.Rejects()) != 1 || eng.Rejects()[0] != "don't delete build, run go test" {
			t.Fatalf("rejects = %q", eng.Rejects())
		}
	})
	t.Run("reject reason esc goes back", func(t *testing.T) {
		m, eng := pendingApproval(t)
		press(m, "n", "esc", "y")
		if eng.Count("Reject") != 0 || eng.Count("Approve") != 1 {
			t.Fatalf("calls %v", eng.Calls())
		}
	})
	t.Run("edit command", func(t *testing.T) {
		m, eng := pendingApproval(t)
		press(m, "e")
		if got := m.m.approval.editor.Value(); got != "rm -rf build && make test" {
			t.Fatalf("editor prefilled with %q, want the command", got)
		}
		// The edit box fits its panel: no row is cut with "…".
		for _, l := range strings.Split(screen(m), "\n") {
			if strings.Contains(l, "│ ") && strings.HasSuffix(strings.TrimRight(l, " ┃│"), "…") {
				t.Fatalf("edit box row cut: %q", l)
			}
		}
		for range len(" && make test") {
			press(m, "backspace")
		}
		typeText(m, " && go test ./...")
		press(m, "enter")
		if len(eng.Edits()) != 1 {
			t.Fatalf("edits = %v, calls %v", eng.Edits(), eng.Calls())
		}
		var args map[string]any
		if err := json.Unmarshal(eng.Edits()[0], &args); err != nil {
			t.Fatal(err)
		}
		if args["command"] != "rm -rf build && go test ./..." || args["timeout"] != float64(30) {
			t.Fatalf("edited args = %s", eng.Edits()[0])
		}
	})
}

func TestEditJSONIsValidated(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 100, 30)
	args := json.RawMessage(`{"path":"/w/a.txt","content":"hi"}`)
	eng.Emit(session.Event{Kind: session.KindAction, Action: &session.Action{
		ToolCallID: "f1", Tool: "file_editor", Args: args, Summary: "create /w/a.txt", NeedsApproval: true,
	}}, uitest.State(session.StateRunning, session.StateWaiting, ""))
	pump(m, eng)
	press(m, "ctrl+a", "e")
	if !strings.Contains(m.m.approval.editor.Value(), `"content": "hi"`) {
		t.Fatalf("editor = %q, want the indented JSON", m.m.approval.editor.Value())
	}
	press(m, "ctrl+s") // unchanged: valid
	if len(eng.Edits()) != 1 || string(eng.Edits()[0]) != string(args) {
		t.Fatalf("edits %q", eng.Edits())
	}

	eng.Emit(session.Event{Kind: session.KindAction, Action: &session.Action{
		ToolCallID: "f2", Tool: "file_editor", Args: args, NeedsApproval: true,
	}})
	pump(m, eng)
	press(m, "ctrl+a", "e", "ctrl+end")
	typeText(m, ",,")
	press(m, "enter")
	if len(eng.Edits()) != 1 {
		t.Fatalf("invalid JSON was sent: %q", eng.Edits())
	}
	if !strings.Contains(screen(m), "not valid JSON") {
		t.Fatalf("no error shown for invalid JSON:\n%s", screen(m))
	}
	if !m.m.approval.active() {
		t.Fatal("the pending action was dropped after an invalid edit")
	}
}

func TestApprovalClearedByObservationAndState(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 80, 24)
	eng.Emit(scriptApproval()...)
	pump(m, eng)
	eng.Emit(uitest.State(session.StateWaiting, session.StateRunning, ""), evObservation("c2", "ok", 0))
	pump(m, eng)
	if m.m.approval.active() {
		t.Fatal("approval panel still shown after the action ran")
	}
}
