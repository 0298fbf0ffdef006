package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tether-dev/tether/ui/uitest"
)

// queueTwo has a run going and two prompts queued behind it, in the UI and
// in the scripted session.
func queueTwo(t *testing.T, eng *fakeEngine, m Model) {
	t.Helper()
	eng.Emit(scriptRunning()...)
	pump(m, eng)
	typeText(m, "then add tests")
	press(m, "enter")
	typeText(m, "and a README")
	press(m, "enter")
	eng.SetQueue("then add tests", "and a README")
}

func TestUpOnAnEmptyBoxTakesTheLastQueuedPromptBackToEdit(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 120, 30)
	queueTwo(t, eng, m)
	if s := screen(m); !strings.Contains(s, "↑ edit queued") {
		t.Fatalf("the hint line does not offer to edit the queue:\n%s", s)
	}
	press(m, "up")
	if eng.Count("Unqueue") != 1 {
		t.Fatalf("calls = %q", eng.Calls())
	}
	if got := m.m.prompt.value(); got != "and a README" {
		t.Fatalf("prompt box = %q, want the last queued prompt", got)
	}
	if s := screen(m); !strings.Contains(s, "1 queued, next: then add tests") || !strings.Contains(s, "taken back from the queue") {
		t.Fatalf("queue line not updated:\n%s", s)
	}
	// Edited and sent again, it queues as the new text.
	press(m, "ctrl+u")
	typeText(m, "and a CHANGELOG")
	press(m, "enter")
	if p := eng.Prompts(); p[len(p)-1] != "and a CHANGELOG" {
		t.Fatalf("prompts = %q", p)
	}
	if s := screen(m); !strings.Contains(s, "2 queued, next: then add tests") {
		t.Fatalf("re-sent prompt not queued:\n%s", s)
	}
	// Session's user messages take them off by their words, the
	// re-edited one included.
	eng.Emit(uitest.User("then add tests"))
	pump(m, eng)
	if s := screen(m); !strings.Contains(s, "1 queued, next: and a CHANGELOG") {
		t.Fatalf("after the first was sent:\n%s", s)
	}
}

func TestUpWalksTheHistoryWhenTheBoxHasTextOrNothingIsQueued(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 120, 30)
	queueTwo(t, eng, m)
	typeText(m, "draft")
	press(m, "up")
	if eng.Count("Unqueue") != 0 {
		t.Fatal("↑ in a box with text took a queued prompt")
	}
	if got := m.m.prompt.value(); got != "and a README" {
		t.Fatalf("↑ with text did not walk the history: %q", got)
	}
}

// The session sent the queued prompt in the same instant the user asked
// for it back: nothing is lost, nothing doubled, the user is told.
func TestTakingBackAPromptTheSessionJustSentSaysSo(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 120, 30)
	queueTwo(t, eng, m)
	eng.SetQueue() // the run loop took both; their user messages are on the way
	press(m, "up")
	if got := m.m.prompt.value(); got != "" {
		t.Fatalf("prompt box = %q: a prompt the session sent came back", got)
	}
	if s := screen(m); !strings.Contains(s, "already sent") {
		t.Fatalf("no word that it was sent:\n%s", s)
	}
	eng.Emit(uitest.User("then add tests"), uitest.User("and a README"))
	pump(m, eng)
	if s := screen(m); strings.Contains(s, "queued, next") {
		t.Fatalf("sent prompts still shown as queued:\n%s", s)
	}
}

func TestHelpNamesTheQueuedPromptKey(t *testing.T) {
	eng := newFakeEngine()
	tm := startProgram(t, eng, testOptions())
	eng.Emit(scriptRunning()...)
	waitScreen(t, tm, len(scriptRunning()), "running")
	tm.Send(keyMsg("f1"))
	waitScreen(t, tm, 0, "take the last queued prompt back to edit")
	tm.Send(keyMsg("esc"))
	tm.Send(keyMsg("ctrl+q"))
	tm.Send(keyMsg("y"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10e9))
}
