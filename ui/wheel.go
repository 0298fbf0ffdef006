package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/session"
)

// "Take the wheel": a key pauses the agent and shows a live shell of the
// user's own in the sandbox, full-screen; the same key hands back. The
// session records what the user did and tells the model.

// WheelShell is the user's live shell in the sandbox (*session.Wheel).
type WheelShell interface {
	Read(p []byte) (int, error)
	Send(ctx context.Context, p []byte) error
	Resize(ctx context.Context, cols, rows int) error
	Done() <-chan struct{}
	HandBack(ctx context.Context) (session.WheelInfo, error)
}

// WheelTaker is an Engine that can hand the user the sandbox's shell.
// TakeWheel blocks (the UI calls it from a tea.Cmd) until the agent has
// paused at its next step and the shell is ready.
type WheelTaker interface {
	TakeWheel(ctx context.Context, cols, rows int) (WheelShell, error)
}

type wheelPhase int

const (
	wheelOpening wheelPhase = iota // waiting for the agent to pause and the shell to open
	wheelOpen
	wheelClosing // handing back: the session records what the user did
)

// wheelState is the wheel while the user has it (model.wheel; nil when not).
type wheelState struct {
	phase  wheelPhase
	term   *wheelTerm // set once open
	sh     WheelShell
	cancel context.CancelFunc // ends an opening still waiting
	err    string
}

type (
	wheelOpenedMsg struct {
		sh  WheelShell
		err error
	}
	wheelBackMsg struct {
		info session.WheelInfo
		err  error
	}
)

// wheelOpenTimeout bounds the wait for the agent's step and the shell.
const wheelOpenTimeout = 2 * time.Minute

// wheelSize is the shell's size on a w×h screen: all but the bar.
func wheelSize(w, h int) (cols, rows int) { return max(w, 1), max(h-1, 1) }

// takeWheel starts taking the wheel.
func (a *model) takeWheel() tea.Cmd {
	taker, ok := a.eng.(WheelTaker)
	switch {
	case a.replay != nil:
		a.setNotice("a replay has no sandbox: `tether resume` the recording to take its wheel", true)
		return nil
	case !ok:
		a.setNotice("taking the wheel is not available here", true)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), wheelOpenTimeout)
	a.wheel = &wheelState{phase: wheelOpening, cancel: cancel}
	if a.runActive() {
		a.setPending("taking the wheel: the agent's current step finishes first… (" + a.wheelKeyName() + " cancels)")
	} else {
		a.setPending("taking the wheel: opening a shell in the sandbox…")
	}
	cols, rows := wheelSize(a.w, a.h)
	return func() tea.Msg {
		defer cancel()
		sh, err := taker.TakeWheel(ctx, cols, rows)
		return wheelOpenedMsg{sh: sh, err: err}
	}
}

func (a *model) onWheelOpened(msg wheelOpenedMsg) tea.Cmd {
	w := a.wheel
	if msg.err != nil || w == nil || w.phase != wheelOpening {
		if msg.sh != nil { // given up meanwhile: give it back at once
			sh := msg.sh
			a.wheel = &wheelState{phase: wheelClosing, sh: sh}
			return handBack(sh)
		}
		a.wheel = nil
		if msg.err != nil {
			a.setNotice("could not take the wheel: "+msg.err.Error(), true)
		}
		return nil
	}
	cols, rows := wheelSize(a.w, a.h)
	w.phase, w.sh = wheelOpen, msg.sh
	w.term = newWheelTerm(msg.sh, cols, rows)
	a.setNotice("", false)
	return w.term.wait()
}

func (a *model) onWheelDirty(msg wheelDirtyMsg) tea.Cmd {
	w := a.wheel
	if w == nil || w.term != msg.t {
		return nil
	}
	if w.phase == wheelOpen && w.term.hasEnded() {
		return a.handBackWheel() // the user typed exit
	}
	return w.term.wait()
}

// onWheelKey gets every key while the wheel is on screen.
func (a *model) onWheelKey(k tea.KeyPressMsg) tea.Cmd {
	w := a.wheel
	switch w.phase {
	case wheelOpening:
		if key.Matches(k, a.keys.Wheel, a.keys.Cancel) {
			w.cancel()
			a.wheel = nil
			a.setNotice("you did not take the wheel", false)
		}
		return nil
	case wheelClosing:
		return nil
	}
	if key.Matches(k, a.keys.Wheel) {
		return a.handBackWheel()
	}
	w.term.key(k)
	return nil
}

func (a *model) handBackWheel() tea.Cmd {
	w := a.wheel
	w.phase = wheelClosing
	return handBack(w.sh)
}

func handBack(sh WheelShell) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		info, err := sh.HandBack(ctx)
		return wheelBackMsg{info: info, err: err}
	}
}

func (a *model) onWheelBack(msg wheelBackMsg) tea.Cmd {
	if w := a.wheel; w != nil && w.term != nil {
		w.term.close()
	}
	a.wheel = nil
	if msg.err != nil {
		a.setNotice("handed back, but: "+msg.err.Error(), true)
		return nil
	}
	a.setNotice("you handed back: "+wheelCounts(msg.info), false)
	return nil
}

// wheelCounts is "2 commands, 1 file changed".
func wheelCounts(in session.WheelInfo) string {
	n, f := len(in.Commands)+in.CommandsDropped, len(in.Files)+in.FilesDropped
	return fmt.Sprintf("%s, %s changed; the agent was told", plural(n, "command"), plural(f, "file"))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return itoa(n) + " " + what + "s"
}

// onWheelResize follows the screen's size.
func (a *model) onWheelResize() tea.Cmd {
	if w := a.wheel; w != nil && w.term != nil {
		return w.term.resize(wheelSize(a.w, a.h))
	}
	return nil
}

func (a *model) wheelKeyName() string { return a.keys.Wheel.Help().Key }

// wheelView is the whole screen while the shell is open: the emulator's
// rows and a one-line bar.
func (a *model) wheelView() tea.View {
	w := a.wheel
	v := tea.View{AltScreen: true} // no mouse: the terminal selects text
	cols, rows := wheelSize(a.w, a.h)
	lines := w.term.rows()
	out := make([]string, 0, rows+1)
	for i := range rows {
		if i < len(lines) {
			out = append(out, fitLine(lines[i], cols))
		} else {
			out = append(out, "")
		}
	}
	out = append(out, a.wheelBar(cols))
	v.SetContent(strings.Join(out, "\n"))
	if w.phase == wheelOpen {
		if c := w.term.cursor(); c != nil && c.X < cols && c.Y < rows {
			v.Cursor = c
		}
	}
	return v
}

// wheelBar says whose shell this is, what the agent does meanwhile, and
// how to hand back.
func (a *model) wheelBar(w int) string {
	agent := "agent idle"
	switch a.sess.state {
	case session.StatePaused:
		agent = "agent paused"
	case session.StateWaiting:
		agent = "agent waiting for approval"
	case session.StateRunning:
		agent = "agent pausing"
	}
	where := "sandbox"
	if in := a.sbx.info; in != nil && in.ID != "" {
		where = "sandbox " + in.ID
	}
	left := " ⎈ your shell in " + where + " · " + agent
	right := a.wheelKeyName() + " hand back "
	if a.wheel.phase == wheelClosing {
		right = "handing back: recording what you did… "
	}
	if width(left)+width(right) >= w { // narrow: the hand-back key matters most
		left = " ⎈ your shell · " + agent
	}
	if tw, rw := width(left), width(right); tw+rw < w {
		left += strings.Repeat(" ", w-tw-rw) + right
	} else {
		left = " " + right
	}
	return a.st.statusBar.Render(fitLine(left, w))
}
