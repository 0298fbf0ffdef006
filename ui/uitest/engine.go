package uitest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/tether-dev/tether/session"
)

// Engine is a scripted engine for the tests of ui and ui/fleet: it records
// every call the UI makes and publishes the events a test emits, numbered
// and timed on a fixed clock. It has every method of ui.Engine except
// Info, which would import ui: a test embeds it and adds Info.
// It is safe for the UI's goroutines.
type Engine struct {
	// Sandbox is the sandbox id Shutdown reports destroying.
	Sandbox string
	// EventPrefix starts every event's ID ("a-" gives "a-ev-1").
	EventPrefix string

	mu        sync.Mutex
	calls     []string
	prompts   []string
	shells    []string
	rejects   []string
	edits     []json.RawMessage
	sendErr   error
	queue     []string // what the scripted session holds queued (SetQueue)
	events    chan session.Event
	seq       int64
	clock     time.Time
	closed    bool
	shutdowns int
	// block holds Shutdown until it is closed; failWith makes it report
	// destroying but not destroyed, and return that error.
	block      chan struct{}
	failWith   error
	inShutdown chan struct{}
}

// NewEngine is an engine whose event channel holds buf events before a
// slow reader blocks Emit.
func NewEngine(sandboxID string, buf int) *Engine {
	return &Engine{Sandbox: sandboxID, events: make(chan session.Event, buf), clock: FixedNow(),
		inShutdown: make(chan struct{})}
}

// FixedNow is the scripted clock's start.
func FixedNow() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }

func (f *Engine) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

// Calls are the engine methods called, in order (SetStepMode with its
// argument: "SetStepMode(true)").
func (f *Engine) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// Count is how many times method name was called.
func (f *Engine) Count(name string) int {
	n := 0
	for _, c := range f.Calls() {
		if c == name {
			n++
		}
	}
	return n
}

func (f *Engine) Prompts() []string { return f.strings(&f.prompts) }
func (f *Engine) Shells() []string  { return f.strings(&f.shells) }
func (f *Engine) Rejects() []string { return f.strings(&f.rejects) }

// Edits are the arguments Edit was called with.
func (f *Engine) Edits() []json.RawMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]json.RawMessage(nil), f.edits...)
}

func (f *Engine) strings(p *[]string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), (*p)...)
}

// Seq is the number of events emitted so far.
func (f *Engine) Seq() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seq
}

// SetSendErr makes Send refuse prompts with err (nil: accept them).
func (f *Engine) SetSendErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sendErr = err
}

// BlockShutdown holds Shutdown until release is called.
func (f *Engine) BlockShutdown() (release func()) {
	block := make(chan struct{})
	f.mu.Lock()
	f.block = block
	f.mu.Unlock()
	return sync.OnceFunc(func() { close(block) })
}

// FailShutdown makes Shutdown report the sandbox destroying but never
// destroyed, and return err.
func (f *Engine) FailShutdown(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failWith = err
}

// InShutdown is closed when Shutdown is first entered.
func (f *Engine) InShutdown() <-chan struct{} { return f.inShutdown }

// Shutdowns is how many times Shutdown was called.
func (f *Engine) Shutdowns() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.shutdowns
}

func (f *Engine) Events() <-chan session.Event { return f.events }

func (f *Engine) Send(p string) error {
	f.record("Send")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sendErr != nil {
		return f.sendErr
	}
	f.prompts = append(f.prompts, p)
	return nil
}

// SetQueue says which prompts the scripted session holds queued behind
// its run, oldest first: Unqueue takes them from the end. (The fake has no
// run of its own, so Send does not queue.)
func (f *Engine) SetQueue(prompts ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append([]string(nil), prompts...)
}

// Unqueue hands back the last prompt SetQueue left, as the session does.
func (f *Engine) Unqueue() (string, bool) {
	f.record("Unqueue")
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.queue)
	if n == 0 {
		return "", false
	}
	p := f.queue[n-1]
	f.queue = f.queue[:n-1]
	return p, true
}

func (f *Engine) Shell(c string) error {
	f.record("Shell")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shells = append(f.shells, c)
	return nil
}

func (f *Engine) Cancel()             { f.record("Cancel") }
func (f *Engine) Pause()              { f.record("Pause") }
func (f *Engine) Resume()             { f.record("Resume") }
func (f *Engine) SetStepMode(on bool) { f.record(fmt.Sprintf("SetStepMode(%v)", on)) }
func (f *Engine) Approve()            { f.record("Approve") }
func (f *Engine) ApproveAll()         { f.record("ApproveAll") }

func (f *Engine) Reject(r string) {
	f.record("Reject")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejects = append(f.rejects, r)
}

func (f *Engine) Edit(a json.RawMessage) {
	f.record("Edit")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.edits = append(f.edits, a)
}

// Shutdown plays what the real engine does: sandbox destroying →
// destroyed (only destroying under FailShutdown), then close the channel.
// Its events go through the channel like any other, so with a small
// buffer it only returns while the UI keeps reading.
func (f *Engine) Shutdown(ctx context.Context) error {
	f.record("Shutdown")
	f.mu.Lock()
	f.shutdowns++
	if !f.closed {
		select {
		case <-f.inShutdown:
		default:
			close(f.inShutdown)
		}
	}
	block := f.block
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
		return f.failWith
	}
	f.emitLocked(session.Event{Kind: session.KindSandbox, Sandbox: &session.SandboxInfo{ID: f.Sandbox, Provider: "local", State: "destroying"}})
	if f.failWith == nil {
		f.emitLocked(session.Event{Kind: session.KindSandbox, Sandbox: &session.SandboxInfo{ID: f.Sandbox, Provider: "local", State: "destroyed"}})
	}
	f.closed = true
	close(f.events)
	return f.failWith
}

// Emit publishes evs in order, numbering them and stamping the scripted
// clock (100 ms apart) on those without a time.
func (f *Engine) Emit(evs ...session.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ev := range evs {
		f.emitLocked(ev)
	}
}

func (f *Engine) emitLocked(ev session.Event) {
	f.seq++
	ev.Seq = f.seq
	ev.ID = fmt.Sprintf("%sev-%d", f.EventPrefix, f.seq)
	f.clock = f.clock.Add(100 * time.Millisecond)
	if ev.Time.IsZero() {
		ev.Time = f.clock
	}
	f.events <- ev
}
