package session

import (
	"context"
	"slices"
	"testing"

	"github.com/tether-dev/tether/llm"
)

// queuedIDs is the ids a KindQueued event announces, in order.
func queuedIDs(ev Event) []string {
	var ids []string
	for _, a := range ev.Queued.Actions {
		ids = append(ids, a.ToolCallID)
	}
	return ids
}

func TestReplyCallsAnnouncedBeforeFirstRuns(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{
		{calls: []llm.ToolCall{shCall("a", "echo a"), shCall("b", "echo b"), shCall("c", "echo c")}},
		{text: "done"},
	}}
	s, _ := newTestSession(t, m, nil)
	c := collect(s)
	if _, err := s.Run(context.Background(), "go"); err != nil {
		t.Fatal(err)
	}
	evs := c.finish(t, s)
	queued, firstAction := -1, -1
	var started []string
	for i, ev := range evs {
		switch ev.Kind {
		case KindQueued:
			if queued >= 0 {
				t.Fatalf("two queued events for one reply")
			}
			queued = i
			if got := queuedIDs(ev); !slices.Equal(got, []string{"a", "b", "c"}) {
				t.Fatalf("queued %v, want a b c in order", got)
			}
			if cmd := ev.Queued.Actions[1].Command; cmd != "echo b" {
				t.Errorf("queued b's command = %q, want it described like its action", cmd)
			}
		case KindAction:
			if firstAction < 0 {
				firstAction = i
			}
			started = append(started, ev.Action.ToolCallID)
		}
	}
	if queued < 0 || firstAction < 0 || queued > firstAction {
		t.Fatalf("queued at %d, first action at %d: all calls must be announced before the first runs\n%s", queued, firstAction, kinds(evs))
	}
	if !slices.Equal(started, []string{"a", "b", "c"}) {
		t.Errorf("actions %v: each call still starts with its own action, in order", started)
	}
}

func TestSingleCallReplyNotQueued(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{{calls: []llm.ToolCall{shCall("a", "echo a")}}, {text: "done"}}}
	s, _ := newTestSession(t, m, nil)
	c := collect(s)
	if _, err := s.Run(context.Background(), "go"); err != nil {
		t.Fatal(err)
	}
	for _, ev := range c.finish(t, s) {
		if ev.Kind == KindQueued {
			t.Fatalf("a one-call reply announced a queue: %+v", ev.Queued)
		}
	}
}

func TestCancelLeavesNoQueuedCallPending(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{{calls: []llm.ToolCall{shCall("a", "echo a"), shCall("b", "echo b"), shCall("c", "echo c")}}}}
	s, _ := newTestSession(t, m, func(o *Options) { o.StepMode = true })
	c := collect(s)
	s.Send("go")
	waitPending(t, s, c, "a")
	s.Approve()
	waitPending(t, s, c, "b") // step mode still asks for each in turn
	waitCancelled(t, s, c)
	evs := c.events()
	answered := map[string]Observation{}
	for _, ev := range evs {
		if ev.Kind == KindObservation {
			answered[ev.Observation.ToolCallID] = *ev.Observation
		}
	}
	for _, id := range []string{"a", "b", "c"} {
		o, ok := answered[id]
		if !ok {
			t.Fatalf("call %s was announced but never closed: left pending\n%s", id, kinds(evs))
		}
		if wantNotRun := id != "a"; o.NotRun != wantNotRun {
			t.Errorf("call %s: NotRun = %v, want %v", id, o.NotRun, wantNotRun)
		}
	}
	// The conversation stays valid: the next request answers each call once.
	m.mu.Lock()
	m.replies = append(m.replies, fakeReply{text: "ok"})
	m.mu.Unlock()
	if res, err := s.Run(context.Background(), "go on"); err != nil || res.Status != StateFinished {
		t.Fatalf("after cancel: %+v %v", res, err)
	}
	checkConversation(t, m.requests()[1].Messages)
	c.finish(t, s)
}
