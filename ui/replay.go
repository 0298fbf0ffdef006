package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"

	"github.com/charmbracelet/x/ansi"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/session"
)

var replaySpeeds = []float64{1, 2, 5, 20, 0} // 0 = as fast as the screen goes

const (
	maxReplayGap   = 2 * time.Second // a long pause in the recording plays as this, at 1×
	replayFrame    = 16 * time.Millisecond
	maxPerReplayUp = 2000 // events applied per tick at "max"
)

// replayState walks a recording: pos events of it have been applied.
type replayState struct {
	events   []session.Event
	pos      int
	playing  bool
	speedIdx int
	gen      int // bumps on pause/seek so stale ticks are dropped
}

type replayTickMsg struct{ gen int }

// NewReplay builds the read-only screen over a recording: the same panes,
// with a replay control bar instead of the prompt box. It starts playing.
func NewReplay(events []session.Event, opts Options) Model {
	opts.Replay = true
	a := newApp(opts)
	a.replay = &replayState{events: events, playing: len(events) > 0}
	a.info = EngineInfo{}
	a.prompt = newPromptBox(a.st, a.dark, "")
	a.setFocus(focusStream)
	return Model{a}
}

func (r *replayState) clock() time.Time {
	switch {
	case len(r.events) == 0:
		return time.Time{}
	case r.pos == 0:
		return r.events[0].Time
	}
	return r.events[r.pos-1].Time
}

func (r *replayState) speed() float64 { return replaySpeeds[r.speedIdx] }

func (r *replayState) speedLabel() string {
	if s := r.speed(); s > 0 {
		return fmt.Sprintf("%g×", s)
	}
	return "max"
}

// gap is how long to wait before applying event i, scaled by the speed.
func (r *replayState) gap(i int) time.Duration {
	if i <= 0 || i >= len(r.events) {
		return 0
	}
	s := r.speed()
	if s == 0 {
		return 0
	}
	d := min(max(r.events[i].Time.Sub(r.events[i-1].Time), 0), maxReplayGap)
	return time.Duration(float64(d) / s)
}

func (a *model) replayStart() tea.Cmd {
	r := a.replay
	if !r.playing {
		return nil
	}
	r.gen++
	return a.replayTickAfter(r.gap(r.pos))
}

func (a *model) replayTickAfter(d time.Duration) tea.Cmd {
	gen := a.replay.gen
	d = max(d, replayFrame/4)
	return tea.Tick(d, func(time.Time) tea.Msg { return replayTickMsg{gen: gen} })
}

// onReplayTick applies the due event and every following one that is due
// within a frame, so fast speeds don't need a tick per event.
func (a *model) onReplayTick(msg replayTickMsg) tea.Cmd {
	r := a.replay
	if r == nil || msg.gen != r.gen || !r.playing {
		return nil
	}
	var cmds []tea.Cmd
	var budget time.Duration
	for n := 0; r.pos < len(r.events) && n < maxPerReplayUp; n++ {
		if n > 0 {
			g := r.gap(r.pos)
			if budget+g > replayFrame {
				break
			}
			budget += g
		}
		cmds = append(cmds, a.apply(r.events[r.pos]))
		r.pos++
	}
	if r.pos >= len(r.events) {
		r.playing = false
		return tea.Batch(cmds...)
	}
	cmds = append(cmds, a.replayTickAfter(r.gap(r.pos)))
	return tea.Batch(cmds...)
}

// seek rebuilds the screen as it was after the first `to` events. The event
// list cannot remove entries, so going back starts a fresh one.
func (a *model) seek(to int) {
	r := a.replay
	to = min(max(to, 0), len(r.events))
	if to < r.pos {
		_ = a.stream.Close()
		focused := a.stream.Focused()
		a.stream = newStream(a.opts, !a.dark)
		a.lastStreamW, a.lastStreamH = -1, -1
		if focused {
			a.stream.Focus()
		}
		a.sess = sessionView{state: session.StateIdle}
		a.sbx = sandboxView{}
		a.appended = 0
		a.direct = nil
		a.approval.clear()
		r.pos = 0
	}
	for r.pos < to {
		a.apply(r.events[r.pos])
		r.pos++
	}
	r.gen++
}

func (a *model) onReplayKey(k tea.KeyPressMsg) tea.Cmd {
	r := a.replay
	km := a.keys
	if a.stream.CapturingInput() && !key.Matches(k, km.Interrupt) {
		return a.stream.Update(k)
	}
	switch {
	case key.Matches(k, km.ReplayQuit):
		return tea.Quit
	case key.Matches(k, km.Play):
		if r.playing {
			r.playing = false
			r.gen++
			return nil
		}
		if r.pos >= len(r.events) {
			a.seek(0)
		}
		r.playing = len(r.events) > 0
		return a.replayStart()
	case key.Matches(k, km.SpeedUp):
		r.speedIdx = min(r.speedIdx+1, len(replaySpeeds)-1)
		return a.replayRestart()
	case key.Matches(k, km.SpeedDown):
		r.speedIdx = max(r.speedIdx-1, 0)
		return a.replayRestart()
	case key.Matches(k, km.StepForward):
		r.playing = false
		a.seek(r.pos + 1)
		return nil
	case key.Matches(k, km.StepBack):
		r.playing = false
		a.seek(r.pos - 1)
		return nil
	case key.Matches(k, km.Start):
		a.seek(0)
		return a.replayRestart()
	case key.Matches(k, km.End):
		r.playing = false
		a.seek(len(r.events))
		return nil
	case key.Matches(k, km.Help):
		a.showHelp = true
		return nil
	case key.Matches(k, km.Sandbox):
		a.sandboxHidden = !a.sandboxHidden
		return nil
	case key.Matches(k, km.Focus, km.FocusBack):
		return nil
	case key.Matches(k, km.Fork):
		r.playing = false // the dialog holds the selected event still
		r.gen++
		return a.openFork()
	}
	return a.stream.Update(k)
}

func (a *model) replayRestart() tea.Cmd {
	if !a.replay.playing {
		return nil
	}
	return a.replayStart()
}

// replayBar is the control line shown instead of the prompt box.
func (a *model) replayBar(w int) string {
	r := a.replay
	icon := "⏸ paused"
	if r.playing {
		icon = "▶ playing"
	} else if r.pos >= len(r.events) && len(r.events) > 0 {
		icon = "■ end"
	}
	var at, total time.Duration
	if len(r.events) > 0 {
		start := r.events[0].Time
		at = r.clock().Sub(start)
		total = r.events[len(r.events)-1].Time.Sub(start)
	}
	s := fmt.Sprintf("%s %s · event %d/%d · %s / %s", a.st.bold.Render(icon), r.speedLabel(),
		r.pos, len(r.events), fmtTenths(at), fmtTenths(total))
	// A progress bar fills what is left of the line.
	if barW := w - width(ansi.Strip(s)) - 3; barW >= 10 && len(r.events) > 0 {
		done := barW * r.pos / len(r.events)
		s += "  " + a.st.title.Render(strings.Repeat("━", done)) + a.st.faint.Render(strings.Repeat("─", barW-done))
	}
	return fitLine(s, w)
}

func fmtTenths(d time.Duration) string {
	d = max(d, 0)
	m := int(d / time.Minute)
	s := float64(d%time.Minute) / float64(time.Second)
	return fmt.Sprintf("%02d:%04.1f", m, s)
}

// leaveReplay turns a replay screen into a live one, for the branch a
// fork of the recording starts: the prompt box, live keys and clock.
func (a *model) leaveReplay(e Engine) {
	if a.replay == nil {
		return
	}
	a.replay.gen++ // a pending replay tick finds no replay and does nothing
	a.replay = nil
	a.opts.Replay = false
	a.prompt = newPromptBox(a.st, a.dark, promptPlaceholder(e.Info()))
	a.prompt.seed(a.opts.History)
}
