package session

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
)

// waitPending waits until an action awaits approval and returns it.
func waitPending(t *testing.T, s *Session, c *collector, id string) *Action {
	t.Helper()
	c.waitFor(t, "action "+id+" awaiting approval", func(ev Event) bool {
		return ev.Kind == KindAction && ev.Action.ToolCallID == id && ev.Action.NeedsApproval
	})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if p := s.Pending(); p != nil && p.ToolCallID == id {
			if s.State() != StateWaiting {
				t.Fatalf("state %s while pending", s.State())
			}
			return p
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("action %s never pending", id)
	return nil
}

func TestStepModeApproveRejectEditApproveAll(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{
		{calls: []llm.ToolCall{shCall("a", "echo approved"), shCall("r", "rm -rf /tmp/x")}},
		{calls: []llm.ToolCall{shCall("e", "echo original")}},
		{calls: []llm.ToolCall{shCall("all1", "echo one"), shCall("all2", "echo two")}},
		{calls: []llm.ToolCall{shCall("free", "echo free")}},
		{text: "done"},
	}}
	s, _ := newTestSession(t, m, func(o *Options) { o.StepMode = true })
	c := collect(s)
	if err := s.Send("work"); err != nil {
		t.Fatal(err)
	}
	p := waitPending(t, s, c, "a")
	if p.Command != "echo approved" {
		t.Errorf("pending = %+v", p)
	}
	s.Approve()
	waitPending(t, s, c, "r")
	s.Reject("never delete things in /tmp")
	waitPending(t, s, c, "e")
	s.Edit(json.RawMessage(`{"command":"not json"`)) // refused: still pending
	c.waitFor(t, "edit refusal", func(ev Event) bool { return ev.Kind == KindError && !ev.Error.Fatal })
	if p := s.Pending(); p == nil || p.ToolCallID != "e" {
		t.Fatalf("bad edit dropped the pending action: %+v", p)
	}
	s.Edit(json.RawMessage(`{"command":"echo edited"}`))
	waitPending(t, s, c, "all1")
	s.ApproveAll()
	res, err := s.Wait(context.Background())
	if err != nil || res.Status != StateFinished {
		t.Fatalf("res %+v err %v", res, err)
	}
	evs := c.finish(t, s)

	obs := map[string]*Observation{}
	waits := 0
	for _, ev := range evs {
		switch ev.Kind {
		case KindObservation:
			obs[ev.Observation.ToolCallID] = ev.Observation
		case KindState:
			if ev.State.To == StateWaiting {
				waits++
			}
		case KindAction:
			if (ev.Action.ToolCallID == "all2" || ev.Action.ToolCallID == "free") && ev.Action.NeedsApproval {
				t.Errorf("action after ApproveAll needs approval")
			}
		}
	}
	if waits != 4 {
		t.Errorf("%d waits for approval, want 4", waits)
	}
	if o := obs["a"]; o == nil || o.Content != "approved\n" {
		t.Errorf("approved = %+v", o)
	}
	if o := obs["r"]; o == nil || !o.Rejected || !strings.Contains(o.Content, "never delete things in /tmp") {
		t.Errorf("rejected = %+v", o)
	}
	if o := obs["e"]; o == nil || !strings.HasPrefix(o.Content, "edited\n") ||
		!strings.Contains(o.Content, "The user edited this tool call") {
		t.Errorf("edited = %+v", o)
	}
	for _, id := range []string{"all1", "all2", "free"} {
		if obs[id] == nil || obs[id].IsError {
			t.Errorf("%s = %+v", id, obs[id])
		}
	}
	// The model saw the rejection reason and the edited arguments.
	msgs := m.requests()[2].Messages
	checkConversation(t, msgs)
	var sawReason, sawEdit bool
	for _, msg := range msgs {
		if msg.Role == llm.RoleTool && msg.ToolCallID == "r" && strings.Contains(msg.Content, "never delete things in /tmp") {
			sawReason = true
		}
		for _, tc := range msg.ToolCalls {
			if tc.ID == "e" && tc.Arguments == `{"command":"echo edited"}` {
				sawEdit = true
			}
		}
	}
	if !sawReason || !sawEdit {
		t.Errorf("model request lacks rejection reason (%v) or edited args (%v): %+v", sawReason, sawEdit, msgs)
	}
}

func TestStepModeToggleMidRun(t *testing.T) {
	gate := make(chan struct{})
	block := fakeFuncTool{name: "block", fn: func(ctx context.Context, c ToolCall) (ToolResult, error) {
		<-gate
		return ToolResult{Content: "unblocked"}, nil
	}}
	m := &fakeModel{replies: []fakeReply{
		{calls: []llm.ToolCall{call("b", "block", "{}"), shCall("x", "echo x")}},
		{text: "done"},
	}}
	s, _ := newTestSession(t, m, func(o *Options) { o.Tools = fakeTools(block) })
	c := collect(s)
	s.Send("go")
	c.waitFor(t, "block action", func(ev Event) bool { return ev.Kind == KindAction && ev.Action.ToolCallID == "b" })
	s.SetStepMode(true)
	close(gate)
	waitPending(t, s, c, "x")
	s.SetStepMode(false) // turning step mode off approves what waits
	res, _ := s.Wait(context.Background())
	if res.Status != StateFinished {
		t.Fatalf("res = %+v", res)
	}
	c.finish(t, s)
}

func TestPauseResume(t *testing.T) {
	gate := make(chan struct{})
	block := fakeFuncTool{name: "block", fn: func(ctx context.Context, c ToolCall) (ToolResult, error) {
		<-gate
		return ToolResult{Content: "unblocked"}, nil
	}}
	m := &fakeModel{replies: []fakeReply{
		{calls: []llm.ToolCall{call("b", "block", "{}"), shCall("x", "echo x")}},
		{text: "done"},
	}}
	s, _ := newTestSession(t, m, func(o *Options) { o.Tools = fakeTools(block) })
	c := collect(s)
	s.Send("go")
	c.waitFor(t, "block action", func(ev Event) bool { return ev.Kind == KindAction && ev.Action.ToolCallID == "b" })
	s.Pause()
	close(gate)
	c.waitFor(t, "paused", isState(StatePaused))
	// Paused between tools: the second tool has not started.
	for _, ev := range c.events() {
		if ev.Kind == KindAction && ev.Action.ToolCallID == "x" {
			t.Fatal("tool ran while paused")
		}
	}
	if s.State() != StatePaused {
		t.Fatalf("state = %s", s.State())
	}
	s.Resume()
	res, _ := s.Wait(context.Background())
	if res.Status != StateFinished {
		t.Fatalf("res = %+v", res)
	}
	evs := c.finish(t, s)
	var order []string
	for _, ev := range evs {
		if ev.Kind == KindState {
			order = append(order, string(ev.State.To))
		}
	}
	if got := strings.Join(order, ","); got != "running,paused,running,finished" {
		t.Errorf("states = %s", got)
	}
}

// A reader that approves the moment it sees an action needing approval
// must never be ignored (the action is pending before the event is out).
func TestImmediateApprovalIsNotLost(t *testing.T) {
	var calls []llm.ToolCall
	for i := range 20 {
		calls = append(calls, shCall(strconv.Itoa(i), "true #"+strconv.Itoa(i)))
	}
	m := &fakeModel{replies: []fakeReply{{calls: calls}, {text: "done"}}}
	s, _ := newTestSession(t, m, func(o *Options) { o.StepMode = true })
	events := s.Events()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range events {
			if ev.Kind == KindAction && ev.Action.NeedsApproval {
				s.Approve()
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := s.Run(ctx, "go")
	if err != nil || res.Status != StateFinished {
		t.Fatalf("res %+v err %v", res, err)
	}
	s.Close()
	<-done
}
