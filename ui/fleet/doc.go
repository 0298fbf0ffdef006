// Package fleet owns tether's fleet view: several sessions on one screen, a
// list of them (sandbox, state, steps, cost, elapsed) beside the focused
// session's full single-session screen (a ui.Model), with keys to switch
// between them, start a new one, cancel one or all, and quit with every
// engine torn down. It also has the read-only suite view that `tether suite
// run --tui` shows, fed by suite.CaseStatus updates and each case's session
// events, with the selected case's live event stream (ui/eventlist).
//
// It drives sessions only through ui.Engine and ui.Model, and a suite only
// through the SuiteFeed the caller fills and the cancel function it gives.
// It must not create sandboxes, call the LLM or block inside Update:
// creating an engine and shutting one down run in tea.Cmds.
package fleet
