package session

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
	"github.com/tether-dev/tether/sandbox"
	"github.com/tether-dev/tether/sandbox/local"
)

// These tests run the engine at the real wire: the real llm.Client
// against llmtest's fake OpenAI SSE server, and a real local sandbox.

func wireSandbox(t testing.TB) sandbox.Sandbox {
	t.Helper()
	p, err := local.NewProvider(local.Options{BaseDir: t.TempDir(), Isolation: local.IsolationNone})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := p.Create(context.Background(), sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close(context.Background()) })
	return sb
}

func wireClient(t testing.TB, srv *llmtest.Server) *llm.Client {
	t.Helper()
	c, err := llm.New(srv.Config("test-model"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wireSession(t testing.TB, srv *llmtest.Server, mod func(*Options)) *Session {
	t.Helper()
	opts := Options{Sandbox: wireSandbox(t), Model: wireClient(t, srv), ModelName: "test-model", Tools: fakeTools()}
	if mod != nil {
		mod(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWireFullRun(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(
		llmtest.Reply{Text: "Writing the file.", ToolCalls: []llmtest.ToolCallReply{
			llmtest.Call("sh", map[string]string{"command": "echo hello > f.txt && cat f.txt"}),
		}},
		llmtest.Reply{ToolCalls: []llmtest.ToolCallReply{
			llmtest.Call("sh", `{"command": "cat f.txt"`), // malformed: goes back as an error
			llmtest.Call("nope", `{}`),
		}},
		llmtest.ToolReply(llmtest.Call("finish", map[string]string{"message": "f.txt says hello"})),
	)
	path := filepath.Join(t.TempDir(), "r.jsonl")
	s := wireSession(t, srv, func(o *Options) { o.RecordPath = path })
	c := collect(s)
	res, err := s.Run(context.Background(), "make f.txt")
	if err != nil || res.Status != StateFinished || res.FinalMessage != "f.txt says hello" {
		t.Fatalf("res %+v err %v", res, err)
	}
	if res.PromptTokens == 0 || res.CompletionTokens == 0 || res.SandboxID == "" {
		t.Errorf("result = %+v", res)
	}
	evs := c.finish(t, s)
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	for _, r := range reqs {
		checkConversation(t, r.Messages)
		if !r.Stream || !r.HasTool("sh") {
			t.Errorf("request not streamed or without tools: %+v", r)
		}
	}
	if tr := reqs[1].ToolResults(); len(tr) != 1 || tr[0].Content != "hello\n" {
		t.Errorf("tool results of call 1 = %+v", tr)
	}
	tr := reqs[2].ToolResults()
	if len(tr) != 2 || !strings.Contains(tr[0].Content, "not valid JSON") || !strings.Contains(tr[1].Content, `no tool named "nope"`) {
		t.Errorf("tool results of call 2 = %+v", tr)
	}
	var deltas strings.Builder
	for _, ev := range evs {
		if ev.Kind == KindAssistantDelta {
			deltas.WriteString(ev.Message.Text)
		}
	}
	if deltas.String() != "Writing the file." {
		t.Errorf("deltas = %q", deltas.String())
	}
	rec, err := ReadRecording(path)
	if err != nil || len(rec) != len(evs) {
		t.Errorf("recording: %d events (live %d), %v", len(rec), len(evs), err)
	}
}

func TestWireRejectReasonReachesModel(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(
		llmtest.ToolReply(llmtest.Call("sh", map[string]string{"command": "rm -rf build"})),
		llmtest.TextReply("OK, I will keep build."),
	)
	s := wireSession(t, srv, func(o *Options) { o.StepMode = true })
	c := collect(s)
	s.Send("clean up")
	id := c.waitFor(t, "action", func(ev Event) bool { return ev.Kind == KindAction }).Action.ToolCallID
	waitPending(t, s, c, id)
	s.Reject("keep the build directory")
	res, _ := s.Wait(context.Background())
	if res.Status != StateFinished {
		t.Fatalf("res = %+v", res)
	}
	tr := srv.Requests()[1].ToolResults()
	if len(tr) != 1 || !strings.Contains(tr[0].Content, "keep the build directory") {
		t.Errorf("model was sent %+v", tr)
	}
	c.finish(t, s)
}

func TestWireCancelStreamAndCommand(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Enqueue(llmtest.Reply{Text: "thinking and thinking", Hang: true, CutAfter: 2})
	s := wireSession(t, srv, nil)
	c := collect(s)
	s.Send("first")
	c.waitFor(t, "delta", func(ev Event) bool { return ev.Kind == KindAssistantDelta })
	waitCancelled(t, s, c)

	pidFile := filepath.Join(t.TempDir(), "pid")
	srv.Enqueue(
		llmtest.ToolReply(llmtest.Call("sh", map[string]string{"command": "sleep 30 & echo $! > " + pidFile + "; echo started; wait"})),
		llmtest.TextReply("after cancel"),
	)
	s.Send("second")
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
	res, err := s.Run(context.Background(), "third")
	if err != nil || res.FinalMessage != "after cancel" {
		t.Fatalf("res %+v err %v", res, err)
	}
	reqs := srv.Requests()
	last := reqs[len(reqs)-1]
	checkConversation(t, last.Messages)
	var users []string
	for _, m := range last.Messages {
		if m.Role == llm.RoleUser {
			users = append(users, m.Content)
		}
	}
	if strings.Join(users, ",") != "first,second,third" {
		t.Errorf("user messages = %q", users)
	}
	c.finish(t, s)
}

func TestWireFatalAuthErrorNoSecret(t *testing.T) {
	const key = "sk-wrong-key-0123456789"
	srv := llmtest.NewServer(t, llmtest.WithAPIKey("sk-right"))
	cfg := srv.Config("test-model")
	cfg.APIKey = key
	client, err := llm.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "r.jsonl")
	s, err := New(Options{Sandbox: wireSandbox(t), Model: client, Tools: fakeTools(), RecordPath: path, Secrets: []string{key}})
	if err != nil {
		t.Fatal(err)
	}
	c := collect(s)
	start := time.Now()
	res, _ := s.Run(context.Background(), "hi")
	if res.Status != StateError || res.Reason == "" {
		t.Fatalf("res = %+v", res)
	}
	if time.Since(start) > 10*time.Second {
		t.Error("auth failure was retried for too long")
	}
	c.finish(t, s)
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), key) || strings.Contains(res.Reason, key) {
		t.Error("API key leaked into the recording or result")
	}
	if !strings.Contains(string(raw), `"fatal":true`) {
		t.Error("no fatal error event recorded")
	}
}

// Shell goes through the session's real terminal tool, so the user's cd
// carries over to later commands (the agent's too), and needs no model.
func TestWireShellUsesTerminalTool(t *testing.T) {
	s, err := New(Options{Sandbox: wireSandbox(t)})
	if err != nil {
		t.Fatal(err)
	}
	c := collect(s)
	if err := s.Shell("mkdir -p sub && cd sub"); err != nil {
		t.Fatal(err)
	}
	if err := s.Shell("pwd"); err != nil {
		t.Fatal(err)
	}
	evs := c.finish(t, s)
	var last *Observation
	for _, ev := range evs {
		if ev.Kind == KindObservation {
			last = ev.Observation
		}
		if ev.Kind == KindAction && !ev.Action.Direct {
			t.Errorf("user command not marked Direct: %+v", ev.Action)
		}
	}
	if last == nil || !strings.Contains(last.Content, "/sub") {
		t.Errorf("pwd after cd = %+v", last)
	}
}

// The same cancel with the default tools: the real terminal tool must pass
// the cancel down to the sandbox.
func TestWireCancelTerminalTool(t *testing.T) {
	srv := llmtest.NewServer(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	srv.Enqueue(llmtest.ToolReply(llmtest.Call("terminal", map[string]any{
		"command": "sleep 30 & echo $! > " + pidFile + "; echo started; wait", "timeout": 60,
	})))
	s := wireSession(t, srv, func(o *Options) { o.Tools = nil }) // DefaultTools
	c := collect(s)
	s.Send("go")
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
	c.finish(t, s)
}

// A command the model left running (a call with "timeout" returned while
// it ran) dies with the run when the user cancels, not only with the
// session.
func TestWireCancelKillsACommandLeftRunning(t *testing.T) {
	srv := llmtest.NewServer(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	srv.Enqueue(
		llmtest.ToolReply(llmtest.Call("terminal", map[string]any{"command": "sleep 31 & echo $! > " + pidFile + "; wait", "timeout": 0.3})),
		llmtest.Reply{Text: "a slow reply while the command runs on", ChunkDelay: 300 * time.Millisecond},
	)
	s := wireSession(t, srv, func(o *Options) { o.Tools = nil }) // DefaultTools
	c := collect(s)
	s.Send("go")
	c.waitFor(t, "running observation", func(ev Event) bool { return ev.Kind == KindObservation && ev.Observation.Running })
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if !processAlive(pid) {
		t.Fatalf("sleep (pid %d) is not running before the cancel", pid)
	}
	waitCancelled(t, s, c)
	if processAlive(pid) {
		t.Errorf("sleep (pid %d) survived cancel", pid)
	}
	c.finish(t, s)
}
