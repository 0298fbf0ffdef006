package fleet

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/transcript"
	"github.com/tether-dev/tether/ui"
)

// compareView shows two sessions side by side in the session area:
// status, steps, tokens, cost, time, final message, and how their
// workspace files differ.
type compareView struct {
	a, b   string // the sessions' names
	cmp    transcript.Comparison
	scroll int
}

type compareMsg struct {
	a, b string
	cmp  transcript.Comparison
	err  error
}

// compareSelected compares the session under the cursor with the one it
// was forked from, else with the session before it in the list.
func (f *fleet) compareSelected() tea.Cmd {
	s := f.focused()
	if s == nil || len(f.sess) < 2 {
		f.setNotice("compare needs two sessions: fork one (F in its stream) or start another (ctrl+n)", true)
		return nil
	}
	if f.opts.Compare == nil {
		f.setNotice("compare is not available here", true)
		return nil
	}
	other := f.byID(s.parent)
	if other == nil {
		i := f.cur - 1
		if i < 0 {
			i = 1
		}
		other = f.sess[i]
	}
	mk, a, b := f.opts.Compare, other, s
	f.setNotice("comparing "+a.name+" with "+b.name+"…", false)
	return func() tea.Msg {
		cmp, err := mk(a.eng, b.eng)
		return compareMsg{a: a.name, b: b.name, cmp: cmp, err: err}
	}
}

func (f *fleet) onCompare(msg compareMsg) tea.Cmd {
	if msg.err != nil {
		f.setNotice("compare: "+msg.err.Error(), true)
		return nil
	}
	f.setNotice("", false)
	f.compare = &compareView{a: msg.a, b: msg.b, cmp: msg.cmp}
	return nil
}

// onCompareKey scrolls the comparison; esc, q or c closes it.
func (f *fleet) onCompareKey(ks string) tea.Cmd {
	c := f.compare
	switch ks {
	case "esc", "q", "c":
		f.compare = nil
	case "down", "j":
		c.scroll++
	case "up", "k":
		c.scroll = max(c.scroll-1, 0)
	case "pgdown", "space":
		c.scroll += 10
	case "pgup", "b":
		c.scroll = max(c.scroll-10, 0)
	case "home", "g":
		c.scroll = 0
	}
	return nil
}

// compareLines renders the comparison to w×h.
func (f *fleet) compareLines(w, h int) []string {
	c := f.compare
	inner := max(w-2, 10)
	labelW := 14
	colW := max((inner-labelW-2)/2, 8)
	cell := func(s string, n int) string {
		s = termsafe.SanitizeLine(s)
		if ansi.StringWidth(s) > n {
			s = ansi.Truncate(s, n-1, "") + "…"
		}
		return s + strings.Repeat(" ", max(n-ansi.StringWidth(s), 0))
	}
	body := []string{
		f.st.bold.Render(cell("", labelW) + " " + cell("A "+c.a, colW) + " " + cell("B "+c.b, colW)),
	}
	for _, r := range c.cmp.Rows(nil) {
		line := f.st.faint.Render(cell(r[0], labelW)) + " " + cell(r[1], colW) + " " + cell(r[2], colW)
		if r[1] != r[2] && r[0] != "recording" {
			line = f.st.faint.Render(cell(r[0], labelW)) + " " + f.st.bold.Render(cell(r[1], colW)) + " " + f.st.bold.Render(cell(r[2], colW))
		}
		body = append(body, line)
	}
	d := c.cmp.Files
	body = append(body, "", cell(d.FilesLine(), inner))
	for _, l := range []struct {
		what  string
		names []string
	}{{"only in A", d.OnlyA}, {"only in B", d.OnlyB}, {"changed", d.Changed}} {
		for _, n := range l.names {
			body = append(body, cell(fmt.Sprintf("  %-9s  %s", l.what, n), inner))
		}
	}
	if d.Diff != "" {
		body = append(body, "")
		for _, l := range strings.Split(strings.TrimRight(termsafe.Sanitize(d.Diff), "\n"), "\n") {
			body = append(body, cell(l, inner))
		}
	}
	avail := max(h-3, 1)
	c.scroll = min(c.scroll, max(len(body)-avail, 0))
	body = body[c.scroll:]
	body = ui.FitLines(body, inner, avail)
	body = append(body, f.st.faint.Render(cell("j/k scroll · esc close", inner)))
	return f.st.frame("compare "+c.a+" ↔ "+c.b, body, w, h, true)
}
