// Package transcript reads tether's JSONL recordings for people: a
// summary of a session (status, steps, tokens, cost, time, final
// message, workspace files), a comparison of two sessions with a diff of
// their workspace files (`tether diff`), and a self-contained transcript
// in Markdown, HTML or JSON (`tether export`).
//
// Everything it writes is redacted (internal/redact) and inert: text
// from a model, a sandbox or a file name goes through internal/termsafe,
// and HTML is escaped. It reads recordings and the workspace snapshots
// they name; it must not import ui, llm or a sandbox provider, and it
// never runs anything.
package transcript
