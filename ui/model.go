package ui

import (
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/eventlist"
)

type focusArea int

const (
	focusPrompt focusArea = iota
	focusStream
	focusApproval
)

// Model is the whole screen; it implements tea.Model. It wraps a pointer so
// that the copies Bubble Tea passes around all share one state.
type Model struct{ m *model }

var _ tea.Model = Model{}

type model struct {
	resizeGen int // counts resizes: resizeSettledMsg of the last one settles
	eng       Engine
	info      EngineInfo
	opts      Options
	st        styles
	dark      bool
	keys      keyMap
	w, h      int
	focus     focusArea

	stream   stream
	prompt   promptBox
	approval approvalPanel
	fork     forkDialog
	spin     spinner.Model
	spinning bool
	help     help.Model
	showHelp bool
	picker   modelPicker
	mouseOff bool // the terminal keeps the mouse (drag selects text)

	sess sessionView
	sbx  sandboxView

	sandboxHidden bool
	notice        string
	noticeErr     bool
	noticeUntil   bool     // the notice announces a state change: it goes when one comes
	queued        []string // prompts sent while a run was active, oldest first
	quitArmed     bool     // ctrl+c pressed once while idle
	eventsClosed  bool
	quit          quitState
	wheel         *wheelState // the user has the sandbox's shell
	replay        *replayState

	lastStreamW, lastStreamH int
	appended                 int             // events given to the stream
	steps                    int             // the agent's tool calls
	title                    string          // the first prompt, for a parent's list
	inactive                 bool            // embedded, and the parent has the keyboard
	direct                   map[string]bool // the user's `!cmd`s still running, by tool call id
	vc                       viewCache       // styled chrome reused across frames
	clock                    clockState      // the pending clock wake-up
}

// sessionView is what the shell tracks about the session from its events.
type sessionView struct {
	state  session.State
	reason string
	usage  *session.Usage
	// retry is the LLM retry being waited out, until retryAt.
	retry    *session.Retry
	retryAt  time.Time
	runStart time.Time
	runEnd   time.Time
	stepMode bool
	// lastError is the last error the stream shows: a terminal state
	// with the same reason does not print it again in the status bar.
	lastError string
}

// New builds the interactive screen over an engine.
func New(e Engine, opts Options) Model {
	a := newApp(opts)
	a.eng = e
	a.info = e.Info()
	a.picker.configured = a.info.ModelName
	a.sess.stepMode = a.info.StepMode
	a.prompt = newPromptBox(a.st, a.dark, promptPlaceholder(a.info))
	a.prompt.seed(opts.History)
	a.prompt.ta.Focus()
	a.focus = focusPrompt
	return Model{a}
}

func newApp(opts Options) *model {
	a := &model{opts: opts, dark: !opts.Light, keys: newKeyMap()}
	a.st = newStyles(a.dark, opts.NoColor)
	a.stream = newStream(opts, !a.dark)
	a.help = help.New()
	a.help.Styles = a.st.help
	a.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	a.sess.state = session.StateIdle
	a.approval = newApprovalPanel()
	a.fork = newForkDialog()
	a.w, a.h = 80, 24
	if opts.Width > 0 && opts.Height > 0 {
		a.w, a.h = opts.Width, opts.Height
		a.help.SetWidth(a.w)
	}
	return a
}

// Init starts reading events, asks the terminal for its background colour
// and starts the clock.
func (v Model) Init() tea.Cmd {
	a := v.m
	cmds := []tea.Cmd{tea.RequestBackgroundColor, a.armClock()}
	if a.replay != nil {
		cmds = append(cmds, a.replayStart())
	} else {
		cmds = append(cmds, waitEvents(a.eng.Events()))
		if !a.opts.NoAnimation {
			cmds = append(cmds, a.prompt.ta.Focus()) // starts the cursor blinking
		}
	}
	a.relayout()
	return tea.Batch(cmds...)
}

// Update implements tea.Model.
func (v Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := v.m.update(msg)
	v.m.relayout()
	if c := v.m.armClock(); c != nil {
		cmd = tea.Batch(cmd, c)
	}
	return v, cmd
}

// View implements tea.Model.
func (v Model) View() tea.View { return v.m.view() }

// ShutdownErr is the error Engine.Shutdown returned when quitting, if any,
// so the caller can report it after the program exits (the alt screen is
// gone by then).
func (v Model) ShutdownErr() error { return v.m.quit.err }

// TeardownLog is what the teardown screen showed, for printing after exit.
func (v Model) TeardownLog() []string { return append([]string(nil), v.m.quit.log...) }

// Close releases the event stream's resources (spill files). Call it after
// the program has exited.
func (v Model) Close() error { return v.m.stream.Close() }

func (a *model) now() time.Time {
	if a.replay != nil {
		return a.replay.clock()
	}
	return a.opts.now()
}

// busy is runActive or one of the user's own commands still running:
// cancel, the spinner and the quit confirmation all care about both.
func (a *model) busy() bool { return a.runActive() || len(a.direct) > 0 }

func (a *model) runActive() bool {
	switch a.sess.state {
	case session.StateRunning, session.StatePaused, session.StateWaiting:
		return true
	}
	return false
}

func (a *model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.w, a.h = max(msg.Width, 0), max(msg.Height, 0)
		a.help.SetWidth(a.w)
		return tea.Batch(a.onWheelResize(), a.settleLater())
	case resizeSettledMsg:
		a.onResizeSettled(msg)
		return nil
	case tea.BackgroundColorMsg:
		a.dark = msg.IsDark()
		a.st = newStyles(a.dark, a.opts.NoColor)
		a.help.Styles = a.st.help
		a.prompt.setStyles(a.st, a.dark)
		a.approval.setStyles(a.st, a.dark)
		a.fork.setStyles(a.st, a.dark)
		// The event list takes its palette when made; the reply normally
		// comes before the first event, so a fresh list loses nothing.
		if a.appended == 0 {
			_ = a.stream.Close()
			a.stream = newStream(a.opts, !a.dark)
			a.lastStreamW, a.lastStreamH = -1, -1
			if a.focus == focusStream {
				a.stream.Focus()
			}
		}
		return nil
	case clockMsg:
		return a.onClock(msg)
	case spinner.TickMsg:
		if !a.busy() || a.opts.NoAnimation {
			a.spinning = false
			return nil
		}
		var cmd tea.Cmd
		a.spin, cmd = a.spin.Update(msg)
		return cmd
	case eventsMsg:
		if msg.from != nil && (a.eng == nil || msg.from != a.eng.Events()) {
			return nil // from an engine the screen switched away from
		}
		return a.onEvents(msg)
	case wheelOpenedMsg:
		return a.onWheelOpened(msg)
	case wheelDirtyMsg:
		return a.onWheelDirty(msg)
	case wheelBackMsg:
		return a.onWheelBack(msg)
	case wheelErrMsg:
		a.setNotice("your shell: "+msg.err.Error(), true)
		return nil
	case forkDoneMsg:
		return a.onForkDone(msg)
	case shellDoneMsg:
		return a.onShellDone(msg)
	case shutdownDoneMsg:
		return a.onShutdownDone(msg)
	case quitNowMsg:
		return tea.Quit
	case teardownGraceMsg:
		return a.finishTeardown()
	case replayTickMsg:
		return a.onReplayTick(msg)
	case tea.MouseWheelMsg:
		return a.stream.Update(msg)
	case tea.MouseClickMsg:
		return a.onClick(msg)
	case modelsMsg:
		a.onModels(msg)
		return nil
	case eventlist.CopyMsg:
		return a.onCopy(msg)
	case nativeCopyDone:
		return nil
	case tea.PasteMsg:
		return a.onPaste(msg)
	case tea.KeyPressMsg:
		return a.onKey(msg)
	}
	// Anything else (cursor blink, the stream's own messages) goes to the
	// components that may have asked for it.
	var cmds []tea.Cmd
	if a.replay == nil {
		cmds = append(cmds, a.prompt.update(msg))
	}
	cmds = append(cmds, a.stream.Update(msg), a.approval.update(msg), a.fork.update(msg))
	return tea.Batch(cmds...)
}

func (a *model) onPaste(msg tea.PasteMsg) tea.Cmd {
	switch {
	case a.wheel != nil:
		if a.wheel.term != nil && a.wheel.phase == wheelOpen {
			a.wheel.term.paste(msg.Content)
		}
		return nil
	case a.quit.confirm || a.quit.active || a.showHelp:
		return nil
	case a.picker.open:
		var cmd tea.Cmd
		a.picker.input, cmd = a.picker.input.Update(msg)
		return cmd
	case a.fork.open:
		return a.fork.update(msg)
	case a.focus == focusApproval:
		return a.approval.update(msg)
	case a.focus == focusPrompt && a.replay == nil:
		return a.prompt.update(msg)
	}
	return a.stream.Update(msg)
}

// setNotice shows one line of feedback; it may quote engine errors, so it
// is made terminal-safe.
func (a *model) setNotice(s string, isErr bool) {
	a.notice, a.noticeErr, a.noticeUntil = termsafe.SanitizeLine(s), isErr, false
}

// setPending shows "cancelling…"-like feedback that would be stale once
// the session's state changes (the status bar then says what happened).
func (a *model) setPending(s string) {
	a.setNotice(s, false)
	a.noticeUntil = true
}

// setFocus moves keyboard focus, keeping the components' own focus flags in
// step so only one of them ever reacts to typing.
func (a *model) setFocus(f focusArea) tea.Cmd {
	if f == focusApproval && !a.approval.active() {
		f = focusPrompt
	}
	if f == focusPrompt && a.replay != nil {
		f = focusStream
	}
	a.focus = f
	var cmd tea.Cmd
	if f == focusPrompt {
		cmd = a.prompt.ta.Focus()
	} else {
		a.prompt.ta.Blur()
	}
	if f == focusStream {
		a.stream.Focus()
	} else {
		a.stream.Blur()
	}
	if f == focusApproval {
		cmd = a.approval.focus()
	} else {
		a.approval.blur()
	}
	return cmd
}

func (a *model) cycleFocus(dir int) tea.Cmd {
	order := []focusArea{focusPrompt, focusStream}
	if a.replay != nil {
		order = []focusArea{focusStream}
	}
	if a.approval.active() {
		order = append(order, focusApproval)
	}
	i := 0
	for j, f := range order {
		if f == a.focus {
			i = j
		}
	}
	i = (i + dir + len(order)) % len(order)
	return a.setFocus(order[i])
}

// promptPlaceholder is the empty prompt box's hint for an engine.
func promptPlaceholder(info EngineInfo) string {
	if !info.HasModel {
		return "No model configured: !cmd runs a command in the sandbox"
	}
	return "Tell the agent what to do… (!cmd runs a command yourself)"
}
