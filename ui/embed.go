package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/session"
)

// Embedding: ui/fleet runs several Models inside one program, one per
// session. Options.Embedded makes a Model leave quitting to its parent,
// which reads Summary for its session list and calls Teardown to shut each
// session down with the usual teardown on screen.

// QuitRequestMsg is what an embedded Model sends instead of quitting when
// the user asks to quit from inside it (ctrl+c twice, ctrl+d on an empty
// prompt): the parent decides what quitting means.
type QuitRequestMsg struct{}

// Summary is what a parent shows about one session. Text fields are
// terminal-safe.
type Summary struct {
	// Title is the session's first prompt, on one line ("" before one).
	Title  string
	State  session.State // "" until the first state event
	Reason string        // why the last run ended, if it did
	// Busy is a run or one of the user's own commands in progress.
	Busy          bool
	NeedsApproval bool
	SandboxID     string
	SandboxState  string
	Steps         int // the agent's tool calls
	Events        int // events taken in
	Usage         *session.Usage
	// Elapsed is the current run's time so far, or the last run's.
	Elapsed time.Duration
	// EventsClosed: the engine has closed its event stream.
	EventsClosed bool
	// TearingDown: Teardown (or the user) started shutting it down.
	TearingDown bool
	// TeardownFinished: "done" or the failure is on its screen.
	TeardownFinished bool
	// TeardownLine is the teardown's latest line.
	TeardownLine string
	ShutdownErr  error
}

// Summary describes the session for a parent's list.
func (v Model) Summary() Summary {
	a := v.m
	s := Summary{
		Title: a.title, State: a.sess.state, Reason: termsafe.SanitizeLine(a.sess.reason),
		Busy: a.busy(), NeedsApproval: a.approval.active(),
		Steps: a.steps, Events: a.appended, EventsClosed: a.eventsClosed,
		TearingDown: a.quit.active, TeardownFinished: a.quit.finished, ShutdownErr: a.quit.err,
	}
	if in := a.sbx.info; in != nil {
		s.SandboxID, s.SandboxState = termsafe.SanitizeLine(in.ID), termsafe.SanitizeLine(in.State)
	}
	if a.sess.usage != nil {
		u := *a.sess.usage
		s.Usage = &u
	}
	if !a.sess.runStart.IsZero() {
		end := a.sess.runEnd
		if a.runActive() {
			end = a.now()
		}
		s.Elapsed = max(end.Sub(a.sess.runStart), 0)
	}
	if n := len(a.quit.log); n > 0 {
		s.TeardownLine = a.quit.log[n-1]
	}
	return s
}

// Teardown shuts the session down as if the user had confirmed quitting:
// the engine's Shutdown runs in the returned command while the teardown
// shows on this Model's screen. When it has finished the Model's commands
// end with tea.Quit (after Options.QuitDelay), or, when Shutdown failed,
// it waits for a key. Calling it again does nothing.
func (v Model) Teardown() tea.Cmd {
	a := v.m
	if a.quit.active || a.replay != nil {
		return nil
	}
	a.quit.confirm = false
	a.showHelp = false
	return a.startTeardown()
}

// SetActive tells an embedded Model whether it has the keyboard. Inactive,
// its panes are drawn unfocused and its prompt hides the cursor, so only
// the parent's focused pane looks focused. The command it returns restarts
// the cursor's blinking.
func (v Model) SetActive(on bool) tea.Cmd {
	a := v.m
	if a.inactive == !on {
		return nil
	}
	a.inactive = !on
	if !on {
		a.prompt.ta.Blur()
		a.stream.Blur()
		a.approval.blur()
		return nil
	}
	return a.setFocus(a.focus)
}
