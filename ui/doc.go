// Package ui owns tether's interactive terminal screen (Bubble Tea v2): the
// sandbox pane, the live event stream (embedded from ui/eventlist), the
// prompt box, the approval panel, the status bar, help, the quit/teardown
// flow and the read-only replay mode.
//
// It drives the agent only through the small Engine interface defined here
// and learns what happens only from session.Events. It must not call the
// sandbox providers, the LLM client or do any I/O inside Update: everything
// blocking runs in a tea.Cmd.
package ui
