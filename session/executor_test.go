package session

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
)

func TestExecutorCreatesAndClosesSandbox(t *testing.T) {
	p := &fakeProvider{t: t}
	m := &fakeModel{replies: []fakeReply{
		{calls: []llm.ToolCall{shCall("a", "echo hi")}, usage: llm.Usage{CostUSD: 0.5, CostKnown: true}},
		{text: "done"},
	}}
	var got []Kind
	res, err := QuickRun(context.Background(), "go", ExecutorOptions{
		Options:  Options{Model: m, Tools: fakeTools()},
		Provider: p,
		OnEvent:  func(ev Event) { got = append(got, ev.Kind) },
	})
	if err != nil || res.Status != StateFinished || res.FinalMessage != "done" || res.CostUSD != 0.5 {
		t.Fatalf("res %+v err %v", res, err)
	}
	if len(p.created) != 1 || p.created[0].closeCount() != 1 {
		t.Fatalf("sandbox not created and closed once: %+v", p.created)
	}
	if res.SandboxID != "fake-sb" || int64(len(got)) != res.EventCount || got[len(got)-1] != KindState {
		t.Errorf("events %v, result %+v", got, res)
	}
}

func TestExecutorReusesSandboxWithoutClosing(t *testing.T) {
	sb := newFakeSandbox(t)
	m := &fakeModel{replies: []fakeReply{{text: "done"}}}
	res, err := NewExecutor(ExecutorOptions{Options: Options{Sandbox: sb, Model: m, Tools: fakeTools()}}).Execute(context.Background(), "go")
	if err != nil || res.Status != StateFinished {
		t.Fatalf("res %+v err %v", res, err)
	}
	if sb.closeCount() != 0 {
		t.Error("executor closed a sandbox it did not create")
	}
}

func TestExecutorTimeoutCancelsAndCleansUp(t *testing.T) {
	p := &fakeProvider{t: t}
	m := &fakeModel{replies: []fakeReply{{calls: []llm.ToolCall{shCall("a", "sleep 30")}}}}
	start := time.Now()
	res, err := QuickRun(context.Background(), "go", ExecutorOptions{Options: Options{Model: m, Tools: fakeTools()}, Provider: p, Timeout: 200 * time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) || res.Status != StateCancelled || res.Reason != "timed out" {
		t.Fatalf("res %+v err %v", res, err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("timeout did not stop the command")
	}
	if p.created[0].closeCount() != 1 {
		t.Error("sandbox not closed after timeout")
	}
}

func TestExecutorPanicInOnEventCleansUp(t *testing.T) {
	p := &fakeProvider{t: t}
	m := &fakeModel{replies: []fakeReply{{text: "x", hang: true}}}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "handler bug") {
				t.Errorf("panic not passed on: %v", r)
			}
		}()
		QuickRun(context.Background(), "go", ExecutorOptions{
			Options:  Options{Model: m, Tools: fakeTools()},
			Provider: p,
			OnEvent: func(ev Event) {
				if ev.Kind == KindAssistantDelta {
					panic("handler bug")
				}
			},
		})
	}()
	if len(p.created) != 1 || p.created[0].closeCount() != 1 {
		t.Fatal("sandbox not closed after a panic in OnEvent")
	}
}

func TestExecutorBadOptions(t *testing.T) {
	if _, err := QuickRun(context.Background(), "go", ExecutorOptions{Provider: &fakeProvider{t: t}}); !errors.Is(err, ErrNoModel) {
		t.Errorf("no model: %v", err)
	}
	if _, err := QuickRun(context.Background(), "go", ExecutorOptions{Options: Options{Model: &fakeModel{}}}); err == nil || !strings.Contains(err.Error(), "Provider") {
		t.Errorf("no provider: %v", err)
	}
}
