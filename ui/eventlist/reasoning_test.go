package eventlist

import (
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/session"
)

func TestReasoningStreamsThenCollapsesToOneLine(t *testing.T) {
	m := New(Options{})
	m.SetSize(80, 20)
	for _, part := range []string{"First I list the files.\n", "Then I read main.go\n", "and fix the bug."} {
		m.Append(session.Event{Kind: session.KindReasoningDelta, Message: &session.Message{Text: part}})
	}
	e := m.entries[len(m.entries)-1]
	if e.kind != kindReasoning || e.done {
		t.Fatalf("open reasoning entry expected, got kind %v done %v", e.kind, e.done)
	}
	if rows := m.render(e, 80); len(rows) != 3 || !strings.Contains(rows[1], "Then I read main.go") {
		t.Fatalf("streaming rows %q", rows)
	}
	m.Append(session.Event{Kind: session.KindAssistantDelta, Message: &session.Message{Text: "Fixed."}})
	rows := m.render(e, 80)
	if !e.done || len(rows) != 1 || !strings.Contains(rows[0], "thought: First I list the files.") || !strings.Contains(rows[0], "(3 lines)") {
		t.Fatalf("collapsed rows %q", rows)
	}
	e.expanded = true
	if rows := m.render(e, 80); len(rows) != 3 {
		t.Fatalf("expanded rows %q", rows)
	}
}

func TestRetryNoteAndDiscard(t *testing.T) {
	m := New(Options{})
	m.SetSize(80, 20)
	m.Append(session.Event{Kind: session.KindAssistantDelta, Message: &session.Message{Text: "half a rep"}})
	m.Append(session.Event{Kind: session.KindRetry, Retry: &session.Retry{Reason: "stream cut off", Attempt: 1, Max: 4, Wait: 1500 * time.Millisecond, Discard: true}})
	m.Append(session.Event{Kind: session.KindAssistantDelta, Message: &session.Message{Text: "whole reply"}})
	var texts []string
	for _, e := range m.entries {
		texts = append(texts, e.text.String())
	}
	got := strings.Join(texts, "|")
	if got != "whole reply|stream cut off · retry 1/4 in 2 s (the cut-off reply is discarded)" {
		t.Fatalf("entries %q", got)
	}
	if s := RetryText(&session.Retry{Reason: "rate limited", Attempt: 2, Max: 5}, 41*time.Second); s != "rate limited · retry 2/5 in 41 s" {
		t.Fatalf("retry text %q", s)
	}
}
