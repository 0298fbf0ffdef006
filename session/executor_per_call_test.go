package session

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/sandbox/local"
)

func terminalCall(id, command string) llm.ToolCall {
	b, _ := json.Marshal(map[string]string{"command": command})
	return call(id, ToolTerminal, string(b))
}

// observations returns the content of every tool message the model was
// sent, in order.
func observations(m *fakeModel) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, r := range m.reqs {
		if n := len(r.Messages); n > 0 && r.Messages[n-1].Role == llm.RoleTool {
			out = append(out, r.Messages[n-1].Content)
		}
	}
	return out
}

// TestExecutorToolsArePerSession: the default terminal tool keeps the
// shell's cwd per session; a second Execute in a new sandbox must not
// inherit the first one's directory (it used to report "the previous
// working directory … is gone").
func TestExecutorToolsArePerSession(t *testing.T) {
	p, err := local.NewProvider(local.Options{BaseDir: t.TempDir(), Isolation: local.IsolationNone})
	if err != nil {
		t.Fatal(err)
	}
	m := &fakeModel{replies: []fakeReply{
		{calls: []llm.ToolCall{terminalCall("a", "mkdir sub && cd sub && pwd")}},
		{text: "first done"},
		{calls: []llm.ToolCall{terminalCall("b", "pwd")}},
		{text: "second done"},
	}}
	tools := func() []Tool { return []Tool{NewTerminalTool(), NewFinishTool()} }
	ex := NewExecutor(ExecutorOptions{Options: Options{Model: m, Tools: tools}, Provider: p})
	for _, want := range []string{"first done", "second done"} {
		res, err := ex.Execute(context.Background(), "go")
		if err != nil || res.FinalMessage != want {
			t.Fatalf("Execute: %+v, %v", res, err)
		}
	}
	obs := observations(m)
	if len(obs) != 2 || !strings.Contains(obs[0], "/sub") {
		t.Fatalf("observations %q", obs)
	}
	if strings.Contains(obs[1], "/sub") || strings.Contains(obs[1], "gone") {
		t.Errorf("the second session inherited the first one's shell state: %q", obs[1])
	}
}

// TestExecutorConcurrentExecutes: several Execute calls at once each get
// their own session, tools and sandbox (run with -race).
func TestExecutorConcurrentExecutes(t *testing.T) {
	p := &fakeProvider{t: t}
	var made sync.Map
	ex := NewExecutor(ExecutorOptions{
		Options: Options{
			Model: &fakeModel{repeat: func(n int) fakeReply {
				if n%2 == 1 {
					return fakeReply{calls: []llm.ToolCall{shCall("x", "echo hi")}}
				}
				return fakeReply{text: "done"}
			}},
			Tools: func() []Tool {
				tools := fakeTools()()
				made.Store(&tools[0], true)
				return tools
			},
		},
		Provider: p,
	})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := ex.Execute(context.Background(), "go"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	n := 0
	made.Range(func(any, any) bool { n++; return true })
	if n != 4 {
		t.Errorf("tool sets made: %d, want one per Execute (4)", n)
	}
}

// TestExecutorSubscribersAndPerCallOptions: every subscriber hears every
// event in order; WithTimeout and WithConversationID apply to one call.
func TestExecutorSubscribersAndPerCallOptions(t *testing.T) {
	p := &fakeProvider{t: t}
	m := &fakeModel{replies: []fakeReply{{text: "done"}, {calls: []llm.ToolCall{shCall("a", "sleep 30")}}}}
	var a, b []int64
	ex := NewExecutor(ExecutorOptions{Options: Options{Model: m, Tools: fakeTools()}, Provider: p,
		OnEvent: func(ev Event) { a = append(a, ev.Seq) }})
	unsubscribe := ex.Subscribe(func(ev Event) { b = append(b, ev.Seq) })
	res, err := ex.Execute(context.Background(), "go", WithConversationID("conv-mine"))
	if err != nil || res.ConversationID != "conv-mine" {
		t.Fatalf("res %+v err %v", res, err)
	}
	if len(a) == 0 || len(a) != len(b) || int64(len(b)) != res.EventCount {
		t.Fatalf("OnEvent saw %d events, subscriber %d, result %d", len(a), len(b), res.EventCount)
	}
	for i := range a {
		if a[i] != int64(i+1) || b[i] != a[i] {
			t.Fatalf("out of order: %v / %v", a, b)
		}
	}
	unsubscribe()
	seen := len(b)
	res, err = ex.Execute(context.Background(), "go", WithTimeout(150*time.Millisecond))
	if err == nil || res.Status != StateCancelled {
		t.Fatalf("per-call timeout did not cancel: %+v, %v", res, err)
	}
	if len(b) != seen {
		t.Error("an unsubscribed listener still hears events")
	}
}

// TestExecutorStepModeWithApprover: in step mode every action reaches
// Approve; a rejection goes to the model with its reason, an edit runs
// the edited command.
func TestExecutorStepModeWithApprover(t *testing.T) {
	p := &fakeProvider{t: t}
	m := &fakeModel{replies: []fakeReply{
		{calls: []llm.ToolCall{shCall("a", "rm -rf /")}},
		{calls: []llm.ToolCall{shCall("b", "echo original")}},
		{text: "done"},
	}}
	var asked []string
	res, err := QuickRun(context.Background(), "go", ExecutorOptions{
		Options: Options{Model: m, Tools: fakeTools(), StepMode: true}, Provider: p,
		Approve: func(_ context.Context, a Action) Decision {
			asked = append(asked, a.Command)
			if strings.Contains(a.Command, "rm") {
				return Decision{Kind: DecideReject, Reason: "never delete /"}
			}
			return Decision{Kind: DecideEdit, Args: json.RawMessage(`{"command":"echo edited"}`)}
		},
	})
	if err != nil || res.Status != StateFinished {
		t.Fatalf("res %+v err %v", res, err)
	}
	obs := observations(m)
	if len(asked) != 2 || len(obs) != 2 || !strings.Contains(obs[0], "never delete /") || !strings.Contains(obs[1], "edited") {
		t.Errorf("asked %q, observations %q", asked, obs)
	}
	if _, err := QuickRun(context.Background(), "go", ExecutorOptions{Options: Options{Model: m, StepMode: true}, Provider: p}); err == nil {
		t.Error("step mode without Approve was accepted: the run would wait for nobody")
	}
}

// TestConfirmRiskyAsksOnlyForRiskyCalls: under ConfirmRisky the tools
// offer a security_risk field; LOW runs at once, HIGH and unrated wait.
func TestConfirmRiskyAsksOnlyForRiskyCalls(t *testing.T) {
	p := &fakeProvider{t: t}
	m := &fakeModel{replies: []fakeReply{
		{calls: []llm.ToolCall{call("a", "sh", `{"command":"ls","security_risk":"LOW"}`)}},
		{calls: []llm.ToolCall{call("b", "sh", `{"command":"curl x | sh","security_risk":"HIGH"}`)}},
		{calls: []llm.ToolCall{call("c", "sh", `{"command":"make"}`)}},
		{text: "done"},
	}}
	var asked []string
	_, err := QuickRun(context.Background(), "go", ExecutorOptions{
		Options: Options{Model: m, Tools: fakeTools(), Confirm: ConfirmRisky}, Provider: p,
		Approve: func(_ context.Context, a Action) Decision {
			asked = append(asked, a.ToolCallID)
			return Decision{Kind: DecideApprove}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(asked, ",") != "b,c" {
		t.Errorf("asked for %v, want b,c", asked)
	}
	m.mu.Lock()
	defs := m.reqs[0].Tools
	m.mu.Unlock()
	for _, d := range defs {
		if has := strings.Contains(string(d.Parameters), securityRiskField); has == (d.Name == ToolFinish) {
			t.Errorf("tool %s: security_risk in schema = %v", d.Name, has)
		}
	}
}
