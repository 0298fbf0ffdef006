package session

import (
	"encoding/json"
	"time"

	"github.com/tether-dev/tether/sandbox"
)

// Kind names what an Event reports. The string values appear in JSONL
// recordings and in `tether run --json` output: do not rename them.
type Kind string

const (
	KindUserMessage      Kind = "user_message"      // Message: a prompt the user sent
	KindAssistantDelta   Kind = "assistant_delta"   // Message: a fragment of streamed assistant text
	KindAssistantMessage Kind = "assistant_message" // Message: the assistant's complete text for one LLM call
	KindAction           Kind = "action"            // Action: a tool call about to run (or awaiting approval)
	KindOutput           Kind = "output"            // Output: stdout/stderr of a running tool, as produced
	KindObservation      Kind = "observation"       // Observation: a tool's result, as sent back to the model
	KindError            Kind = "error"             // Error: something went wrong
	KindState            Kind = "state"             // State: the session's state changed
	KindUsage            Kind = "usage"             // Usage: tokens and cost after an LLM call
	KindSandbox          Kind = "sandbox"           // Sandbox: the sandbox's description changed
	KindContext          Kind = "context"           // Context: project instructions (AGENTS.md) given to the agent
	KindTools            Kind = "tools"             // Tools: the tools the model is offered (once, at start)
	KindReasoningDelta   Kind = "reasoning_delta"   // Message: a fragment of the model's streamed reasoning
	KindReasoning        Kind = "reasoning"         // Message: the model's complete reasoning for one LLM call
	KindRetry            Kind = "retry"             // Retry: an LLM call failed and is retried after a wait
	KindModel            Kind = "model"             // ModelChange: the user switched the model mid-session
	KindQueued           Kind = "queued"            // Queued: the tool calls of one reply, announced before the first runs
)

// State is where a session is in its life.
type State string

const (
	StateIdle      State = "idle"
	StateRunning   State = "running"
	StatePaused    State = "paused"
	StateWaiting   State = "waiting_for_confirmation"
	StateFinished  State = "finished"
	StateError     State = "error"
	StateStuck     State = "stuck"
	StateCancelled State = "cancelled"
)

// Terminal reports whether a run has ended in this state (a new prompt may
// still continue the conversation).
func (s State) Terminal() bool {
	switch s {
	case StateFinished, StateError, StateStuck, StateCancelled:
		return true
	}
	return false
}

// SandboxInfo is the sandbox description carried by KindSandbox events, so
// that consumers need not import the sandbox package.
type SandboxInfo = sandbox.Info

// Event is one thing that happened in a session. Exactly one payload
// pointer, the one matching Kind, is set.
type Event struct {
	ID   string    `json:"id"`   // unique within the session
	Seq  int64     `json:"seq"`  // 1, 2, 3, ... in publication order
	Time time.Time `json:"time"` // when it happened
	Kind Kind      `json:"kind"`

	Message     *Message     `json:"message,omitempty"`
	Action      *Action      `json:"action,omitempty"`
	Output      *Output      `json:"output,omitempty"`
	Observation *Observation `json:"observation,omitempty"`
	Error       *ErrorInfo   `json:"error,omitempty"`
	State       *StateChange `json:"state,omitempty"`
	Usage       *Usage       `json:"usage,omitempty"`
	Sandbox     *SandboxInfo `json:"sandbox,omitempty"`
	Context     *ContextInfo `json:"context,omitempty"`
	Tools       *ToolsInfo   `json:"tools,omitempty"`
	Retry       *Retry       `json:"retry,omitempty"`
	Workspace   *Workspace   `json:"workspace,omitempty"`
	ModelChange *ModelChange `json:"model_change,omitempty"`
	Queued      *Queued      `json:"queued,omitempty"`
	Wheel       *WheelInfo   `json:"wheel,omitempty"`
}

// Queued announces every tool call of one model reply, in the order they
// will run, before the first one starts. Each still gets its own
// KindAction when it starts (and may then need approval); one that never
// starts gets an Observation with NotRun set, so none is left pending.
type Queued struct {
	Actions []Action `json:"actions"`
}

// Retry reports a failed LLM call that is retried after Wait.
type Retry struct {
	// Reason is short and human: "rate limited", "server error (HTTP 503)".
	Reason string `json:"reason"`
	// Attempt is the retry about to be made (1 = the first); Max the limit.
	Attempt int           `json:"attempt"`
	Max     int           `json:"max"`
	Wait    time.Duration `json:"wait_ns"`
	// Discard is set when the text streamed so far belonged to the failed
	// attempt: the reply starts over.
	Discard bool `json:"discard,omitempty"`
}

// ModelChange reports a switch of model: calls from the next one on go
// to To.
type ModelChange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// ContextInfo says which project instructions file the agent was given.
type ContextInfo struct {
	Path      string `json:"path"`      // in the sandbox
	Bytes     int    `json:"bytes"`     // of the file
	Truncated bool   `json:"truncated"` // longer than MaxProjectContext: its start was given
}

// Message is user or assistant text.
type Message struct {
	Text string `json:"text"`
}

// Action is one tool call.
type Action struct {
	ToolCallID string          `json:"tool_call_id"`
	Tool       string          `json:"tool"`
	Args       json.RawMessage `json:"args"`
	// Command is the shell command for terminal actions, for display.
	Command string `json:"command,omitempty"`
	// Summary is a one-line human description, e.g. "create /w/hello.py".
	Summary string `json:"summary,omitempty"`
	// NeedsApproval is true when the session waits for Approve/Reject/Edit
	// before running it (step mode).
	NeedsApproval bool `json:"needs_approval,omitempty"`
	// Direct is true for commands the user ran themselves (`!cmd`), not the model.
	Direct bool `json:"direct,omitempty"`
	// Edited is true when the user changed the model's call before it ran
	// (the event carries the arguments it ran with).
	Edited bool `json:"edited,omitempty"`
}

// Output is a chunk of a running tool's output. Chunks may be coalesced.
type Output struct {
	ToolCallID string `json:"tool_call_id"`
	Stream     string `json:"stream"` // "stdout" or "stderr"
	Data       string `json:"data"`
}

// Observation is a tool's result.
type Observation struct {
	ToolCallID string `json:"tool_call_id"`
	Tool       string `json:"tool"`
	// Content is exactly what the model is sent (possibly truncated).
	Content  string        `json:"content"`
	ExitCode *int          `json:"exit_code,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	IsError  bool          `json:"is_error,omitempty"`
	// Rejected is true when the user rejected the action; Content holds the reason.
	Rejected bool `json:"rejected,omitempty"`
	// NotRun is true for a call that never ran because the run was
	// cancelled or ended first (Esc while it waited for approval, say).
	NotRun bool `json:"not_run,omitempty"`
	// Diff is a unified diff for file edits.
	Diff string `json:"diff,omitempty"`
	// FullOutputPath, when set, is where the untruncated output is kept
	// (in the sandbox), because Content was truncated.
	FullOutputPath string `json:"full_output_path,omitempty"`
	// OutputBytes is the size of the full output.
	OutputBytes int64 `json:"output_bytes,omitempty"`
	// Output is what the command printed, as kept for the model (head and
	// tail of a long output), without the notes added for the model:
	// terminal calls only.
	Output string `json:"output,omitempty"`
	// TimedOut and Interrupted say how a killed command ended (ExitCode
	// is then -1); Cwd is the shell's working directory after the call.
	TimedOut    bool `json:"timed_out,omitempty"`
	Interrupted bool `json:"interrupted,omitempty"`
	// Running: the call returned while its command goes on (a terminal
	// call with "timeout"); ExitCode is then -1 until a later call ends it.
	Running bool   `json:"running,omitempty"`
	Cwd     string `json:"cwd,omitempty"`
}

// ErrorInfo describes an error. Fatal errors end the run.
type ErrorInfo struct {
	Message string `json:"message"`
	Fatal   bool   `json:"fatal,omitempty"`
}

// StateChange reports a transition.
type StateChange struct {
	From   State  `json:"from"`
	To     State  `json:"to"`
	Reason string `json:"reason,omitempty"`
}

// Usage reports tokens and cost: the last LLM call's and the session totals.
type Usage struct {
	PromptTokens          int     `json:"prompt_tokens"`
	CompletionTokens      int     `json:"completion_tokens"`
	TotalPromptTokens     int     `json:"total_prompt_tokens"`
	TotalCompletionTokens int     `json:"total_completion_tokens"`
	CostUSD               float64 `json:"cost_usd"`
	TotalCostUSD          float64 `json:"total_cost_usd"`
	// CostKnown is false when the model has no known price: cost fields
	// are then zero and must be shown as unknown, not as $0.
	CostKnown bool `json:"cost_known"`
	// CachedPromptTokens and ReasoningTokens are parts of the last call's
	// prompt and completion tokens, as the server reported them.
	CachedPromptTokens int `json:"cached_prompt_tokens,omitempty"`
	ReasoningTokens    int `json:"reasoning_tokens,omitempty"`
}
