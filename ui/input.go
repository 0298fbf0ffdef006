package ui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/session"
)

// onKey routes one key press. Order matters: modal screens first, then the
// keys that work everywhere, then the focused component. Approval keys are
// only ever read by the approval panel while it has focus.
func (a *model) onKey(k tea.KeyPressMsg) tea.Cmd {
	km := a.keys
	if !key.Matches(k, km.Interrupt) {
		a.quitArmed = false
	}
	// A notice lasts until the next key (which may set a new one).
	a.setNotice("", false)
	switch {
	case a.quit.active:
		return a.onTeardownKey(k)
	case a.wheel != nil:
		return a.onWheelKey(k)
	case a.quit.confirm:
		return a.onConfirmKey(k)
	case a.showHelp:
		if key.Matches(k, km.HelpClose) {
			a.showHelp = false
		}
		return nil
	case a.picker.open:
		return a.onPickerKey(k)
	case a.fork.open:
		req, cmd := a.fork.onKey(k, km)
		if req != nil {
			return a.sendFork(*req)
		}
		return cmd
	case a.replay != nil:
		return a.onReplayKey(k)
	}

	// The stream's search box or full-output view owns the keyboard.
	if a.focus == focusStream && a.stream.CapturingInput() && !key.Matches(k, km.Interrupt, km.Quit) {
		return a.stream.Update(k)
	}

	switch {
	case key.Matches(k, km.Interrupt):
		return a.interrupt()
	case key.Matches(k, km.Quit):
		return a.requestQuit()
	case key.Matches(k, km.EOF):
		// Like a shell: EOF on an empty prompt. In the stream it pages.
		if a.focus == focusPrompt {
			if a.prompt.value() == "" {
				return a.requestQuit()
			}
			return nil
		}
	case key.Matches(k, km.Step):
		on := !a.sess.stepMode
		a.eng.SetStepMode(on)
		a.sess.stepMode = on
		if on {
			a.setNotice("step mode on: each action waits for your approval", false)
		} else {
			a.setNotice("step mode off", false)
		}
		return nil
	case key.Matches(k, km.Pause):
		return a.togglePause()
	case key.Matches(k, km.Wheel):
		return a.takeWheel()
	case key.Matches(k, km.Sandbox):
		a.sandboxHidden = !a.sandboxHidden
		return nil
	case key.Matches(k, km.Model):
		return a.openPicker()
	case key.Matches(k, km.Mouse):
		a.toggleMouse()
		return nil
	case key.Matches(k, km.HelpAnywhere):
		a.showHelp = true
		return nil
	case key.Matches(k, km.Focus):
		return a.cycleFocus(1)
	case key.Matches(k, km.FocusBack):
		return a.cycleFocus(-1)
	case key.Matches(k, km.Review):
		if a.approval.active() {
			return a.setFocus(focusApproval)
		}
	}

	switch a.focus {
	case focusApproval:
		ans, back, cmd := a.approval.onKey(k, km)
		if back {
			return a.setFocus(focusPrompt)
		}
		if ans != nil {
			a.answer(*ans)
			return a.setFocus(focusPrompt)
		}
		return cmd
	case focusStream:
		switch {
		case key.Matches(k, km.Cancel):
			return a.cancelRun()
		case key.Matches(k, km.Fork):
			return a.openFork()
		case key.Matches(k, km.Help):
			a.showHelp = true
			return nil
		}
		return a.stream.Update(k)
	}
	// The prompt box.
	switch {
	case key.Matches(k, km.Send):
		return a.submit()
	case key.Matches(k, km.Cancel):
		if a.prompt.value() == "" {
			return a.cancelRun()
		}
		return nil
	case key.Matches(k, km.EditQueued) && a.canEditQueued():
		a.editQueued()
		return nil
	}
	return a.prompt.update(k)
}

func (a *model) answer(ans approvalAnswer) {
	switch ans.kind {
	case "approve":
		a.eng.Approve()
		a.setNotice("approved", false)
	case "approve_all":
		a.eng.ApproveAll()
		a.sess.stepMode = false
		a.setNotice("approved this and all further actions (step mode off)", false)
	case "reject":
		a.eng.Reject(ans.reason)
		a.setNotice("rejected; the agent gets your reason", false)
	case "edit":
		a.eng.Edit(ans.args)
		a.setNotice("running the edited action", false)
	}
	a.approval.clear()
}

// submit sends the prompt box's text: `!cmd` to the shell, the rest to the
// agent. Nothing typed is lost on error: the text stays in the box.
func (a *model) submit() tea.Cmd {
	text := strings.TrimSpace(a.prompt.value())
	if text == "" {
		return nil
	}
	if cmd, ok := strings.CutPrefix(text, "!"); ok {
		cmd = strings.TrimSpace(cmd)
		if cmd == "" {
			a.setNotice("type a command after !, e.g. !ls -la", true)
			return nil
		}
		a.setNotice("", false)
		save := a.remember(text)
		a.prompt.reset()
		// Off the UI goroutine: an engine whose Shell waits for the command
		// to finish must not freeze the screen.
		eng := a.eng
		return tea.Batch(save, func() tea.Msg { return shellDoneMsg{cmd: cmd, err: eng.Shell(cmd)} })
	} else {
		if !a.info.HasModel {
			if a.layout().bannerH > 0 {
				// The banner already says how to set one up.
				a.setNotice("not sent: no model is configured (see above); !cmd runs a command yourself", true)
			} else {
				a.setNotice(a.noModelText()+" — meanwhile !cmd runs commands", true)
			}
			return nil
		}
		busy := a.runActive()
		if err := a.eng.Send(text); err != nil {
			a.setNotice("not sent: "+err.Error(), true)
			return nil
		}
		if busy {
			a.queued = append(a.queued, text)
			a.setPending("queued: it is sent when the current run ends")
		} else {
			a.setNotice("", false)
		}
	}
	save := a.remember(text)
	a.prompt.reset()
	return save
}

// canEditQueued reports whether ↑ would take a queued prompt back now.
func (a *model) canEditQueued() bool {
	_, ok := a.eng.(QueueEditor)
	return ok && len(a.queued) > 0 && a.prompt.value() == ""
}

// editQueued takes the last queued prompt back into the empty prompt box.
func (a *model) editQueued() {
	p, ok := a.eng.(QueueEditor).Unqueue()
	if !ok {
		// The session sent them all already: their user messages are on
		// the way and take them off the list.
		a.setNotice("already sent: the agent has the queued prompt as it was", false)
		return
	}
	i := slices.Index(a.queued, p)
	for j := len(a.queued) - 1; j >= 0; j-- {
		if a.queued[j] == p {
			i = j
			break
		}
	}
	if i < 0 {
		i = len(a.queued) - 1 // redacted on the way: the last one is it
	}
	a.queued = slices.Delete(a.queued, i, i+1)
	a.prompt.ta.SetValue(p)
	a.setNotice("taken back from the queue: edit and send it again, or clear it to drop it", false)
}

// remember puts a sent prompt in the history, and in the history file
// through a command (file I/O stays off the UI goroutine).
func (a *model) remember(text string) tea.Cmd {
	if !a.prompt.remember(text) || a.opts.SaveHistory == nil {
		return nil
	}
	save := a.opts.SaveHistory
	return func() tea.Msg { save(text); return nil }
}

// shellDoneMsg is Engine.Shell's answer for a `!cmd`.
type shellDoneMsg struct {
	cmd string
	err error
}

func (a *model) onShellDone(msg shellDoneMsg) tea.Cmd {
	if msg.err != nil {
		a.setNotice("could not run `"+msg.cmd+"`: "+msg.err.Error(), true)
	}
	return nil
}

func (a *model) noModelText() string {
	hint := a.info.NoModelHint
	if hint == "" {
		hint = "set LLM_API_KEY and LLM_MODEL"
	}
	if strings.HasPrefix(strings.ToLower(hint), "no model") {
		return hint
	}
	return "no model configured: " + hint
}

func (a *model) cancelRun() tea.Cmd {
	if !a.busy() {
		return nil
	}
	a.eng.Cancel()
	a.setPending("cancelling the run…")
	return nil
}

func (a *model) togglePause() tea.Cmd {
	switch {
	case a.sess.state == session.StatePaused:
		a.eng.Resume()
		a.setPending("resuming…")
	case a.runActive():
		a.eng.Pause()
		a.setPending("pausing at the next step… (ctrl+p resumes)")
	default:
		a.setNotice("nothing is running to pause", false)
	}
	return nil
}

// interrupt is ctrl+c: cancel a run; when idle, clear the prompt, and a
// second press in a row quits.
func (a *model) interrupt() tea.Cmd {
	if a.busy() {
		a.quitArmed = false
		return a.cancelRun()
	}
	if a.quitArmed {
		a.quitArmed = false
		return a.requestQuit()
	}
	a.quitArmed = true
	if a.focus == focusPrompt && a.prompt.value() != "" {
		a.prompt.reset()
	}
	a.setNotice("press ctrl+c again to quit", false)
	return nil
}
