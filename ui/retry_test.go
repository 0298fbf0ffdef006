package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/session"
)

// While tether waits out a retry, the status bar counts down and the
// stream says why; the countdown goes once the reply flows again.
func TestRetryCountdownInStatusBar(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 160, 30)
	now := fixedNow()
	eng.Emit(
		session.Event{Kind: session.KindState, Time: now, State: &session.StateChange{From: session.StateIdle, To: session.StateRunning}},
		session.Event{Kind: session.KindRetry, Time: now.Add(-4 * time.Second), Retry: &session.Retry{Reason: "rate limited", Attempt: 2, Max: 5, Wait: 45 * time.Second}},
	)
	pump(m, eng)
	s := screen(m)
	if !strings.Contains(s, "rate limited · retry 2/5 in 41 s") {
		t.Fatalf("no countdown on screen:\n%s", s)
	}
	if strings.Count(s, "rate limited · retry 2/5") != 2 {
		t.Fatalf("want the countdown in the status bar and the note in the stream:\n%s", s)
	}
	eng.Emit(session.Event{Kind: session.KindAssistantDelta, Time: now, Message: &session.Message{Text: "back"}})
	pump(m, eng)
	if s := screen(m); strings.Count(s, "retry 2/5") != 1 {
		t.Fatalf("countdown kept after the reply resumed:\n%s", s)
	}
}
