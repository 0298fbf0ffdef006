package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui"
	"github.com/tether-dev/tether/ui/uitest"
)

// fakeEngine records the calls the fleet and its screens make and lets a
// test publish scripted events. It is safe for the UI's goroutines.
type fakeEngine struct {
	name string

	mu      sync.Mutex
	calls   []string
	prompts []string
	info    ui.EngineInfo
	events  chan session.Event
	seq     int64
	clock   time.Time
	closed  bool
	// shutdownBlock, when set, holds Shutdown until it is closed.
	shutdownBlock chan struct{}
	shutdownErr   error
	// inShutdown is closed when Shutdown is entered.
	inShutdown chan struct{}
}

func newFakeEngine(name string, buf int) *fakeEngine {
	return &fakeEngine{
		name:       name,
		info:       ui.EngineInfo{ModelName: "test-model", HasModel: true, Provider: "local"},
		events:     make(chan session.Event, buf),
		clock:      fixedNow(),
		inShutdown: make(chan struct{}),
	}
}

func fixedNow() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }

func (f *fakeEngine) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeEngine) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == name {
			n++
		}
	}
	return n
}

func (f *fakeEngine) Prompts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.prompts...)
}

func (f *fakeEngine) Events() <-chan session.Event { return f.events }
func (f *fakeEngine) Send(p string) error {
	f.record("Send")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prompts = append(f.prompts, p)
	return nil
}
func (f *fakeEngine) Shell(string) error   { f.record("Shell"); return nil }
func (f *fakeEngine) Cancel()              { f.record("Cancel") }
func (f *fakeEngine) Pause()               { f.record("Pause") }
func (f *fakeEngine) Resume()              { f.record("Resume") }
func (f *fakeEngine) SetStepMode(bool)     { f.record("SetStepMode") }
func (f *fakeEngine) Approve()             { f.record("Approve") }
func (f *fakeEngine) ApproveAll()          { f.record("ApproveAll") }
func (f *fakeEngine) Reject(string)        { f.record("Reject") }
func (f *fakeEngine) Edit(json.RawMessage) { f.record("Edit") }
func (f *fakeEngine) Info() ui.EngineInfo  { return f.info }

// Shutdown plays what the real engine does: sandbox destroying →
// destroyed (only destroying when shutdownErr is set), then close the
// channel. Its events go through the channel like any other, so it only
// returns if the fleet keeps reading.
func (f *fakeEngine) Shutdown(ctx context.Context) error {
	f.record("Shutdown")
	f.mu.Lock()
	block := f.shutdownBlock
	first := !f.closed
	f.mu.Unlock()
	if first {
		select {
		case <-f.inShutdown:
		default:
			close(f.inShutdown)
		}
	}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return f.shutdownErr
	}
	id := "sbx-" + f.name
	f.emitLocked(session.Event{Kind: session.KindSandbox, Sandbox: &session.SandboxInfo{ID: id, Provider: "local", State: "destroying"}})
	if f.shutdownErr == nil {
		f.emitLocked(session.Event{Kind: session.KindSandbox, Sandbox: &session.SandboxInfo{ID: id, Provider: "local", State: "destroyed"}})
	}
	f.closed = true
	close(f.events)
	return f.shutdownErr
}

var errShutdown = errors.New("delete sandbox: 503 service unavailable")

func (f *fakeEngine) emit(evs ...session.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ev := range evs {
		f.emitLocked(ev)
	}
}

func (f *fakeEngine) emitLocked(ev session.Event) {
	f.seq++
	ev.Seq = f.seq
	ev.ID = fmt.Sprintf("%s-ev-%d", f.name, f.seq)
	f.clock = f.clock.Add(100 * time.Millisecond)
	if ev.Time.IsZero() {
		ev.Time = f.clock
	}
	f.events <- ev
}

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
