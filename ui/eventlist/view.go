package eventlist

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/internal/termsafe"
)

// visLen and visEntry address the entries on show: all of them, or the
// matches while the search filter is on.
func (m *Model) visLen() int {
	if m.search.filterOn {
		return len(m.search.filtered)
	}
	return len(m.entries)
}

func (m *Model) visEntry(i int) *entry {
	if m.search.filterOn {
		return m.entries[m.search.filtered[i]]
	}
	return m.entries[i]
}

func (m *Model) heightOf(i int) int { return len(m.lines(m.visEntry(i))) }

// selected is the visible index of the selected entry, or -1 when there
// is none.
func (m *Model) selected() int {
	n := m.visLen()
	if n == 0 {
		return -1
	}
	if m.sel < 0 || m.sel >= n {
		return n - 1
	}
	return m.sel
}

// footer is the one-line status under the list, or "" for none.
func (m *Model) footer() string {
	switch {
	case m.search.typing:
		return m.search.input.View()
	case m.search.filterOn:
		return m.pal.Footer.on(fmt.Sprintf("filter %q: %d matching · ctrl+f show all", m.search.query, len(m.search.filtered)))
	case m.search.note != "":
		return m.pal.Footer.on(termsafe.SanitizeLine(m.search.note))
	case !m.follow && m.unseen > 0:
		return m.pal.Footer.on(fmt.Sprintf("↓ %d new · G to follow", m.unseen))
	}
	return ""
}

func (m *Model) bodyHeight() int {
	if m.height > 1 && m.footer() != "" {
		return m.height - 1
	}
	return m.height
}

// View renders exactly the set height in lines, each at most the set
// width in cells. Only entries on screen are rendered.
func (m *Model) View() string {
	if m.height <= 0 {
		return ""
	}
	if m.full != nil {
		return m.full.view(m)
	}
	m.refreshFilter()
	m.rows = m.body(m.rows[:0], m.bodyHeight())
	if len(m.rows) < m.height {
		m.rows = append(m.rows, row{text: m.footer()})
	}
	return finishRows(m.rows, m.width, m.height)
}

// row is one screen line: a margin (selection marker) and the text. They
// are kept apart so that a frame does not build a string per row.
type row struct{ margin, text string }

// finish fits rows to width and pads or cuts them to height lines.
func finish(rows []string, width, height int) string {
	rs := make([]row, len(rows))
	for i, r := range rows {
		rs[i].text = r
	}
	return finishRows(rs, width, height)
}

func finishRows(rows []row, width, height int) string {
	size := height
	for _, r := range rows {
		size += len(r.margin) + len(r.text)
	}
	var b strings.Builder
	b.Grow(size)
	for i := 0; i < height; i++ {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i >= len(rows) {
			continue
		}
		r := rows[i]
		text := r.text
		if j := strings.IndexByte(text, '\n'); j >= 0 {
			text = text[:j] // a row is one line, whatever a caller rendered
		}
		mw := gutterWidth
		if r.margin != "  " {
			mw = ansi.StringWidth(r.margin) // a styled or custom marker
		}
		if r.margin != "" && width > mw {
			b.WriteString(r.margin)
			b.WriteString(fit(text, width-mw))
		} else {
			b.WriteString(fit(r.margin+text, width))
		}
	}
	return b.String()
}

func (m *Model) gutter(selected bool) string {
	if selected && m.focused {
		return m.selGutter
	}
	return "  "
}

// body appends h rows of the list at the current scroll position to rows.
func (m *Model) body(rows []row, h int) []row {
	n := m.visLen()
	if h <= 0 {
		return rows
	}
	if n == 0 {
		return append(rows, row{text: m.pal.Dim.on("  no events yet")})
	}
	sel := m.selected()
	start := len(rows)
	if !m.follow {
		a := m.clampAnchor(m.top)
		for i := a.idx; i < n && len(rows)-start < h; i++ {
			ls := m.visLines(i)
			from := 0
			if i == a.idx {
				from = min(a.off, len(ls))
			}
			g := m.gutter(i == sel)
			for _, l := range ls[from:] {
				if len(rows)-start == h {
					break
				}
				rows = append(rows, row{g, l})
			}
		}
		if len(rows)-start == h || (a.idx == 0 && a.off == 0) {
			return rows
		}
		// Scrolled past the end (entries shrank): show the bottom.
		rows = rows[:start]
	}
	for i := n - 1; i >= 0 && len(rows)-start < h; i-- {
		ls := m.visLines(i)
		g := m.gutter(i == sel)
		for j := len(ls) - 1; j >= 0 && len(rows)-start < h; j-- {
			rows = append(rows, row{g, ls[j]})
		}
	}
	for i, j := start, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	return rows
}

func (m *Model) visLines(i int) []string { return m.lines(m.visEntry(i)) }

func (m *Model) clampAnchor(a anchor) anchor {
	n := m.visLen()
	if n == 0 {
		return anchor{}
	}
	if a.idx >= n {
		return anchor{idx: n - 1}
	}
	if a.idx < 0 {
		return anchor{}
	}
	if h := m.heightOf(a.idx); a.off >= h {
		a.off = max(h-1, 0)
	}
	return a
}

// bottomAnchor is the top line when the last entry's last line sits on
// the bottom row.
func (m *Model) bottomAnchor(h int) anchor {
	sum := 0
	for i := m.visLen() - 1; i >= 0; i-- {
		sum += m.heightOf(i)
		if sum >= h {
			return anchor{idx: i, off: sum - h}
		}
	}
	return anchor{}
}

// currentTop is the first visible line, following or not.
func (m *Model) currentTop() anchor {
	if m.follow {
		return m.bottomAnchor(m.bodyHeight())
	}
	return m.clampAnchor(m.top)
}

// stopFollowing pins the view where it is.
func (m *Model) stopFollowing() {
	if m.follow {
		m.top = m.currentTop()
		m.follow = false
		m.unseen = 0
	}
}

func (m *Model) scrollUp(k int) {
	m.stopFollowing()
	a := m.top
	a.off -= k
	for a.off < 0 && a.idx > 0 {
		a.idx--
		a.off += m.heightOf(a.idx)
	}
	a.off = max(a.off, 0)
	m.top = a
}

func (m *Model) scrollDown(k int) {
	if m.follow || m.visLen() == 0 {
		return
	}
	a := m.clampAnchor(m.top)
	a.off += k
	n := m.visLen()
	for a.idx < n-1 {
		h := m.heightOf(a.idx)
		if a.off < h {
			break
		}
		a.off -= h
		a.idx++
	}
	m.top = m.clampAnchor(a)
	m.resumeIfAtBottom()
}

// resumeIfAtBottom turns following back on when the last line is in view:
// scrolling down to the end is the same as asking to follow.
func (m *Model) resumeIfAtBottom() {
	h := m.bodyHeight()
	a := m.clampAnchor(m.top)
	n := m.visLen()
	rest := 0
	for i := a.idx; i < n; i++ {
		rest += m.heightOf(i)
		if i == a.idx {
			rest -= a.off
		}
		if rest > h {
			return
		}
	}
	m.follow = true
	m.unseen = 0
}

func (m *Model) gotoTop() {
	m.follow = false
	m.unseen = 0
	m.top = anchor{}
	if m.visLen() > 0 {
		m.sel = 0
	}
}

// ensureVisible scrolls the least needed to show entry vi whole (its top,
// when it is taller than the screen).
func (m *Model) ensureVisible(vi int) {
	h := m.bodyHeight()
	a := m.currentTop()
	if vi < a.idx || (vi == a.idx && a.off > 0) {
		m.follow = false
		m.top = anchor{idx: vi}
		return
	}
	lines := m.heightOf(a.idx) - a.off
	for i := a.idx + 1; i <= vi && lines <= h; i++ {
		lines += m.heightOf(i)
	}
	if lines <= h {
		return
	}
	m.follow = false
	hv := m.heightOf(vi)
	if hv >= h {
		m.top = anchor{idx: vi}
		return
	}
	need, i, off := h-hv, vi, 0
	for need > 0 && i > 0 {
		i--
		hh := m.heightOf(i)
		if hh >= need {
			off, need = hh-need, 0
		} else {
			need -= hh
		}
	}
	m.top = anchor{idx: i, off: off}
	m.resumeIfAtBottom()
}

// moveSelection moves the selection by d entries and scrolls to it.
func (m *Model) moveSelection(d int) {
	n := m.visLen()
	if n == 0 {
		return
	}
	cur := m.selected()
	next := min(max(cur+d, 0), n-1)
	if d < 0 {
		m.stopFollowing()
	}
	m.sel = next
	if d > 0 && next == n-1 {
		m.sel = -1 // back on the newest entry: keep tracking it
	}
	m.ensureVisible(next)
}

// selectedTool is the tool call the expand/open keys act on: the selected
// entry, or the nearest tool call above it.
func (m *Model) selectedTool() (*entry, int) {
	for i := m.selected(); i >= 0; i-- {
		if e := m.visEntry(i); e.kind == kindTool {
			return e, i
		}
	}
	return nil, -1
}
