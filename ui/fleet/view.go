package fleet

import (
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui"
)

// layout is where the list and the focused session go.
type layout struct {
	side         bool // list on the left; else a strip on top
	listW, listH int
	sessX, sessY int
	sessW, sessH int
}

const (
	sideMinW  = 100 // wide enough for the list beside a session
	stripRows = 3   // sessions shown at once in the top strip
)

func (f *fleet) layout() layout {
	if f.w >= sideMinW {
		lw := min(max(f.w*3/10, 34), 42)
		return layout{side: true, listW: lw, listH: f.h, sessX: lw, sessW: f.w - lw, sessH: f.h}
	}
	lh := min(f.h, 1)
	if f.h >= 16 {
		lh = min(max(len(f.sess), 1), stripRows) + 2
	}
	return layout{listW: f.w, listH: lh, sessY: lh, sessW: f.w, sessH: max(f.h-lh, 0)}
}

// View implements tea.Model.
func (v Model) View() tea.View {
	f := v.f
	view := tea.View{AltScreen: true, MouseMode: tea.MouseModeCellMotion}
	view.WindowTitle = "tether fleet · " + plural(len(f.sess), "session", "sessions")
	if f.w <= 0 || f.h <= 0 {
		return view
	}
	l := f.layout()
	var body []string
	var cursor *tea.Cursor
	if f.quitting {
		// Every session's teardown, in place of the focused screen (whose
		// own teardown box would show only one of them).
		body = f.st.frame("shutting down "+plural(len(f.sess), "session", "sessions"), f.quitLines(), l.sessW, l.sessH, true)
	} else if f.compare != nil {
		body = f.compareLines(l.sessW, l.sessH)
	} else if s := f.focused(); s != nil {
		sv := s.m.View()
		body = strings.Split(sv.Content, "\n")
		cursor = sv.Cursor
	} else {
		body = []string{"", "  No sessions.", "", "  ctrl+n starts one · ctrl+q quits"}
	}
	body = ui.FitLines(body, l.sessW, l.sessH)
	list := f.listView(l)
	var lines []string
	if l.side {
		lines = make([]string, f.h)
		for i := range lines {
			lines[i] = list[i] + body[i]
		}
	} else {
		lines = append(list, body...)
	}
	if f.confirm != confirmNone && !f.quitting {
		lines = ui.Overlay(lines, f.confirmBox(), f.w)
		cursor = nil
	}
	view.SetContent(strings.Join(lines, "\n"))
	view.Cursor = placeCursor(cursor, l)
	return view
}

// placeCursor moves the focused session's terminal cursor (its prompt's)
// from the session's screen to where that screen sits in the fleet's.
func placeCursor(c *tea.Cursor, l layout) *tea.Cursor {
	if c == nil || c.X >= l.sessW || c.Y >= l.sessH {
		return nil
	}
	moved := *c
	moved.X += l.sessX
	moved.Y += l.sessY
	return &moved
}

// listView is the session list: exactly listW×listH.
func (f *fleet) listView(l layout) []string {
	title := "sessions"
	if n := len(f.sess); n > 0 {
		title += " " + itoa(f.cur+1) + "/" + itoa(n)
	}
	// Another session waiting for an approval must not go unnoticed.
	waiting := 0
	for i, s := range f.sess {
		if sum := s.m.Summary(); i != f.cur && (sum.NeedsApproval || sum.State == session.StateWaiting) && !sum.TearingDown {
			waiting++
		}
	}
	if waiting > 0 {
		title += " · " + f.st.state("waiting", "⚠ "+itoa(waiting)+" waiting")
	}
	if !l.side {
		return f.stripView(l, title)
	}
	inner := l.listW - 2
	foot := f.foot(inner)
	rowsH := max(l.listH-2-len(foot), 0)
	var rows []string
	per := rowHeight
	top := scrollTop(f.cur, rowsH/per)
	for i := top; i < len(f.sess) && len(rows)+per <= rowsH; i++ {
		rows = append(rows, f.rowLines(i, inner)...)
	}
	if len(f.sess) == 0 {
		rows = append(rows, f.st.faint.Render(" none yet: ctrl+n"))
	}
	if f.adding > 0 {
		rows = append(rows, f.st.faint.Render(" starting a session…"))
	}
	bodyLines := ui.FitLines(rows, inner, rowsH)
	bodyLines = append(bodyLines, foot...)
	return f.st.frame(title, bodyLines, l.listW, l.listH, f.list && !f.quitting)
}

// stripView is the list as a strip on top of a narrow screen.
func (f *fleet) stripView(l layout, title string) []string {
	if f.notice != "" {
		title += " · " + f.noticeView()
	} else {
		title += " · " + strings.Join(f.hints(), " · ")
	}
	if l.listH < 3 {
		line := f.st.bold.Render(title)
		if s := f.focused(); s != nil {
			line = f.rowLine(f.cur, l.listW) + f.st.faint.Render(" · ctrl+l list")
		}
		return ui.FitLines([]string{line}, l.listW, l.listH)
	}
	rowsH := l.listH - 2
	rows := f.alignedRows(scrollTop(f.cur, rowsH), rowsH, l.listW-2)
	if len(f.sess) == 0 {
		rows = append(rows, f.st.faint.Render(" none yet: ctrl+n starts one"))
	}
	return f.st.frame(title, rows, l.listW, l.listH, f.list && !f.quitting)
}

// foot is the bottom of the side list: a blank line, the notice (an
// error is worth reading whole: wrapped, up to 3 lines) and the key hints.
func (f *fleet) foot(w int) []string {
	out := []string{""}
	if f.notice != "" {
		nl := wrap(f.notice, w)
		for _, l := range nl[:min(len(nl), 3)] {
			out = append(out, f.styleNotice(l))
		}
	}
	return append(out, f.hints()...)
}

// scrollTop is the first row shown so that cur is visible in n rows.
func scrollTop(cur, n int) int {
	if n <= 0 || cur < n {
		return 0
	}
	return cur - n + 1
}

func (f *fleet) hints() []string {
	k := func(key, what string) string { return f.st.bold.Render(key) + " " + f.st.faint.Render(what) }
	if f.list {
		return []string{
			k("j/k", "move") + "  " + k("enter", "open"),
			k("x", "cancel") + "  " + k("X", "all") + "  " + k("d", "close"),
			k("ctrl+n", "new") + "  " + k("ctrl+q", "quit all"),
			k("c", "compare with its parent"),
		}
	}
	return []string{
		k("ctrl+l", "sessions") + "  " + k("alt+1…9", "go to"),
		k("ctrl+n", "new") + "  " + k("ctrl+q", "quit all"),
	}
}

func (f *fleet) noticeView() string { return f.styleNotice(f.notice) }

func (f *fleet) styleNotice(s string) string {
	if f.noticeErr {
		return f.st.errorText.Render(s)
	}
	return f.st.notice.Render(s)
}

// wrap word-wraps s to w columns.
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	return strings.Split(ansi.Wrap(s, w, " "), "\n")
}

// status is one session's state as the list shows it: a state name (for
// its colour), an icon and a label.
func status(sum ui.Summary) (name, icon, label string) {
	switch {
	case sum.TeardownFinished && sum.ShutdownErr != nil:
		return "error", "✗", "shutdown failed"
	case sum.TeardownFinished:
		return "idle", "■", "closed"
	case sum.TearingDown:
		return "cancelled", "◌", "closing"
	case sum.NeedsApproval || sum.State == session.StateWaiting:
		return "waiting", "⚠", "approval"
	case sum.State == "" && sum.Busy, sum.State == session.StateIdle && sum.Busy:
		return "running", "●", "command"
	case sum.State == "":
		return "idle", "○", "starting"
	}
	icon = "●"
	switch sum.State {
	case session.StateIdle:
		icon = "○"
	case session.StatePaused:
		icon = "⏸"
	case session.StateFinished:
		icon = "✓"
	case session.StateError, session.StateStuck:
		icon = "✗"
	case session.StateCancelled:
		icon = "■"
	}
	return string(sum.State), icon, string(sum.State)
}

// facts are the short columns of a row: sandbox, steps, cost, elapsed.
// Sandbox ids can be long (Daytona's are UUIDs): the side list gives the
// sandbox its own line.
func facts(sum ui.Summary) []string {
	sb := sum.SandboxID
	switch {
	case sb == "" && sum.SandboxState != "":
		sb = "sandbox " + sum.SandboxState
	case sb == "":
		sb = "no sandbox yet"
	case sum.SandboxState == "destroyed" || sum.SandboxState == "deleted" || sum.SandboxState == "error":
		sb += " (" + sum.SandboxState + ")"
	}
	cost := "$0"
	if u := sum.Usage; u != nil {
		cost = fmtCost(u.TotalCostUSD, u.CostKnown, true)
	}
	el := "–"
	if sum.Elapsed > 0 {
		el = fmtDuration(sum.Elapsed)
	}
	return []string{sb, plural(sum.Steps, "step", "steps"), cost, el}
}

// rowHeight is the lines per session in the side list.
const rowHeight = 3

// rowLines is session i in the side list: state and title, the counters,
// the sandbox.
func (f *fleet) rowLines(i, w int) []string {
	s := f.sess[i]
	sum := s.m.Summary()
	name, icon, label := status(sum)
	mark := "  "
	if i == f.cur {
		mark = "▸ "
	}
	head := s.name + " " + f.st.state(name, icon+" "+label)
	if i == f.cur && f.list {
		head = f.st.selected.Render(s.name) + " " + f.st.state(name, icon+" "+label)
	}
	first := mark + head
	if sum.Title != "" {
		first += f.st.faint.Render(" · " + sum.Title)
	}
	fs := facts(sum)
	sep := f.st.faint.Render(" · ")
	counters := "    " + strings.Join(fs[1:], sep)
	sandbox := "    " + f.st.faint.Render(fs[0])
	return []string{ui.FitLine(first, w), ui.FitLine(counters, w), ui.FitLine(sandbox, w)}
}

// rowLine is session i on one line (the top strip).
func (f *fleet) rowLine(i, w int) string {
	return ui.FitLine(strings.Join(f.rowCells(i), f.st.faint.Render(" │ ")), w)
}

// alignedRows are sessions from top on, one line each, their columns
// padded to line up (the title, last, is not padded).
func (f *fleet) alignedRows(top, n, w int) []string {
	var cells [][]string
	for i := top; i < len(f.sess) && len(cells) < n; i++ {
		cells = append(cells, f.rowCells(i))
	}
	var widths []int
	for _, c := range cells {
		for j, cell := range c {
			if j >= len(widths) {
				widths = append(widths, 0)
			}
			widths[j] = max(widths[j], lipgloss.Width(cell))
		}
	}
	sep := f.st.faint.Render(" │ ")
	rows := make([]string, len(cells))
	for r, c := range cells {
		var b strings.Builder
		for j, cell := range c {
			if j > 0 {
				b.WriteString(sep)
			}
			b.WriteString(cell)
			if j < len(c)-1 {
				b.WriteString(strings.Repeat(" ", widths[j]-lipgloss.Width(cell)))
			}
		}
		rows[r] = ui.FitLine(b.String(), w)
	}
	return rows
}

// rowCells are the columns of session i's one-line form: state, the
// facts, then the title when there is one.
func (f *fleet) rowCells(i int) []string {
	s := f.sess[i]
	sum := s.m.Summary()
	name, icon, label := status(sum)
	mark := "  "
	if i == f.cur {
		mark = "▸ "
	}
	n := s.name
	if i == f.cur && f.list {
		n = f.st.selected.Render(n)
	}
	parts := append([]string{mark + n + " " + f.st.state(name, icon+" "+label)}, facts(sum)...)
	if sum.Title != "" {
		parts = append(parts, f.st.faint.Render(sum.Title))
	}
	return parts
}

func itoa(n int) string { return strconv.Itoa(n) }
