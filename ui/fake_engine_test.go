package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

// fakeEngine records every call the UI makes and lets a test publish
// scripted events. It is safe for the UI's goroutines.
type fakeEngine struct {
	mu        sync.Mutex
	calls     []string
	rejects   []string
	edits     []json.RawMessage
	prompts   []string
	shells    []string
	info      EngineInfo
	sendErr   error
	events    chan session.Event
	seq       int64
	clock     time.Time
	closed    bool
	shutdowns int
	// shutdownBlock, when set, holds Shutdown until it is closed.
	shutdownBlock chan struct{}
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{
		info:   EngineInfo{ModelName: "test-model", HasModel: true, Provider: "local"},
		events: make(chan session.Event, 4096),
		clock:  fixedNow(),
	}
}

func fixedNow() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }

func (f *fakeEngine) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeEngine) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeEngine) count(name string) int {
	n := 0
	for _, c := range f.Calls() {
		if c == name {
			n++
		}
	}
	return n
}

func (f *fakeEngine) Events() <-chan session.Event { return f.events }
func (f *fakeEngine) Send(p string) error {
	f.record("Send")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sendErr != nil {
		return f.sendErr
	}
	f.prompts = append(f.prompts, p)
	return nil
}
func (f *fakeEngine) Shell(c string) error {
	f.record("Shell")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shells = append(f.shells, c)
	return nil
}
func (f *fakeEngine) Cancel()             { f.record("Cancel") }
func (f *fakeEngine) Pause()              { f.record("Pause") }
func (f *fakeEngine) Resume()             { f.record("Resume") }
func (f *fakeEngine) SetStepMode(on bool) { f.record(fmt.Sprintf("SetStepMode(%v)", on)) }
func (f *fakeEngine) Approve()            { f.record("Approve") }
func (f *fakeEngine) ApproveAll()         { f.record("ApproveAll") }
func (f *fakeEngine) Reject(r string) {
	f.record("Reject")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejects = append(f.rejects, r)
}
func (f *fakeEngine) Edit(a json.RawMessage) {
	f.record("Edit")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.edits = append(f.edits, a)
}
func (f *fakeEngine) Info() EngineInfo { return f.info }

// Shutdown plays what the real engine does: cancel, sandbox destroying →
// destroyed, then close the channel.
func (f *fakeEngine) Shutdown(ctx context.Context) error {
	f.record("Shutdown")
	f.mu.Lock()
	f.shutdowns++
	block := f.shutdownBlock
	f.mu.Unlock()
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
		return nil
	}
	f.emitLocked(session.Event{Kind: session.KindSandbox, Sandbox: &session.SandboxInfo{ID: "local-abc", Provider: "local", State: "destroying"}})
	f.emitLocked(session.Event{Kind: session.KindSandbox, Sandbox: &session.SandboxInfo{ID: "local-abc", Provider: "local", State: "destroyed"}})
	f.closed = true
	close(f.events)
	return nil
}

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
	ev.ID = fmt.Sprintf("ev-%d", f.seq)
	f.clock = f.clock.Add(100 * time.Millisecond)
	if ev.Time.IsZero() {
		ev.Time = f.clock
	}
	f.events <- ev
}

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
