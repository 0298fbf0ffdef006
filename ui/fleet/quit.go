package fleet

import (
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Quitting shuts every session down at once: each session's screen runs
// its own teardown (its engine's Shutdown in a tea.Cmd, its sandbox events
// listed as they come), the fleet shows all of them, and the program exits
// when every one has finished.

func (f *fleet) requestQuit() tea.Cmd {
	if f.quitting {
		return nil
	}
	if f.busyCount() > 0 {
		f.confirm = confirmQuit
		return nil
	}
	return f.startQuit()
}

func (f *fleet) startQuit() tea.Cmd {
	f.quitting = true
	f.confirm = confirmNone
	cmds := make([]tea.Cmd, 0, len(f.sess)+1)
	for _, s := range f.sess {
		cmds = append(cmds, tag(s.id, s.m.Teardown()))
	}
	return tea.Batch(append(cmds, f.checkQuit())...)
}

// finished reports whether s has nothing more to do before the program
// may exit.
func (s *member) finished() bool {
	if s.done {
		return true
	}
	sum := s.m.Summary()
	return sum.TeardownFinished
}

// checkQuit ends the program once every session's teardown has finished,
// or waits for a key when one of them failed. Outside quitting it drops
// sessions closed one by one.
func (f *fleet) checkQuit() tea.Cmd {
	if !f.quitting {
		for _, s := range f.sess {
			if s.done {
				if f.notice == "closing "+s.name+"…" {
					f.setNotice("closed "+s.name, false)
				}
				f.remove(s.id)
				return nil
			}
		}
		return nil
	}
	if f.quitFailed || f.adding > 0 || f.quitTimer {
		return nil
	}
	for _, s := range f.sess {
		if !s.finished() {
			return nil
		}
	}
	for _, s := range f.sess {
		if s.m.ShutdownErr() != nil {
			f.quitFailed = true
			return nil
		}
	}
	f.quitFailed = false
	d := f.opts.quitDelay()
	if d == 0 {
		return tea.Quit
	}
	f.quitTimer = true
	return tea.Tick(d, func(time.Time) tea.Msg { return quitNowMsg{} })
}

func (f *fleet) onQuittingKey(ks string) tea.Cmd {
	if f.quitFailed {
		return tea.Quit
	}
	if ks == "ctrl+c" || ks == keyQuit {
		if f.forceArmed {
			return tea.Quit
		}
		f.forceArmed = true
		f.setNotice("still shutting down — press "+ks+" again to leave now (sandboxes may be left behind: `tether cleanup`)", true)
	}
	return nil
}

func (f *fleet) confirmBox() []string {
	y, n := f.st.bold.Render("y"), f.st.bold.Render("n")
	var body []string
	switch f.confirm {
	case confirmQuit:
		busy := f.busyCount()
		body = []string{
			plural(busy, "session is", "sessions are") + " still running.",
			"Quit anyway? Every run is cancelled and every sandbox deleted.",
			"", y + " quit all   " + n + " stay",
		}
		return f.st.box("quit all?", body, f.w, f.h)
	case confirmCancelAll:
		body = []string{
			"Cancel the runs of " + plural(f.busyCount(), "session", "sessions") + "?",
			"The sessions and their sandboxes stay.",
			"", y + " cancel all   " + n + " keep running",
		}
		return f.st.box("cancel all?", body, f.w, f.h)
	case confirmClose:
		name := ""
		if s := f.focused(); s != nil {
			name = s.name
		}
		body = []string{
			name + " is still running.",
			"Close it? Its run is cancelled and its sandbox deleted.",
			"", y + " close   " + n + " keep",
		}
		return f.st.box("close "+name+"?", body, f.w, f.h)
	}
	return nil
}

// quitLines are every session's teardown lines, the latest ones when
// they do not all fit.
func (f *fleet) quitLines() []string {
	var body []string
	for _, s := range f.sess {
		sum := s.m.Summary()
		icon := "◌"
		switch {
		case sum.TeardownFinished && sum.ShutdownErr != nil:
			icon = f.st.errorText.Render("✗")
		case sum.TeardownFinished || s.done:
			icon = "✓"
		}
		head := " " + icon + " " + f.st.bold.Render(s.name)
		if sum.SandboxID != "" {
			head += f.st.faint.Render(" · " + sum.SandboxID)
		}
		body = append(body, head)
		for _, l := range s.m.TeardownLog() {
			if strings.HasPrefix(l, "shutdown failed") {
				l = f.st.errorText.Render(l)
			}
			body = append(body, "     "+l)
		}
		body = append(body, "")
	}
	if len(f.sess) == 0 {
		body = append(body, " no sessions", "")
	}
	switch {
	case f.quitFailed:
		body = append(body, f.st.errorText.Render(" Some sandboxes may still exist: `tether cleanup` removes leftovers."), " Press any key to exit.")
	case f.notice != "":
		body = append(body, " "+f.noticeView())
	}
	if h := max(f.layout().sessH-2, 0); h < len(body) {
		body = body[len(body)-h:]
	}
	return body
}
