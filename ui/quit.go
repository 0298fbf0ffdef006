package ui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/key"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/internal/termsafe"
)

// quitState is the way out: an optional confirmation while a run is
// active, then a visible teardown while the engine shuts down.
type quitState struct {
	confirm          bool // asking "quit while running?"
	active           bool // Shutdown has been called
	log              []string
	shutdownReturned bool
	finished         bool // "done" (or the failure) is on screen
	err              error
	forceArmed       bool // ctrl+c once during teardown
}

func (q *quitState) add(line string) {
	line = termsafe.SanitizeLine(line)
	if n := len(q.log); n > 0 && q.log[n-1] == line {
		return
	}
	q.log = append(q.log, line)
}

type shutdownDoneMsg struct{ err error }
type quitNowMsg struct{}

// teardownGraceMsg ends the wait for the last events after Shutdown returned.
type teardownGraceMsg struct{}

func (a *model) requestQuit() tea.Cmd {
	if a.replay != nil {
		return tea.Quit
	}
	if a.opts.Embedded {
		return func() tea.Msg { return QuitRequestMsg{} }
	}
	if a.busy() {
		a.quit.confirm = true
		return nil
	}
	return a.startTeardown()
}

func (a *model) onConfirmKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, a.keys.ConfirmYes):
		a.quit.confirm = false
		return a.startTeardown()
	case key.Matches(k, a.keys.ConfirmNo):
		a.quit.confirm = false
	}
	return nil
}

// startTeardown calls Shutdown off the UI goroutine; the engine's state and
// sandbox events keep flowing into the teardown log while it works.
func (a *model) startTeardown() tea.Cmd {
	a.quit.active = true
	if a.busy() {
		a.quit.add("cancelling run…")
	}
	id := ""
	if a.sbx.info != nil && !gone(a.sbx.info.State) {
		id = a.sbx.info.ID
	}
	if id != "" {
		a.quit.add("deleting sandbox " + id + "…")
	} else {
		a.quit.add("closing the session…")
	}
	eng, timeout := a.eng, a.opts.shutdownTimeout()
	shutdown := func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		return shutdownDoneMsg{err: eng.Shutdown(ctx)}
	}
	cmds := []tea.Cmd{shutdown}
	if !a.spinning && !a.opts.NoAnimation {
		a.spinning = true
		cmds = append(cmds, a.spin.Tick)
	}
	if a.eventsClosed {
		// Nothing more will arrive; don't wait for it.
		a.quit.add("session closed")
	}
	return tea.Batch(cmds...)
}

// onShutdownDone waits for the event channel to close too, so the last
// sandbox events are listed before "done".
func (a *model) onShutdownDone(msg shutdownDoneMsg) tea.Cmd {
	a.quit.shutdownReturned = true
	a.quit.err = msg.err
	if a.eventsClosed || msg.err != nil {
		return a.finishTeardown()
	}
	return tea.Tick(2*time.Second, func(time.Time) tea.Msg { return teardownGraceMsg{} })
}

func (a *model) finishTeardown() tea.Cmd {
	if a.quit.finished {
		return nil
	}
	a.quit.finished = true
	if a.quit.err != nil {
		a.quit.add("shutdown failed: " + a.quit.err.Error())
		a.quit.add("the sandbox may still exist: `tether cleanup` removes leftovers. Press any key to exit.")
		return nil
	}
	a.quit.add("done")
	d := a.opts.quitDelay()
	if d == 0 {
		return tea.Quit
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return quitNowMsg{} })
}

func (a *model) onTeardownKey(k tea.KeyPressMsg) tea.Cmd {
	if a.quit.finished {
		return tea.Quit
	}
	if key.Matches(k, a.keys.Interrupt, a.keys.Quit) {
		ks := k.String()
		if a.quit.forceArmed {
			return tea.Quit
		}
		a.quit.forceArmed = true
		a.quit.add("still shutting down — press " + ks + " again to leave now (the sandbox may be left behind)")
	}
	return nil
}
