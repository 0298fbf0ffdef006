package session

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tether-dev/tether/llm"
)

// An edited call is marked in its event, and the model is told the user
// changed it (not left to think the new arguments were its own).
func TestEditedCallIsMarkedAndTheModelIsTold(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{
		{calls: []llm.ToolCall{shCall("e", "echo original")}},
		{text: "ok"},
	}}
	s, _ := newTestSession(t, m, func(o *Options) { o.StepMode = true })
	c := collect(s)
	if err := s.Send("work"); err != nil {
		t.Fatal(err)
	}
	waitPending(t, s, c, "e")
	s.Edit(json.RawMessage(`{"command":"echo changed"}`))
	c.waitFor(t, "finished", func(ev Event) bool { return ev.Kind == KindState && ev.State.To == StateFinished })
	evs := c.finish(t, s)
	var acts []Action
	for _, ev := range evs {
		if ev.Kind == KindAction {
			acts = append(acts, *ev.Action)
		}
	}
	if len(acts) != 2 || acts[0].Edited || !acts[1].Edited || acts[1].Command != "echo changed" {
		t.Fatalf("actions = %+v", acts)
	}
	var tool string
	for _, msg := range m.requests()[1].Messages {
		if msg.Role == llm.RoleTool && msg.ToolCallID == "e" {
			tool = msg.Content
		}
	}
	if !strings.HasPrefix(tool, "changed\n") || !strings.Contains(tool, "The user edited this tool call") ||
		!strings.Contains(tool, `echo original`) {
		t.Fatalf("the model was not told: %q", tool)
	}
}
