package session

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tether-dev/tether/llm"
)

func TestRunEventOrderAndSeq(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{
		{text: "Let me look.", calls: []llm.ToolCall{shCall("c1", "echo hi")},
			usage: llm.Usage{PromptTokens: 10, CompletionTokens: 5, CostUSD: 0.01, CostKnown: true}},
		{text: "All done: it printed hi.", usage: llm.Usage{PromptTokens: 20, CompletionTokens: 7, CostUSD: 0.02, CostKnown: true}},
	}}
	s, _ := newTestSession(t, m, nil)
	c := collect(s)
	res, err := s.Run(context.Background(), "say hi")
	if err != nil {
		t.Fatal(err)
	}
	evs := c.finish(t, s)
	if res.Status != StateFinished || res.FinalMessage != "All done: it printed hi." {
		t.Fatalf("result = %+v", res)
	}
	if res.PromptTokens != 30 || res.CompletionTokens != 12 || !res.CostKnown || res.CostUSD < 0.0299 || res.CostUSD > 0.0301 {
		t.Errorf("totals = %+v", res)
	}
	if res.EventCount != int64(len(evs)) {
		t.Errorf("EventCount %d, received %d events", res.EventCount, len(evs))
	}
	// Collapse runs of deltas/outputs to check the order of kinds.
	var got []string
	for _, ev := range evs {
		k := string(ev.Kind)
		if ev.Kind == KindState {
			k += ":" + string(ev.State.To)
		}
		if len(got) > 0 && got[len(got)-1] == k && (ev.Kind == KindAssistantDelta || ev.Kind == KindOutput) {
			continue
		}
		got = append(got, k)
	}
	want := "sandbox tools user_message state:running assistant_delta assistant_message usage action output observation assistant_delta assistant_message usage state:finished"
	if strings.Join(got, " ") != want {
		t.Fatalf("event order\n got: %s\nwant: %s", strings.Join(got, " "), want)
	}
	ids := map[string]bool{}
	var deltas, out strings.Builder
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: not gap-free", i, ev.Seq)
		}
		if ids[ev.ID] || ev.ID == "" {
			t.Fatalf("duplicate or empty id %q", ev.ID)
		}
		ids[ev.ID] = true
		if ev.Time.IsZero() {
			t.Fatal("event without time")
		}
		if i > 0 && ev.Time.Before(evs[i-1].Time) {
			t.Fatal("time goes backwards")
		}
		switch ev.Kind {
		case KindAssistantDelta:
			deltas.WriteString(ev.Message.Text)
		case KindOutput:
			out.WriteString(ev.Output.Data)
		case KindAction:
			if ev.Action.Command != "echo hi" || ev.Action.Summary != "run echo hi" || ev.Action.NeedsApproval {
				t.Errorf("action = %+v", ev.Action)
			}
		case KindObservation:
			if ev.Observation.ExitCode == nil || *ev.Observation.ExitCode != 0 || ev.Observation.Content != "hi\n" {
				t.Errorf("observation = %+v", ev.Observation)
			}
		}
	}
	if deltas.String() != "Let me look.All done: it printed hi." {
		t.Errorf("deltas = %q", deltas.String())
	}
	if out.String() != "hi\n" {
		t.Errorf("output = %q", out.String())
	}
	reqs := m.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	second := reqs[1].Messages
	checkConversation(t, second)
	last := second[len(second)-1]
	if last.Role != llm.RoleTool || last.ToolCallID != "c1" || last.Content != "hi\n" || last.Name != "sh" {
		t.Errorf("tool message = %+v", last)
	}
	if len(reqs[0].Tools) != 2 || reqs[0].Tools[0].Name != "sh" {
		t.Errorf("tools sent = %+v", reqs[0].Tools)
	}
}

func TestFinishToolEndsRun(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{
		{calls: []llm.ToolCall{
			call("f1", "finish", `{"message":"wrote hello.py"}`),
			shCall("c2", "echo never"),
		}},
	}}
	s, _ := newTestSession(t, m, nil)
	c := collect(s)
	res, err := s.Run(context.Background(), "go")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StateFinished || res.FinalMessage != "wrote hello.py" {
		t.Fatalf("result = %+v", res)
	}
	checkConversation(t, s.Conversation())
	for _, ev := range c.finish(t, s) {
		if ev.Kind == KindAction && ev.Action.ToolCallID == "c2" {
			t.Fatal("call after finish was run")
		}
	}
	if n := len(m.requests()); n != 1 {
		t.Errorf("model called %d times after finish", n)
	}
}

func TestMalformedCallsGoBackToModel(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{
		{calls: []llm.ToolCall{
			call("bad", "sh", `{"command": "echo hi"`), // truncated JSON
			call("unk", "teleport", `{}`),
			call("err", "boom", `{}`),
			call("pan", "panic", ``), // empty args mean {}
		}},
		{text: "ok, giving up"},
	}}
	boom := fakeFuncTool{name: "boom", fn: func(ctx context.Context, c ToolCall) (ToolResult, error) {
		return ToolResult{}, errors.New("disk on fire")
	}}
	pan := fakeFuncTool{name: "panic", fn: func(ctx context.Context, c ToolCall) (ToolResult, error) {
		if string(c.Args) != "{}" {
			t.Errorf("empty args became %q", c.Args)
		}
		panic("oops")
	}}
	s, _ := newTestSession(t, m, func(o *Options) { o.Tools = fakeTools(boom, pan) })
	c := collect(s)
	res, err := s.Run(context.Background(), "go")
	if err != nil || res.Status != StateFinished {
		t.Fatalf("res %+v err %v", res, err)
	}
	evs := c.finish(t, s)
	obs := map[string]*Observation{}
	for _, ev := range evs {
		if ev.Kind == KindObservation {
			obs[ev.Observation.ToolCallID] = ev.Observation
		}
		if ev.Kind == KindAction && ev.Action.ToolCallID == "bad" && string(ev.Action.Args) != `"{\"command\": \"echo hi\""` {
			t.Errorf("malformed args should be carried as a JSON string, got %s", ev.Action.Args)
		}
	}
	for id, want := range map[string]string{"bad": "not valid JSON", "unk": `no tool named "teleport"`, "err": "disk on fire", "pan": "crashed: oops"} {
		o := obs[id]
		if o == nil || !o.IsError || !strings.Contains(o.Content, want) {
			t.Errorf("observation %s = %+v, want error containing %q", id, o, want)
		}
	}
	msgs := m.requests()[1].Messages
	checkConversation(t, msgs)
	if !strings.Contains(msgs[len(msgs)-3].Content, "Available tools: sh, finish, boom, panic") {
		t.Errorf("unknown-tool message = %q", msgs[len(msgs)-3].Content)
	}
}

func TestFailedCommandDoesNotEndSession(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{
		{calls: []llm.ToolCall{shCall("c1", "echo nope >&2; exit 3")}},
		{text: "it failed with 3"},
	}}
	s, _ := newTestSession(t, m, nil)
	c := collect(s)
	res, _ := s.Run(context.Background(), "go")
	evs := c.finish(t, s)
	if res.Status != StateFinished {
		t.Fatalf("res = %+v", res)
	}
	var stderr string
	for _, ev := range evs {
		if ev.Kind == KindOutput && ev.Output.Stream == "stderr" {
			stderr += ev.Output.Data
		}
		if ev.Kind == KindObservation && (!ev.Observation.IsError || *ev.Observation.ExitCode != 3) {
			t.Errorf("observation = %+v", ev.Observation)
		}
	}
	if stderr != "nope\n" {
		t.Errorf("stderr = %q", stderr)
	}
}

func TestFatalLLMErrorThenNewPrompt(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{
		{err: errors.New("401 unauthorized: check your API key")},
		{text: "hello again"},
	}}
	s, _ := newTestSession(t, m, nil)
	c := collect(s)
	res, err := s.Run(context.Background(), "hi")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StateError || !strings.Contains(res.Reason, "401") {
		t.Fatalf("res = %+v", res)
	}
	e := c.waitFor(t, "fatal error event", func(ev Event) bool { return ev.Kind == KindError })
	if !e.Error.Fatal {
		t.Error("LLM failure not marked fatal")
	}
	res, err = s.Run(context.Background(), "try again")
	if err != nil || res.Status != StateFinished || res.FinalMessage != "hello again" {
		t.Fatalf("after error: %+v %v", res, err)
	}
	msgs := m.requests()[1].Messages
	checkConversation(t, msgs)
	if msgs[1].Content != "hi" || msgs[2].Content != "try again" {
		t.Errorf("conversation = %+v", msgs)
	}
	c.finish(t, s)
}

func TestQueuedPromptRunsAfterCurrent(t *testing.T) {
	m := &fakeModel{calling: make(chan int)}
	s, _ := newTestSession(t, m, nil)
	c := collect(s)
	if err := s.Send("first"); err != nil {
		t.Fatal(err)
	}
	<-m.calling
	if err := s.Send("second"); err != nil {
		t.Fatal(err)
	}
	<-m.calling
	res, _ := s.Wait(context.Background())
	if res.Status != StateFinished {
		t.Fatalf("res = %+v", res)
	}
	reqs := m.requests()
	if len(reqs) != 2 || reqs[1].Messages[3].Content != "second" {
		t.Fatalf("second prompt not sent after first: %+v", reqs)
	}
	c.finish(t, s)
}

func TestNoModelAndClosed(t *testing.T) {
	s, _ := newTestSession(t, nil, nil)
	if err := s.Send("hi"); !errors.Is(err, ErrNoModel) {
		t.Errorf("Send without model: %v", err)
	}
	if err := s.Send("  "); !errors.Is(err, ErrEmptyPrompt) {
		t.Errorf("empty prompt: %v", err)
	}
	if _, err := New(Options{}); !errors.Is(err, ErrNoSandbox) {
		t.Errorf("New without sandbox: %v", err)
	}
	s.Close()
	if err := s.Shell("ls"); !errors.Is(err, ErrClosed) {
		t.Errorf("Shell after close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestToolNameOverride(t *testing.T) {
	custom := fakeFuncTool{name: "sh", fn: func(ctx context.Context, c ToolCall) (ToolResult, error) {
		return ToolResult{Content: "custom sh"}, nil
	}}
	m := &fakeModel{replies: []fakeReply{{calls: []llm.ToolCall{shCall("c", "x")}}, {text: "ok"}}}
	s, _ := newTestSession(t, m, func(o *Options) { o.ExtraTools = func() []Tool { return []Tool{custom} } })
	defer s.Close()
	if _, err := s.Run(context.Background(), "go"); err != nil {
		t.Fatal(err)
	}
	r := m.requests()
	if len(r[0].Tools) != 2 || r[0].Tools[1].Name != "sh" {
		t.Errorf("tools = %+v", r[0].Tools)
	}
	if got := r[1].Messages[len(r[1].Messages)-1].Content; got != "custom sh" {
		t.Errorf("ExtraTools did not replace sh: %q", got)
	}
}
