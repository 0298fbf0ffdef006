package ui

import (
	"encoding/json"
	"time"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

// fakeEngine is the shared scripted engine with the screen's static
// information.
type fakeEngine struct {
	*uitest.Engine
	info EngineInfo
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{
		Engine: uitest.NewEngine("local-abc", 4096),
		info:   EngineInfo{ModelName: "test-model", HasModel: true, Provider: "local"},
	}
}

func (f *fakeEngine) Info() EngineInfo { return f.info }

func fixedNow() time.Time { return uitest.FixedNow() }

// --- event constructors for scripts ---

func evSandbox(state string) session.Event {
	return session.Event{Kind: session.KindSandbox, Sandbox: &session.SandboxInfo{
		ID: "local-abc", Provider: "local", State: state, Image: "workspace dir",
		CPU: 2, MemoryGB: 4, DiskGB: 10, WorkDir: "/w", Isolation: "bwrap",
		Labels:    map[string]string{"created-by": "tether", "tether-pid": "4242", "team": "infra"},
		CreatedAt: fixedNow().Add(-90 * time.Second),
	}}
}

func evAction(id, command string, needsApproval bool) session.Event {
	args, _ := json.Marshal(map[string]any{"command": command, "timeout": 30})
	return session.Event{Kind: session.KindAction, Action: &session.Action{
		ToolCallID: id, Tool: "terminal", Args: args, Command: command,
		Summary: "run " + command, NeedsApproval: needsApproval,
	}}
}

func evObservation(id, content string, code int) session.Event {
	return session.Event{Kind: session.KindObservation, Observation: &session.Observation{
		ToolCallID: id, Tool: "terminal", Content: content, ExitCode: &code, Duration: 1500 * time.Millisecond,
	}}
}

// scriptRunning is a run in progress with streamed output.
func scriptRunning() []session.Event {
	return []session.Event{
		evSandbox("creating"), evSandbox("started"),
		uitest.User("list the files and count lines"),
		uitest.State(session.StateIdle, session.StateRunning, ""),
		uitest.Assistant("I'll look at the workspace first."),
		evAction("c1", "ls -la && wc -l *.go", false),
		uitest.Output("c1", "total 12\ndrwxr-xr-x 2 u u 4096 .\n-rw-r--r-- 1 u u  120 main.go\n"),
		uitest.Output("c1", "  120 main.go\n"),
		uitest.Usage(1234, 56, 0.0123, true),
	}
}

// scriptApproval leaves a terminal action waiting in step mode.
func scriptApproval() []session.Event {
	return append(scriptRunning()[:5],
		evAction("c2", "rm -rf build && make test", true),
		uitest.State(session.StateRunning, session.StateWaiting, ""),
	)
}
