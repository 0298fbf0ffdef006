package fleet

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui"
	"github.com/tether-dev/tether/ui/uitest"
)

// fakeEngine is the shared scripted engine with the screen's static
// information; name tells the fleet's sessions apart (sandbox "sbx-NAME",
// event ids "NAME-ev-N").
type fakeEngine struct {
	*uitest.Engine
	name string
	info ui.EngineInfo
}

func newFakeEngine(name string, buf int) *fakeEngine {
	e := uitest.NewEngine("sbx-"+name, buf)
	e.EventPrefix = name + "-"
	return &fakeEngine{Engine: e, name: name,
		info: ui.EngineInfo{ModelName: "test-model", HasModel: true, Provider: "local"}}
}

func (f *fakeEngine) Info() ui.EngineInfo { return f.info }

func fixedNow() time.Time { return uitest.FixedNow() }

var errShutdown = errors.New("delete sandbox: 503 service unavailable")

// --- event constructors for scripts ---

func evSandbox(id, state string) session.Event {
	return session.Event{Kind: session.KindSandbox, Sandbox: &session.SandboxInfo{
		ID: id, Provider: "local", State: state, Image: "workspace dir", WorkDir: "/w",
		CreatedAt: fixedNow().Add(-90 * time.Second),
	}}
}

func evAction(id, command string) session.Event {
	args, _ := json.Marshal(map[string]any{"command": command})
	return session.Event{Kind: session.KindAction, Action: &session.Action{
		ToolCallID: id, Tool: "terminal", Args: args, Command: command, Summary: "run " + command,
	}}
}

// scriptRunning is a run in progress in sandbox id.
func scriptRunning(id, prompt string, cost float64, known bool) []session.Event {
	return []session.Event{
		evSandbox(id, "creating"), evSandbox(id, "started"),
		uitest.User(prompt),
		uitest.State(session.StateIdle, session.StateRunning, ""),
		uitest.Assistant("I'll look at the workspace first."),
		evAction("c1", "ls -la"),
		uitest.Output("c1", "total 12\n-rw-r--r-- 1 u u  120 main.go\n"),
		uitest.Usage(1234, 56, cost, known),
	}
}
