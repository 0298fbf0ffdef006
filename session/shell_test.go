package session

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestShellWithoutModelOrTerminal(t *testing.T) {
	s, _ := newTestSession(t, nil, func(o *Options) { o.Tools = func() []Tool { return []Tool{} } })
	c := collect(s)
	if err := s.Shell("echo out; echo err >&2; exit 2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Shell(""); err == nil {
		t.Error("empty command accepted")
	}
	evs := c.finish(t, s)
	var out string
	var act *Action
	var obs *Observation
	for _, ev := range evs {
		switch ev.Kind {
		case KindAction:
			act = ev.Action
		case KindOutput:
			out += ev.Output.Data
		case KindObservation:
			obs = ev.Observation
		case KindState:
			t.Errorf("Shell changed the state: %+v", ev.State)
		}
	}
	if act == nil || !act.Direct || act.Command != "echo out; echo err >&2; exit 2" {
		t.Fatalf("action = %+v", act)
	}
	var args map[string]any
	if json.Unmarshal(act.Args, &args) != nil || args["command"] != act.Command {
		t.Errorf("args = %s", act.Args)
	}
	if !strings.Contains(out, "out\n") || !strings.Contains(out, "err\n") {
		t.Errorf("output = %q", out)
	}
	if obs == nil || obs.ExitCode == nil || *obs.ExitCode != 2 || !obs.IsError || obs.ToolCallID != act.ToolCallID {
		t.Errorf("observation = %+v", obs)
	}
}

func TestShellNoteReachesNextPrompt(t *testing.T) {
	m := &fakeModel{replies: []fakeReply{{text: "I see you listed files"}}}
	s, _ := newTestSession(t, m, func(o *Options) { o.Tools = func() []Tool { return []Tool{} } })
	defer s.Close()
	if err := s.Shell("echo marker-42"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(context.Background(), "what did I run?"); err != nil {
		t.Fatal(err)
	}
	msgs := m.requests()[0].Messages
	checkConversation(t, msgs)
	u := msgs[len(msgs)-1].Content
	if !strings.Contains(u, "echo marker-42") || !strings.Contains(u, "exit code 0") || !strings.HasSuffix(u, "what did I run?") {
		t.Errorf("user message = %q", u)
	}
}

func TestShellThroughTerminalTool(t *testing.T) {
	var got string
	term := fakeFuncTool{name: "terminal", fn: func(ctx context.Context, c ToolCall) (ToolResult, error) {
		got = string(c.Args)
		c.Stdout.Write([]byte("via tool\n"))
		code := 0
		return ToolResult{Content: "via tool\n", ExitCode: &code}, nil
	}}
	s, _ := newTestSession(t, nil, func(o *Options) { o.Tools = func() []Tool { return []Tool{term} } })
	c := collect(s)
	s.Shell("pwd")
	evs := c.finish(t, s)
	if got != `{"command":"pwd","timeout":3600}` { // the user's command gets the longest timeout
		t.Errorf("terminal tool got %s", got)
	}
	if kinds(evs) != "sandbox tools action output observation " {
		t.Errorf("events = %s", kinds(evs))
	}
}

func TestCancelStopsShell(t *testing.T) {
	s, _ := newTestSession(t, nil, func(o *Options) { o.Tools = func() []Tool { return []Tool{} } })
	c := collect(s)
	done := make(chan struct{})
	go func() { s.Shell("echo started; sleep 30"); close(done) }()
	c.waitFor(t, "output", func(ev Event) bool { return ev.Kind == KindOutput })
	s.Cancel()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Cancel did not stop the shell command")
	}
	o := c.waitFor(t, "observation", func(ev Event) bool { return ev.Kind == KindObservation })
	if !strings.Contains(o.Observation.Content, "cancelled") {
		t.Errorf("observation = %+v", o.Observation)
	}
	c.finish(t, s)
}
