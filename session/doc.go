// Package session is tether's agent engine: a Session owns one conversation
// with one sandbox and drives the loop — call the model (streaming), run the
// tools it asks for in the sandbox, send the results back — until the model
// answers in plain text, calls finish, a guard stops it (iterations, budget,
// stuck) or the user cancels. Users steer a run from any goroutine: step
// mode with approve / reject-with-reason / edit / approve-all, pause and
// resume at step boundaries, cancel (which also kills the running command).
//
// # Events
//
// Everything that happens is published as a typed Event on Events(): one
// KindSandbox at start; per prompt KindUserMessage, KindState(running), per
// LLM call KindAssistantDelta… KindAssistantMessage KindUsage, per tool call
// KindAction (again, with new Args, after an Edit) KindOutput…
// KindObservation, and a final KindState with the terminal state and its
// reason. When the user takes the wheel (TakeWheel: a shell of their own
// while the agent waits), the hand-back publishes KindWheel with what they
// ran and which files changed. Seq is 1, 2, 3… without gaps. Publishing never waits for the
// reader: events queue without bound, except output and delta text, which
// is merged per stream while the reader lags and, beyond
// Options.LiveBufferBytes, elided with a "[... N bytes elided from live
// view ...]" marker.
//
// # Recording
//
// With Options.RecordPath every event is appended to a JSONL file as it
// happens: a RecordHeader line, then one event per line, each written with
// one write so that a killed process leaves a readable prefix. Output the
// live view merged or elided is recorded in full: such chunks appear as
// extra lines with the Seq of the event they were merged into, and
// ReadRecording joins them back.
//
// # Library use
//
// New / Spawn start a session on a sandbox the caller holds; Start is the
// whole lifecycle (create, track, spawn, forward, close) the front ends
// share; Executor and QuickRun run a prompt in a fresh sandbox and clean
// it up. Package tethertest has fixtures for tests.
//
// The package talks to the model only through the small Model interface and
// to the sandbox only through sandbox.Sandbox. It must not import ui, and it
// never sees API keys (Options.Secrets are redacted from events anyway).
package session
