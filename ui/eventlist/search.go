package eventlist

import (
	"bytes"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// searchState is the list's search: a query typed in a text input, jumps
// between matching entries, and an optional filter showing only them.
// Tool output is searched as far as it is in memory; the full-output view
// searches every line.
type searchState struct {
	input  textinput.Model
	typing bool
	query  string
	note   string // one-line feedback ("no match", ...)

	filterOn      bool
	filtered      []int // entry indices that match
	filterChecked int   // entries before this are finished and decided
	decided       int   // len(filtered) for the decided entries
}

func (m *Model) openSearch() tea.Cmd {
	m.search.typing = true
	m.search.input.SetValue(m.search.query)
	m.search.input.CursorEnd()
	return m.search.input.Focus()
}

func (m *Model) updateSearchInput(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		m.search.typing = false
		m.search.input.Blur()
		return nil
	case "enter":
		m.search.typing = false
		m.search.input.Blur()
		m.search.query = m.search.input.Value()
		if m.search.filterOn {
			m.resetFilter()
		}
		m.jumpMatch(0)
		return nil
	}
	var cmd tea.Cmd
	m.search.input, cmd = m.search.input.Update(msg)
	return cmd
}

// jumpMatch selects the next matching entry below (dir 1) or above (dir -1)
// the selection, wrapping around; dir 0 picks the nearest at or above it,
// the most recent match when following.
func (m *Model) jumpMatch(dir int) {
	q := newMatcher(m.search.query)
	if q.empty() {
		m.search.note = "no search yet: press / to search"
		return
	}
	n := m.visLen()
	if n == 0 {
		return
	}
	start := m.selected()
	step := dir
	if dir == 0 {
		step = -1
		start++ // include the selection itself
	}
	for k := 1; k <= n; k++ {
		i := ((start+step*k)%n + n) % n
		if q.entry(m.visEntry(i)) {
			// The note first: it takes a row, which ensureVisible must know.
			m.search.note = fmt.Sprintf("/%s", m.search.query)
			if (step > 0 && i <= start) || (step < 0 && i >= start) {
				m.search.note += " (wrapped)"
			}
			m.stopFollowing()
			m.sel = i
			m.ensureVisible(i)
			m.revealMatch(i, q)
			return
		}
	}
	m.search.note = fmt.Sprintf("no match for %q", m.search.query)
}

func (m *Model) toggleFilter() {
	if m.search.filterOn {
		sel := m.selected()
		under := -1
		if sel >= 0 {
			under = m.search.filtered[sel]
		}
		m.search.filterOn = false
		if under >= 0 {
			m.sel = under
			m.follow = false
			m.top = anchor{idx: under}
		}
		return
	}
	if strings.TrimSpace(m.search.query) == "" {
		m.search.note = "search first (/), then ctrl+f shows only the matches"
		return
	}
	m.search.filterOn = true
	m.resetFilter()
	m.Follow()
}

func (m *Model) resetFilter() {
	m.search.filtered = m.search.filtered[:0]
	m.search.filterChecked, m.search.decided = 0, 0
	m.refreshFilter()
}

// refreshFilter brings the filtered list up to date. Finished entries are
// decided once; only the entries from the first unfinished one on are
// checked again, so the cost per frame does not grow with the session.
func (m *Model) refreshFilter() {
	s := &m.search
	if !s.filterOn {
		return
	}
	q := newMatcher(s.query)
	s.filtered = s.filtered[:s.decided]
	i := s.filterChecked
	for ; i < len(m.entries) && m.entries[i].done; i++ {
		if q.entry(m.entries[i]) {
			s.filtered = append(s.filtered, i)
		}
	}
	s.filterChecked, s.decided = i, len(s.filtered)
	for ; i < len(m.entries); i++ {
		if q.entry(m.entries[i]) {
			s.filtered = append(s.filtered, i)
		}
	}
	if m.sel >= len(s.filtered) {
		m.sel = -1
	}
}

// matcher is a smart-case substring search: case-insensitive (ASCII) when
// the query is all lower case.
type matcher struct {
	q    string
	fold bool
}

func newMatcher(q string) matcher {
	return matcher{q: q, fold: q == strings.ToLower(q)}
}

func (q matcher) empty() bool { return q.q == "" }

func (q matcher) in(s string) bool {
	if !q.fold {
		return strings.Contains(s, q.q)
	}
	return indexFold(s, q.q) >= 0
}

func (q matcher) inBytes(b []byte) bool {
	// The live lines of a lineBuf are contiguous; one pass covers them.
	if !q.fold {
		return bytes.Contains(b, []byte(q.q))
	}
	return indexFold(b, q.q) >= 0
}

// entry reports whether e's text, command, diff or in-memory output
// contains the query.
func (q matcher) entry(e *entry) bool {
	if q.in(e.text.String()) {
		return true
	}
	if a := e.act; a != nil && (q.in(a.Command) || q.in(a.Summary) || q.in(a.Tool) || q.in(string(a.Args))) {
		return true
	}
	if o := e.obs; o != nil && len(e.diff) == 0 && e.out == nil && q.in(o.Content) {
		return true
	}
	for _, l := range e.diff {
		if q.in(l) {
			return true
		}
	}
	if o := e.out; o != nil {
		if q.inBytes(o.head.liveBytes()) || q.inBytes(o.tail.liveBytes()) {
			return true
		}
		if len(o.partial) > 0 && q.in(o.partialLine()) {
			return true
		}
	}
	return false
}

// indexFold finds needle (lower case) in s ignoring ASCII case, without
// allocating.
func indexFold[S ~string | ~[]byte](s S, needle string) int {
	n := len(needle)
	if n == 0 {
		return 0
	}
	c0 := needle[0]
	for i := 0; i+n <= len(s); i++ {
		if lower(s[i]) != c0 {
			continue
		}
		j := 1
		for j < n && lower(s[i+j]) == needle[j] {
			j++
		}
		if j == n {
			return i
		}
	}
	return -1
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
