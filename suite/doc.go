// Package suite runs many agent sessions at once, each in its own sandbox,
// from a TOML suite file: cases with prompts, optional setup, a sandbox,
// limits and checks that run in the sandbox after the agent finishes. A
// [matrix] expands cases over models, prompt variants and repeat counts.
// Results come back as a Report that writes JSON, JUnit XML and a summary
// table, and a Progress renderer shows a live view in a terminal.
//
// It owns suite files (Load, AddFromRecording), the fan-out (Run: bounded
// concurrency, rate-limit back-off, teardown of every sandbox) and reports.
// It drives sessions through package session and sandboxes through the
// sandbox.Provider interface; it must not import ui or a sandbox provider package
// (sandbox/local, sandbox/daytona), nor build LLM clients or providers itself: the caller supplies them by name
// (RunOptions.Models, RunOptions.Providers). Library code never writes to
// stdout or stderr; it logs with log/slog only.
package suite
