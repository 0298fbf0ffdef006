package ui

import (
	"strings"
	"testing"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

// Prompts sent while a run is active are shown by their words, and a
// cancel (which drops them in the session) clears them.
func TestQueuedPromptsAreShownAndGoWithACancel(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 120, 30)
	eng.Emit(scriptRunning()...)
	pump(m, eng)
	typeText(m, "then add tests")
	press(m, "enter")
	typeText(m, "and a README")
	press(m, "enter")
	if s := screen(m); !strings.Contains(s, "2 queued, next: then add tests") {
		t.Fatalf("queued prompts not shown:\n%s", s)
	}
	eng.Emit(uitest.State(session.StateRunning, session.StateCancelled, "cancelled by user"))
	pump(m, eng)
	if s := screen(m); strings.Contains(s, "queued") {
		t.Fatalf("queued prompts shown after a cancel dropped them:\n%s", s)
	}
}
