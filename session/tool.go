package session

import (
	"context"
	"encoding/json"
	"io"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/sandbox"
)

// Tool is something the model can call. Tools may keep state for the length
// of one session (the terminal's working directory, the editor's undo
// history), so each session gets its own instances.
type Tool interface {
	// Definition is what the model is told about the tool.
	Definition() llm.Tool
	// Run executes one call. It streams any output it produces into
	// call.Stdout / call.Stderr as it goes. A returned error means the
	// tool failed (bad arguments, sandbox error): it is sent back to the
	// model as an error observation and the session carries on.
	Run(ctx context.Context, call ToolCall) (ToolResult, error)
}

// Describer is implemented by tools that can say in one line what a call
// will do, for display before it runs (e.g. the command of a terminal call).
type Describer interface {
	Describe(args json.RawMessage) (command, summary string)
}

// Interrupter is implemented by tools that can leave work running
// between calls (the terminal's command after a call with "timeout"):
// Session.Cancel calls Interrupt, which must not block, to stop it.
type Interrupter interface {
	Interrupt()
}

// ToolCall is one invocation handed to a Tool.
type ToolCall struct {
	ID      string
	Args    json.RawMessage
	Sandbox sandbox.Sandbox
	Stdout  io.Writer
	Stderr  io.Writer
	// Cwd is the terminal's working directory as of its last command
	// ("" = the sandbox's work dir): relative paths mean the same to
	// every tool as to the shell the model just used.
	Cwd string
}

// ToolResult is what a tool call produced.
type ToolResult struct {
	Content        string // what the model is sent
	ExitCode       *int
	IsError        bool
	Diff           string // unified diff, for file edits
	FullOutputPath string // where the untruncated output is kept, when truncated
	OutputBytes    int64
	// What the screen shows instead of re-reading Content (which is
	// written for the model): the command's own output without the notes
	// added for the model, whether it timed out or was interrupted, and
	// the shell's working directory afterwards.
	Output      string
	TimedOut    bool
	Interrupted bool
	Running     bool // the call returned while its command still runs
	Cwd         string
	// Finish ends the run successfully with FinishMessage (the finish tool).
	Finish        bool
	FinishMessage string
}
