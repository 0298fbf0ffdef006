package session

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
)

func waitCancelled(t *testing.T, s *Session, c *collector) time.Duration {
	t.Helper()
	var after int64
	if evs := c.events(); len(evs) > 0 {
		after = evs[len(evs)-1].Seq
	}
	start := time.Now()
	s.Cancel()
	res, err := s.Wait(context.Background())
	took := time.Since(start)
	if err != nil || res.Status != StateCancelled || res.Reason != "cancelled by user" {
		t.Fatalf("after cancel: %+v %v", res, err)
	}
	if took > 3*time.Second {
		t.Fatalf("cancel took %s", took)
	}
	last := c.waitFor(t, "cancelled state", func(ev Event) bool { return ev.Seq > after && isState(StateCancelled)(ev) })
	evs := c.events()
	if evs[len(evs)-1].Seq != last.Seq {
		t.Errorf("cancelled is not the last event: %s", kinds(evs))
	}
	checkConversation(t, s.Conversation())
	return took
}

func TestCancelDuringLLMStreamThenContinue(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{
		{text: "thinking very hard", hang: true},
		{text: "continued"},
	}}
	s, _ := newTestSession(t, m, nil)
	c := collect(s)
	s.Send("first")
	c.waitFor(t, "delta", func(ev Event) bool { return ev.Kind == KindAssistantDelta })
	waitCancelled(t, s, c)
	res, err := s.Run(context.Background(), "second")
	if err != nil || res.Status != StateFinished || res.FinalMessage != "continued" {
		t.Fatalf("after cancel: %+v %v", res, err)
	}
	msgs := m.requests()[1].Messages
	checkConversation(t, msgs)
	if msgs[len(msgs)-1].Content != "second" || msgs[1].Content != "first" {
		t.Errorf("conversation = %+v", msgs)
	}
	c.finish(t, s)
}

func TestCancelLongCommandKillsProcess(t *testing.T) {
	pidFile := t.TempDir() + "/pid"
	m := &fakeModel{replies: []fakeReply{
		{calls: []llm.ToolCall{shCall("long", "sleep 30 & echo $! > "+pidFile+"; echo started; wait"), shCall("next", "echo next")}},
		{text: "resumed fine"},
	}}
	s, _ := newTestSession(t, m, nil)
	c := collect(s)
	s.Send("run it")
	c.waitFor(t, "output", func(ev Event) bool { return ev.Kind == KindOutput && strings.Contains(ev.Output.Data, "started") })
	waitCancelled(t, s, c)
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if processAlive(pid) {
		t.Errorf("sleep (pid %d) survived cancel", pid)
	}
	var obs []*Observation
	for _, ev := range c.events() {
		if ev.Kind == KindObservation {
			obs = append(obs, ev.Observation)
		}
	}
	// The queued call that never started is closed too, as not run.
	if len(obs) != 2 || obs[0].ToolCallID != "long" || !strings.Contains(obs[0].Content, "cancelled") ||
		obs[1].ToolCallID != "next" || !obs[1].NotRun {
		t.Errorf("observations = %+v", obs)
	}
	msgs := s.Conversation()
	if last := msgs[len(msgs)-1]; last.ToolCallID != "next" || !strings.Contains(last.Content, "Cancelled by user") {
		t.Errorf("unrun call not answered: %+v", last)
	}
	res, _ := s.Run(context.Background(), "go on")
	if res.Status != StateFinished {
		t.Fatalf("res = %+v", res)
	}
	checkConversation(t, m.requests()[1].Messages)
	c.finish(t, s)
}

// processAlive reports whether pid runs (zombies count as gone).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || syscall.Kill(pid, 0) != nil {
			return false
		}
		if f := strings.Fields(string(stat)); len(f) > 2 && f[2] == "Z" {
			return false
		}
		if time.Now().After(deadline) {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCancelWhileWaitingForApproval(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{{calls: []llm.ToolCall{shCall("a", "echo a"), shCall("b", "echo b")}}}}
	s, _ := newTestSession(t, m, func(o *Options) { o.StepMode = true })
	c := collect(s)
	s.Send("go")
	waitPending(t, s, c, "a")
	waitCancelled(t, s, c)
	if s.Pending() != nil {
		t.Error("still pending after cancel")
	}
	// The action the user saw gets an observation that says it never ran.
	c.waitFor(t, "observation for a", func(ev Event) bool {
		return ev.Kind == KindObservation && ev.Observation.ToolCallID == "a" && strings.Contains(ev.Observation.Content, "Cancelled") &&
			ev.Observation.NotRun
	})
	c.finish(t, s)
}

func TestCancelWhilePaused(t *testing.T) {
	m := &fakeModel{calling: make(chan int), replies: []fakeReply{{calls: []llm.ToolCall{shCall("a", "echo a")}}}}
	s, _ := newTestSession(t, m, nil)
	c := collect(s)
	s.Send("go")
	<-m.calling
	s.Pause()
	c.waitFor(t, "paused", isState(StatePaused))
	waitCancelled(t, s, c)
	c.finish(t, s)
}

func TestCloseDuringRun(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{{text: "x", hang: true}}}
	s, _ := newTestSession(t, m, nil)
	c := collect(s)
	s.Send("go")
	c.waitFor(t, "delta", func(ev Event) bool { return ev.Kind == KindAssistantDelta })
	evs := c.finish(t, s)
	last := evs[len(evs)-1]
	if last.Kind != KindState || last.State.To != StateCancelled || last.State.Reason != "session closed" {
		t.Errorf("last event = %+v %+v", last, last.State)
	}
	if err := s.Send("again"); err == nil {
		t.Error("Send after Close succeeded")
	}
}

func TestRunContextCancels(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{{text: "x", hang: true}}}
	s, _ := newTestSession(t, m, nil)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	res, err := s.Run(ctx, "go")
	if err == nil || res.Status != StateCancelled {
		t.Fatalf("res %+v err %v", res, err)
	}
}

func TestSendRightAfterCancelIsNotLost(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{{text: "x", hang: true}, {text: "second answer"}}}
	s, _ := newTestSession(t, m, nil)
	c := collect(s)
	s.Send("first")
	c.waitFor(t, "delta", func(ev Event) bool { return ev.Kind == KindAssistantDelta })
	s.Cancel()
	if err := s.Send("second"); err != nil { // the first run may not have ended yet
		t.Fatal(err)
	}
	res, err := s.Wait(context.Background())
	if err != nil || res.Status != StateFinished || res.FinalMessage != "second answer" {
		t.Fatalf("res %+v err %v", res, err)
	}
	checkConversation(t, s.Conversation())
	c.waitFor(t, "cancelled", isState(StateCancelled))
	c.finish(t, s)
}

func TestConcurrentCloseKeepsLastEvent(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{{text: "x", hang: true}}}
	s, _ := newTestSession(t, m, nil)
	c := collect(s)
	s.Send("go")
	c.waitFor(t, "delta", func(ev Event) bool { return ev.Kind == KindAssistantDelta })
	done := make(chan struct{})
	for range 3 {
		go func() { s.Close(); done <- struct{}{} }()
	}
	for range 3 {
		<-done
	}
	<-c.done
	evs := c.events()
	if last := evs[len(evs)-1]; last.Kind != KindState || last.State.To != StateCancelled {
		t.Fatalf("last event %s", kinds(evs[len(evs)-1:]))
	}
}
