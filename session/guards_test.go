package session

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tether-dev/tether/llm"
)

func runToEnd(t *testing.T, m *fakeModel, mod func(*Options)) Result {
	t.Helper()
	s, _ := newTestSession(t, m, mod)
	defer s.Close()
	res, err := s.Run(context.Background(), "go")
	if err != nil {
		t.Fatal(err)
	}
	checkConversation(t, s.Conversation())
	return res
}

func TestMaxIterations(t *testing.T) {
	m := &fakeModel{repeat: func(n int) fakeReply {
		return fakeReply{calls: []llm.ToolCall{shCall(fmt.Sprint("c", n), fmt.Sprint("echo ", n))}}
	}}
	res := runToEnd(t, m, func(o *Options) { o.MaxIterations = 5 })
	if res.Status != StateError || !strings.Contains(res.Reason, "limit of 5 LLM calls") {
		t.Fatalf("res = %+v", res)
	}
	if n := len(m.requests()); n != 5 {
		t.Errorf("model called %d times, want 5", n)
	}
}

func TestMaxBudget(t *testing.T) {
	m := &fakeModel{repeat: func(n int) fakeReply {
		return fakeReply{
			calls: []llm.ToolCall{shCall(fmt.Sprint("c", n), fmt.Sprint("echo ", n))},
			usage: llm.Usage{PromptTokens: 100, CostUSD: 0.4, CostKnown: true},
		}
	}}
	res := runToEnd(t, m, func(o *Options) { o.MaxBudgetUSD = 1.0 })
	if res.Status != StateError || !strings.Contains(res.Reason, "budget of $1.0000 reached") {
		t.Fatalf("res = %+v", res)
	}
	// 0.4, 0.8, 1.2: the third call crosses the budget, no fourth.
	if n := len(m.requests()); n != 3 {
		t.Errorf("model called %d times, want 3", n)
	}
	if res.CostUSD < 1.19 || res.CostUSD > 1.21 || !res.CostKnown {
		t.Errorf("cost = %v known %v", res.CostUSD, res.CostKnown)
	}
}

func TestBudgetIgnoresUnknownCost(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{
		{calls: []llm.ToolCall{shCall("a", "echo a")}, usage: llm.Usage{PromptTokens: 5}},
		{text: "done", usage: llm.Usage{PromptTokens: 5}},
	}}
	res := runToEnd(t, m, func(o *Options) { o.MaxBudgetUSD = 0.0001 })
	if res.Status != StateFinished || res.CostKnown {
		t.Fatalf("res = %+v", res)
	}
}

func TestStuckDetection(t *testing.T) {
	cases := []struct {
		name  string
		reply func(n int) fakeReply
		want  string
		calls int
	}{
		{"same action and observation", func(n int) fakeReply {
			return fakeReply{calls: []llm.ToolCall{shCall(fmt.Sprint("c", n), "echo same")}}
		}, "same action gave the same result 4 times", 4},
		{"same action errors", func(n int) fakeReply {
			// Formatting differs; the action is the same.
			args := []string{`{"command":"exit 1"}`, `{ "command": "exit 1" }`}[n%2]
			return fakeReply{calls: []llm.ToolCall{call(fmt.Sprint("c", n), "sh", args)}}
		}, "same action failed 3 times", 3},
		{"alternating", func(n int) fakeReply {
			return fakeReply{calls: []llm.ToolCall{shCall(fmt.Sprint("c", n), []string{"echo A", "echo B"}[n%2])}}
		}, "alternated between the same two actions", 6},
		{"silent replies", func(n int) fakeReply { return fakeReply{} }, "without text or tool calls", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := &fakeModel{repeat: tc.reply}
			res := runToEnd(t, m, nil)
			if res.Status != StateStuck || !strings.Contains(res.Reason, tc.want) {
				t.Fatalf("res = %+v", res)
			}
			if n := len(m.requests()); n != tc.calls {
				t.Errorf("model called %d times, want %d", n, tc.calls)
			}
		})
	}
}

func TestNotStuckWhenProgressing(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{
		{calls: []llm.ToolCall{shCall("1", "echo same")}},
		{calls: []llm.ToolCall{shCall("2", "echo same")}},
		{calls: []llm.ToolCall{shCall("3", "echo same")}},
		{calls: []llm.ToolCall{shCall("4", "echo other")}},
		{calls: []llm.ToolCall{shCall("5", "echo same")}},
		{text: "done"},
	}}
	if res := runToEnd(t, m, nil); res.Status != StateFinished {
		t.Fatalf("res = %+v", res)
	}
}
