package fleet

import (
	tea "charm.land/bubbletea/v2"
)

// onMouse gives clicks and wheel turns over the session to it, and picks a
// session with a click in the list.
func (f *fleet) onMouse(msg tea.MouseMsg) tea.Cmd {
	if f.quitting || f.confirm != confirmNone {
		return nil
	}
	l := f.layout()
	m := msg.Mouse()
	if m.X >= l.sessX && m.Y >= l.sessY {
		s := f.focused()
		if s == nil {
			return nil
		}
		if _, ok := msg.(tea.MouseClickMsg); ok {
			f.list = false
		}
		return f.toMember(s, shift(msg, l.sessX, l.sessY))
	}
	click, ok := msg.(tea.MouseClickMsg)
	if !ok || click.Button != tea.MouseLeft {
		return nil
	}
	row := -1
	if l.side {
		rowsH := max(l.listH-2-len(f.foot(l.listW-2)), 0)
		if m.Y >= 1 && m.Y-1 < rowsH {
			row = scrollTop(f.cur, rowsH/rowHeight) + (m.Y-1)/rowHeight
		}
	} else if l.listH >= 3 && m.Y >= 1 && m.Y < l.listH-1 {
		row = scrollTop(f.cur, l.listH-2) + m.Y - 1
	}
	if row >= 0 && row < len(f.sess) {
		f.cur, f.list = row, true
	}
	return nil
}

// shift moves a mouse message into the session's coordinates.
func shift(msg tea.MouseMsg, dx, dy int) tea.Msg {
	switch m := msg.(type) {
	case tea.MouseClickMsg:
		m.X, m.Y = m.X-dx, m.Y-dy
		return m
	case tea.MouseReleaseMsg:
		m.X, m.Y = m.X-dx, m.Y-dy
		return m
	case tea.MouseWheelMsg:
		m.X, m.Y = m.X-dx, m.Y-dy
		return m
	case tea.MouseMotionMsg:
		m.X, m.Y = m.X-dx, m.Y-dy
		return m
	}
	return msg
}
