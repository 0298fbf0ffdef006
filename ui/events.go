package ui

import (
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/session"
)

// maxBatch bounds how many already-queued events one message carries: enough
// to keep up with a flood of output chunks without one Update taking long.
const maxBatch = 256

// eventsMsg carries events read from the engine; closed means the channel
// was closed after them.
type eventsMsg struct {
	events []session.Event
	closed bool
	from   <-chan session.Event // the engine's channel they came from
}

// waitEvents blocks (in its own goroutine, as a tea.Cmd) for one event, then
// takes whatever else is already queued without blocking.
func waitEvents(ch <-chan session.Event) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return eventsMsg{closed: true, from: ch}
		}
		evs := []session.Event{ev}
		for len(evs) < maxBatch {
			select {
			case ev, ok := <-ch:
				if !ok {
					return eventsMsg{events: evs, closed: true, from: ch}
				}
				evs = append(evs, ev)
			default:
				return eventsMsg{events: evs, from: ch}
			}
		}
		return eventsMsg{events: evs, from: ch}
	}
}

func (a *model) onEvents(msg eventsMsg) tea.Cmd {
	var cmds []tea.Cmd
	for _, ev := range msg.events {
		cmds = append(cmds, a.apply(ev))
	}
	if msg.closed {
		a.eventsClosed = true
		cmds = append(cmds, a.onEventsClosed())
	} else {
		cmds = append(cmds, waitEvents(a.eng.Events()))
	}
	return tea.Batch(cmds...)
}

// apply folds one event into the screen: the stream shows it, and the shell
// keeps what the status bar, sandbox pane and approval panel need.
func (a *model) apply(ev session.Event) tea.Cmd {
	a.stream.Append(ev)
	a.appended++
	var cmd tea.Cmd
	switch ev.Kind {
	case session.KindState:
		if ev.State != nil {
			if ev.State.To.Terminal() {
				a.sess.retry = nil
			}
			if ev.State.To == session.StateCancelled {
				a.queued = nil // cancelling drops the queued prompts too
			}
			cmd = a.onState(ev)
		}
	case session.KindError:
		if ev.Error != nil {
			a.sess.lastError = ev.Error.Message
		}
	case session.KindUsage:
		a.sess.retry = nil
		if ev.Usage != nil {
			u := *ev.Usage
			a.sess.usage = &u
		}
	case session.KindRetry:
		if ev.Retry != nil {
			r := *ev.Retry
			at := ev.Time
			if at.IsZero() {
				at = a.now()
			}
			a.sess.retry, a.sess.retryAt = &r, at.Add(r.Wait)
		}
	case session.KindAssistantDelta, session.KindReasoningDelta:
		a.sess.retry = nil
	case session.KindSandbox:
		if ev.Sandbox != nil {
			a.onSandbox(ev)
		}
	case session.KindModel:
		if ev.ModelChange != nil {
			a.info.ModelName = ev.ModelChange.To
		}
	case session.KindContext:
		if ev.Context != nil {
			c := *ev.Context
			a.sbx.context = &c
		}
	case session.KindWorkspace:
		if ev.Workspace != nil && ev.Workspace.Restored != nil {
			r := *ev.Workspace.Restored
			a.sbx.restore = &r
		}
	case session.KindTools:
		if ev.Tools != nil {
			a.sbx.sourced = slices.Clone(ev.Tools.Sourced)
		}
	case session.KindAction:
		a.sess.retry = nil
		if ev.Action != nil && !ev.Action.Direct {
			a.steps++
		}
		if ev.Action != nil && ev.Action.Direct {
			if a.direct == nil {
				a.direct = map[string]bool{}
			}
			a.direct[ev.Action.ToolCallID] = true
			cmd = a.startSpinner()
		}
		if ev.Action != nil && ev.Action.NeedsApproval && a.replay == nil {
			a.approval.set(*ev.Action, a.st, a.dark)
			// The panel only takes focus by itself when nobody is typing:
			// keys meant for the prompt must never answer an approval.
			if a.focus == focusStream && a.prompt.empty() && !a.stream.CapturingInput() {
				cmd = a.setFocus(focusApproval)
			}
		}
	case session.KindObservation:
		if ev.Observation != nil {
			delete(a.direct, ev.Observation.ToolCallID)
		}
		if ev.Observation != nil && a.approval.active() && a.approval.action.ToolCallID == ev.Observation.ToolCallID {
			a.clearApproval()
		}
	case session.KindUserMessage:
		if a.title == "" && ev.Message != nil {
			a.title = termsafe.SanitizeLine(strings.Join(strings.Fields(ev.Message.Text), " "))
		}
		if len(a.queued) > 0 && ev.Message != nil {
			// The prompt the session took off its queue: by its words, as
			// one may have been taken back in between.
			i := slices.Index(a.queued, ev.Message.Text)
			if i < 0 {
				i = 0 // redacted on the way: the oldest is it
			}
			a.queued = slices.Delete(a.queued, i, i+1)
		}
	}
	return cmd
}

func (a *model) onState(ev session.Event) tea.Cmd {
	sc := ev.State
	prev := a.sess.state
	a.sess.state, a.sess.reason = sc.To, sc.Reason
	if a.noticeUntil && sc.To != prev {
		a.setNotice("", false)
	}
	if sc.To == session.StateRunning && !(prev == session.StatePaused || prev == session.StateWaiting) {
		a.sess.runStart, a.sess.runEnd = ev.Time, ev.Time
		if a.sess.runStart.IsZero() {
			a.sess.runStart = a.now()
		}
		a.sess.runEnd = a.sess.runStart
	}
	if sc.To.Terminal() || sc.To == session.StateIdle {
		a.sess.runEnd = ev.Time
		if a.sess.runEnd.IsZero() {
			a.sess.runEnd = a.now()
		}
	}
	if sc.To != session.StateWaiting && a.approval.active() {
		a.clearApproval()
	}
	if a.quit.active {
		line := "run " + string(sc.To)
		if sc.Reason != "" {
			line += " (" + sc.Reason + ")"
		}
		a.quit.add(line)
	}
	return a.startSpinner()
}

func (a *model) startSpinner() tea.Cmd {
	if a.busy() && !a.spinning && !a.opts.NoAnimation {
		a.spinning = true
		return a.spin.Tick
	}
	return nil
}

func (a *model) clearApproval() {
	a.approval.clear()
	if a.focus == focusApproval {
		a.setFocus(focusPrompt)
	}
}

func (a *model) onEventsClosed() tea.Cmd {
	if a.quit.active {
		a.quit.add("session closed")
		if a.quit.shutdownReturned {
			return a.finishTeardown()
		}
		// Shutdown should return right after; if it hangs, leave anyway.
		return tea.Tick(3*a.opts.quitDelay()+time.Second, func(time.Time) tea.Msg { return quitNowMsg{} })
	}
	a.setNotice("the session has ended; ctrl+q quits", true)
	return nil
}
