package fleet

import (
	tea "charm.land/bubbletea/v2"
)

// Keys the fleet takes before the focused session sees them. They are
// chosen to be rare inside a session: ctrl+n also moves down in the prompt
// and the event list, where ↓ and j do the same.
const (
	keyList  = "ctrl+l" // list ⇄ session (f2 too)
	keyNew   = "ctrl+n"
	keyQuit  = "ctrl+q"
	keyList2 = "f2"
)

// confirmKind is the question on screen, if any.
type confirmKind int

const (
	confirmNone confirmKind = iota
	confirmQuit
	confirmCancelAll
	confirmClose
)

func (f *fleet) onKey(k tea.KeyPressMsg) tea.Cmd {
	ks := k.String()
	if ks != "ctrl+c" {
		f.quitArmed = false
	}
	switch {
	case f.quitting:
		return f.onQuittingKey(ks)
	case f.confirm != confirmNone:
		return f.onConfirmKey(ks)
	case f.compare != nil && ks != keyQuit:
		return f.onCompareKey(ks)
	}
	switch ks {
	case keyQuit:
		f.setNotice("", false)
		return f.requestQuit()
	case keyNew:
		return f.newSession()
	case "alt+1", "alt+2", "alt+3", "alt+4", "alt+5", "alt+6", "alt+7", "alt+8", "alt+9":
		// Straight to session N, keyboard and all.
		f.setNotice("", false)
		if n := int(ks[len(ks)-1] - '1'); n < len(f.sess) {
			f.cur, f.list = n, false
		} else {
			f.setNotice("there is no session "+itoa(n+1), false)
		}
		return nil
	case keyList, keyList2:
		f.setNotice("", false)
		if f.list && len(f.sess) > 0 {
			f.list = false
		} else {
			f.list = true
		}
		return nil
	}
	s := f.focused()
	if f.list || s == nil {
		return f.onListKey(ks)
	}
	f.setNotice("", false)
	return f.toMember(s, k)
}

func (f *fleet) onListKey(ks string) tea.Cmd {
	f.setNotice("", false)
	switch ks {
	case "up", "k":
		f.cur = max(f.cur-1, 0)
	case "down", "j":
		f.cur = max(min(f.cur+1, len(f.sess)-1), 0)
	case "home", "g":
		f.cur = 0
	case "end", "G":
		f.cur = max(len(f.sess)-1, 0)
	case "enter", "esc", "tab":
		if len(f.sess) > 0 {
			f.list = false
		}
	case "x":
		f.cancelSelected()
	case "X":
		if f.busyCount() == 0 {
			f.setNotice("no session is running", false)
			return nil
		}
		f.confirm = confirmCancelAll
	case "d":
		return f.closeSelected(false)
	case "c":
		return f.compareSelected()
	case "ctrl+c":
		if f.quitArmed {
			f.quitArmed = false
			return f.requestQuit()
		}
		f.quitArmed = true
		f.setNotice("press ctrl+c again to quit all sessions", false)
	}
	return nil
}

// cancelSelected cancels the run of the session under the cursor.
func (f *fleet) cancelSelected() {
	s := f.focused()
	if s == nil {
		return
	}
	if !s.m.Summary().Busy {
		f.setNotice(s.name+" has no run to cancel", false)
		return
	}
	s.eng.Cancel()
	f.setNotice("cancelling "+s.name+"…", false)
}

func (f *fleet) cancelAll() {
	n := 0
	for _, s := range f.sess {
		if s.m.Summary().Busy {
			s.eng.Cancel()
			n++
		}
	}
	f.setNotice("cancelling "+plural(n, "run", "runs")+"…", false)
}

// closeSelected shuts the selected session down (its sandbox is deleted)
// and drops it from the list once its teardown is done.
func (f *fleet) closeSelected(confirmed bool) tea.Cmd {
	s := f.focused()
	if s == nil {
		return nil
	}
	sum := s.m.Summary()
	if sum.TeardownFinished && sum.ShutdownErr != nil {
		// Its failure has been seen; drop it (`tether cleanup` finds the sandbox).
		f.remove(s.id)
		return nil
	}
	if sum.TearingDown {
		return nil
	}
	if sum.Busy && !confirmed {
		f.confirm = confirmClose
		return nil
	}
	f.setNotice("closing "+s.name+"…", false)
	return tag(s.id, s.m.Teardown())
}

func (f *fleet) onConfirmKey(ks string) tea.Cmd {
	kind := f.confirm
	switch ks {
	case "y", "Y", "enter":
		f.confirm = confirmNone
		switch kind {
		case confirmQuit:
			return f.startQuit()
		case confirmCancelAll:
			f.cancelAll()
		case confirmClose:
			return f.closeSelected(true)
		}
	case "n", "N", "esc", "ctrl+c":
		f.confirm = confirmNone
	case keyQuit:
		if kind == confirmQuit {
			f.confirm = confirmNone
			return f.startQuit()
		}
	}
	return nil
}
