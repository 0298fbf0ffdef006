package eventlist

import (
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/internal/termsafe"
)

// fullView shows every line of one tool call's output. It never builds
// the whole text: each frame reads only the visible window (from memory,
// or from the spill file through its sparse index), so a 200,000-line
// output opens, jumps and scrolls as fast as a short one. Lines are not
// wrapped; long ones scroll sideways.
type fullView struct {
	e      *entry
	top    int  // first visible line
	left   int  // first visible column
	follow bool // stick to the end while the output grows
	match  int  // line of the current search match, or -1

	search struct {
		input  textinput.Model
		typing bool
		query  string
		// hits counts the query's matching lines for "3/17"; see count.
		hits hitCount
	}
	// goingTo is set while the line-number prompt is open.
	goingTo bool
	note    string
}

func (m *Model) openFull(e *entry) {
	f := &fullView{e: e, follow: !e.done, match: -1}
	f.search.input = newInput(m.plainInput())
	f.search.input.SetWidth(max(m.width-12, 1))
	m.full = f
}

func (m *Model) closeFull() {
	if m.full == nil {
		return
	}
	if sp := m.full.e.out.spill; sp != nil {
		sp.closeReader()
	}
	m.full = nil
}

// FullOutputOpen reports whether the full-output view is showing.
func (m *Model) FullOutputOpen() bool { return m.full != nil }

func (f *fullView) bodyHeight(m *Model) int {
	if m.height >= 3 {
		return m.height - 2
	}
	return m.height
}

func (f *fullView) total() int { return f.e.out.lines() }

func (f *fullView) maxTop(m *Model) int { return max(f.total()-f.bodyHeight(m), 0) }

func (f *fullView) clamp(m *Model) {
	f.top = min(max(f.top, 0), f.maxTop(m))
	f.left = max(f.left, 0)
}

func (f *fullView) scroll(m *Model, d int) {
	f.top += d
	f.follow = false
	f.clamp(m)
	if d > 0 && f.top == f.maxTop(m) && !f.e.done {
		f.follow = true
	}
}

func (f *fullView) wheel(m *Model, b tea.MouseButton) {
	switch b {
	case tea.MouseWheelUp:
		f.scroll(m, -3)
	case tea.MouseWheelDown:
		f.scroll(m, 3)
	case tea.MouseWheelLeft:
		f.left = max(f.left-8, 0)
	case tea.MouseWheelRight:
		f.left += 8
	}
}

func (f *fullView) update(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	if f.goingTo {
		return f.updateGoto(m, msg)
	}
	if f.search.typing {
		switch msg.String() {
		case "esc":
			f.search.typing = false
			f.search.input.Blur()
			return nil
		case "enter":
			f.search.typing = false
			f.search.input.Blur()
			q := f.search.input.Value()
			from := f.matchFrom(m)
			if q != f.search.query {
				from = f.top - 1 // a new query may match the top line itself
			}
			f.search.query = q
			f.find(m, from, 1)
			return nil
		}
		var cmd tea.Cmd
		f.search.input, cmd = f.search.input.Update(msg)
		return cmd
	}
	k := m.keys
	h := f.bodyHeight(m)
	f.note = ""
	switch {
	case key.Matches(msg, k.Close):
		m.closeFull()
	case key.Matches(msg, k.Copy):
		return m.copySelected()
	case key.Matches(msg, k.LineUp), msg.String() == "k":
		f.scroll(m, -1)
	case key.Matches(msg, k.LineDown), msg.String() == "j":
		f.scroll(m, 1)
	case key.Matches(msg, k.PageUp):
		f.scroll(m, -max(h-1, 1))
	case key.Matches(msg, k.PageDown), msg.String() == "space":
		f.scroll(m, max(h-1, 1))
	case key.Matches(msg, k.HalfUp):
		f.scroll(m, -max(h/2, 1))
	case key.Matches(msg, k.HalfDown):
		f.scroll(m, max(h/2, 1))
	case key.Matches(msg, k.Top):
		f.top, f.left, f.follow = 0, 0, false
	case key.Matches(msg, k.Follow):
		f.top, f.follow = f.maxTop(m), true
	case key.Matches(msg, k.Left):
		f.left = max(f.left-8, 0)
	case key.Matches(msg, k.Right):
		f.left += 8
	case key.Matches(msg, k.Search):
		f.search.typing = true
		f.search.input.SetValue(f.search.query)
		f.search.input.CursorEnd()
		return f.search.input.Focus()
	case msg.String() == ":":
		return f.openGoto()
	case key.Matches(msg, k.NextMatch):
		f.find(m, f.matchFrom(m), 1)
	case key.Matches(msg, k.PrevMatch):
		f.find(m, f.matchFrom(m), -1)
	}
	return nil
}

// matchFrom is where n/N search from: the current match while it is on
// screen, else the top line (the user has scrolled elsewhere).
func (f *fullView) matchFrom(m *Model) int {
	if f.match >= f.top && f.match < f.top+f.bodyHeight(m) {
		return f.match
	}
	return f.top
}

// find moves to the next line containing the query after line from (dir
// 1) or before it (dir -1), wrapping around. It reads the output
// sequentially, at most once over.
func (f *fullView) find(m *Model, from, dir int) {
	q := newMatcher(f.search.query)
	if q.empty() {
		f.note = "no search yet: press / to search"
		return
	}
	o := f.e.out
	found, col := -1, 0
	hit := func(line string) (int, bool) {
		if q.fold {
			i := indexFold(line, q.q)
			return i, i >= 0
		}
		i := strings.Index(line, q.q)
		return i, i >= 0
	}
	var err error
	if dir > 0 {
		err = o.scan(from+1, func(i int, line string) bool {
			if c, ok := hit(line); ok {
				found, col = i, c
				return false
			}
			return true
		})
		if found < 0 && err == nil {
			err = o.scan(0, func(i int, line string) bool {
				if i > from {
					return false
				}
				if c, ok := hit(line); ok {
					found, col = i, c
					return false
				}
				return true
			})
		}
	} else {
		// Backwards: remember the last hit before from, else the last one.
		before, last, cb, cl := -1, -1, 0, 0
		err = o.scan(0, func(i int, line string) bool {
			if c, ok := hit(line); ok {
				if i < from {
					before, cb = i, c
				}
				last, cl = i, c
			}
			return true
		})
		found, col = before, cb
		if found < 0 {
			found, col = last, cl
		}
	}
	if err != nil {
		f.note = "search stopped: " + err.Error()
		return
	}
	if found < 0 {
		f.note = fmt.Sprintf("no match for %q", f.search.query)
		return
	}
	f.match = found
	f.follow = false
	f.top = found - f.bodyHeight(m)/2
	f.clamp(m)
	f.note = fmt.Sprintf("/%s: %s · line %d", f.search.query, f.count(q, found), found+1)
	// Bring the match into view sideways too.
	if lines, err := o.window(found, 1); err == nil && len(lines) == 1 {
		c := ansi.StringWidth(lines[0][:min(col, len(lines[0]))])
		cw := m.width - f.numWidth() - 3
		if c < f.left || c >= f.left+cw {
			f.left = max(c-cw/3, 0)
		}
	}
}

func (f *fullView) numWidth() int { return len(strconv.Itoa(max(f.total(), 1))) }

func (f *fullView) view(m *Model) string {
	st := &m.pal
	w := m.width
	h := f.bodyHeight(m)
	if f.follow {
		f.top = f.maxTop(m)
	}
	f.clamp(m)
	total := f.total()
	rows := make([]string, 0, m.height)
	if m.height >= 3 {
		icon, head := toolTitle(f.e)
		if i := strings.IndexByte(head, '\n'); i >= 0 {
			head = head[:i] + " …"
		}
		last := min(f.top+h, total)
		pos := fmt.Sprintf(" lines %d–%d of %d ", min(f.top+1, total), last, total)
		title := fit(" "+icon+head, max(w-ansi.StringWidth(pos), 0))
		pad := max(w-ansi.StringWidth(title)-ansi.StringWidth(pos), 0)
		rows = append(rows, st.Header.on(title+strings.Repeat(" ", pad)+pos))
	}
	lines, err := f.e.out.window(f.top, h)
	nw := f.numWidth()
	cw := max(w-nw-3, 1)
	for i, l := range lines {
		n := f.top + i
		num := fmt.Sprintf("%*d", nw, n+1)
		if n == f.match {
			num = st.Match.on(num)
		} else {
			num = st.LineNo.on(num)
		}
		rows = append(rows, num+st.Gutter.on(" │ ")+ansi.Cut(l, f.left, f.left+cw))
	}
	if err != nil && len(rows) < m.height {
		rows = append(rows, st.Error.on(termsafe.SanitizeLine("cannot read this output: "+err.Error())))
	}
	for len(rows) < m.height-1 {
		rows = append(rows, "")
	}
	if m.height >= 3 {
		switch {
		case f.search.typing || f.goingTo:
			rows = append(rows, f.search.input.View())
		case f.note != "":
			rows = append(rows, st.Footer.on(termsafe.SanitizeLine(f.note)))
		default:
			rows = append(rows, st.Footer.on("esc close · ↑/↓ pgup/pgdn g/G · ←/→ · / search, n/N · : go to line"))
		}
	}
	return finish(rows, w, m.height)
}
