package ui

import (
	"context"
	"encoding/json"

	"github.com/tether-dev/tether/session"
)

// Engine is what the UI drives. Every method except Shutdown must return
// immediately: the UI calls them from Update, where nothing may block.
type Engine interface {
	// Events delivers the session's events; it is closed when the engine
	// has shut down.
	Events() <-chan session.Event
	// Send starts a run with prompt, or queues it when one is active. It
	// returns an error (e.g. session.ErrNoModel) when no model is set up.
	Send(prompt string) error
	// Shell runs the user's own command (`!cmd` in the prompt box).
	Shell(command string) error
	Cancel()
	Pause()
	Resume()
	SetStepMode(on bool)
	Approve()
	ApproveAll()
	Reject(reason string)
	Edit(args json.RawMessage)
	Info() EngineInfo
	// Shutdown cancels any run, closes the session and deletes (or stops)
	// the sandbox, emitting state and sandbox events while it goes. Events()
	// is closed at the end. The UI calls it from a tea.Cmd.
	Shutdown(ctx context.Context) error
}

// QueueEditor is an Engine that hands a queued prompt back (app.Engine
// does): ↑ on an empty prompt box takes the last one back to edit or drop.
type QueueEditor interface {
	// Unqueue takes the last prompt queued behind the active run back
	// out. ok is false when none is queued any more: the run has just
	// taken it, and it is sent as it was.
	Unqueue() (prompt string, ok bool)
}

// EngineInfo is static information the UI shows.
type EngineInfo struct {
	ModelName string
	HasModel  bool
	// NoModelHint tells the user how to configure a model, e.g. "set
	// LLM_API_KEY and LLM_MODEL (or run `tether config`)".
	NoModelHint string
	Provider    string
	// StepMode is the step mode the engine starts in.
	StepMode bool
}
