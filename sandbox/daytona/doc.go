// Package daytona is tether's Daytona sandbox provider, over the Daytona Go
// SDK (github.com/daytonaio/daytona/libs/sdk-go, pinned at v0.173.0): create,
// list, open and delete sandboxes through the control plane, and run
// commands, move files, clone repositories and open interactive shells on
// PTY sessions (sandbox.Terminal, shell.go) through each sandbox's toolbox.
//
// It is the only package (with the wiring in app) that links the SDK. It
// implements sandbox.Provider and sandbox.Sandbox and knows nothing of the
// LLM, the agent loop or the UI: it must not import llm, session or ui.
// daytonatest holds an in-process fake of the control plane and toolbox.
package daytona
