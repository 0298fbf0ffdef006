package session

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAgentsMDGoesIntoTheSystemPrompt(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{{text: "ok"}, {text: "again"}}}
	s, sb := newTestSession(t, m, nil)
	// Written after New, as a setup clone would: it is read at the first prompt.
	rules := "# Rules\nRun `make check` before you finish.\n"
	if err := os.WriteFile(filepath.Join(sb.dir, "AGENTS.md"), []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	c := collect(s)
	for _, p := range []string{"go", "more"} {
		if _, err := s.Run(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	evs := c.finish(t, s)
	if len(m.reqs) != 2 {
		t.Fatalf("model calls: %d", len(m.reqs))
	}
	sys := m.reqs[0].Messages[0].Content
	if !strings.Contains(sys, "Run `make check` before you finish.") || !strings.Contains(sys, "AGENTS.md") {
		t.Errorf("the system prompt lacks AGENTS.md:\n%s", sys)
	}
	if got := strings.Count(m.reqs[1].Messages[0].Content, "make check"); got != 1 {
		t.Errorf("the second run's system prompt has the instructions %d times; want once", got)
	}
	var ctxEvents []*ContextInfo
	for _, ev := range evs {
		if ev.Kind == KindContext {
			ctxEvents = append(ctxEvents, ev.Context)
		}
	}
	if len(ctxEvents) != 1 || ctxEvents[0].Bytes != len(rules) || ctxEvents[0].Truncated || !strings.HasSuffix(ctxEvents[0].Path, "/AGENTS.md") {
		t.Errorf("context events: %+v; want one for AGENTS.md, %d bytes", ctxEvents, len(rules))
	}
}

func TestAgentsMDIsCapped(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{{text: "ok"}}}
	s, sb := newTestSession(t, m, nil)
	big := strings.Repeat("é rule\n", MaxProjectContext) // multi-byte: the cut stays valid UTF-8
	os.WriteFile(filepath.Join(sb.dir, "AGENTS.md"), []byte(big), 0o644)
	c := collect(s)
	if _, err := s.Run(context.Background(), "go"); err != nil {
		t.Fatal(err)
	}
	evs := c.finish(t, s)
	sys := m.reqs[0].Messages[0].Content
	if len(sys) > MaxProjectContext+2048 || !strings.Contains(sys, "the rest of the file was cut") {
		t.Errorf("system prompt %d bytes; want AGENTS.md capped at %d with a note", len(sys), MaxProjectContext)
	}
	for _, ev := range evs {
		if ev.Kind == KindContext && !ev.Context.Truncated {
			t.Error("the context event does not say the file was cut")
		}
	}
}

func TestNoAgentsMDChangesNothing(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{{text: "ok"}}}
	s, _ := newTestSession(t, m, nil)
	c := collect(s)
	if _, err := s.Run(context.Background(), "go"); err != nil {
		t.Fatal(err)
	}
	for _, ev := range c.finish(t, s) {
		if ev.Kind == KindContext {
			t.Errorf("a context event with no AGENTS.md: %+v", ev.Context)
		}
	}
	if strings.Contains(m.reqs[0].Messages[0].Content, "project_instructions") {
		t.Error("project instructions block with no AGENTS.md")
	}
}
