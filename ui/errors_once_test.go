package ui

import (
	"strings"
	"testing"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

// cutStream is a run whose LLM stream was cut mid-reply: the session
// publishes the error, then the state with the same reason.
const cutReason = "LLM call failed: stream interrupted: unexpected EOF after 1.2 kB of the reply (the endpoint closed the connection)"

func cutStream(eng *fakeEngine, reason string) {
	eng.Emit(scriptRunning()...)
	eng.Emit(uitest.Assistant("Let me look at the"),
		session.Event{Kind: session.KindError, Error: &session.ErrorInfo{Message: reason, Fatal: true}},
		uitest.State(session.StateRunning, session.StateError, reason))
}

func statusRow(s string) string {
	rows := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return rows[len(rows)-1]
}

func TestAnErrorIsPrintedOnce(t *testing.T) {
	for _, c := range []struct {
		w      int
		reason string
	}{{80, cutReason}, {160, cutReason}, {160, "LLM call failed: stream interrupted: EOF"}} {
		w := c.w
		eng := newFakeEngine()
		m := newTestModel(t, eng, w, 30)
		cutStream(eng, c.reason)
		pump(m, eng)
		s := screen(m)
		if n := strings.Count(s, "stream interrupted"); n != 1 {
			t.Fatalf("at %d columns the error is on screen %d times, want once:\n%s", w, n, s)
		}
		if !strings.Contains(statusRow(s), "✗ error") {
			t.Fatalf("status bar does not say the run failed: %q", statusRow(s))
		}
	}
}

// A terminal state whose reason the stream did not print as an error still
// shows it in the status bar.
func TestAReasonTheStreamDidNotPrintIsInTheStatusBar(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 160, 30)
	eng.Emit(scriptRunning()...)
	eng.Emit(uitest.State(session.StateRunning, session.StateError, "reached the limit of 3 LLM calls for one run"))
	pump(m, eng)
	if bar := statusRow(screen(m)); !strings.Contains(bar, "reached the limit of 3 LLM calls") {
		t.Fatalf("status bar lacks the reason: %q", bar)
	}
}

// After a cut stream the status bar keeps step mode, follow and the time.
func TestStatusBarAfterACutStreamKeepsStepFollowAndElapsed(t *testing.T) {
	for _, w := range []int{80, 120} {
		eng := newFakeEngine()
		m := newTestModel(t, eng, w, 30)
		press(m, "ctrl+t") // step mode on
		cutStream(eng, cutReason)
		pump(m, eng)
		bar := statusRow(screen(m))
		for _, want := range []string{"✗ error", "step ON", "00:0"} {
			if !strings.Contains(bar, want) {
				t.Errorf("%d columns: status bar lacks %q: %q", w, want, bar)
			}
		}
		if w >= 120 && !strings.Contains(bar, "follow") {
			t.Errorf("%d columns: status bar lacks follow: %q", w, bar)
		}
	}
}
