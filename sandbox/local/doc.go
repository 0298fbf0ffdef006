// Package local is tether's embedded sandbox provider: each sandbox is a
// workspace directory on this machine whose commands run under bubblewrap
// (read-only system, private /tmp and HOME, own PID namespace, optional
// network off), or as plain process groups when isolation "none" is chosen.
//
// It implements sandbox.Provider and sandbox.Sandbox and knows nothing of
// the LLM, the agent loop or the UI: it must not import llm, session, ui or
// another provider.
package local
