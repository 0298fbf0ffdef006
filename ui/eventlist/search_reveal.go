package eventlist

import (
	"github.com/charmbracelet/x/ansi"
)

// revealMatch shows where in entry vi the search matched when the entry's
// folded render hides it: a tool output is expanded in place and scrolled
// to the first matching line, or, for an output too long to expand, the
// full view opens on that line.
func (m *Model) revealMatch(vi int, q matcher) {
	e := m.visEntry(vi)
	if e.kind != kindTool || e.out == nil || rowMatch(m.lines(e), q) >= 0 {
		return // no output, or the match is on screen already
	}
	if !m.expanded(e) && e.out.lines()-doneHead-doneTail > hugeOutputLines {
		m.openFull(e)
		m.full.search.query = q.q
		m.full.find(m, -1, 1)
		return
	}
	if !e.expanded {
		e.expanded = true
		m.search.note += " (expanded)"
	}
	if row := rowMatch(m.lines(e), q); row >= 0 {
		m.follow = false
		m.top = anchor{idx: vi, off: max(row-2, 0)}
		m.top = m.clampAnchor(m.top)
	}
}

// rowMatch is the first rendered row of an entry that contains the
// query, or -1.
func rowMatch(rows []string, q matcher) int {
	for i := 0; i < len(rows); i++ {
		if q.in(ansi.Strip(rows[i])) {
			return i
		}
	}
	return -1
}
