package eventlist

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/alecthomas/chroma/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/internal/termsafe"
)

// How much of an output a collapsed tool call shows.
const (
	runningTail   = 8  // newest lines while it runs
	doneHead      = 4  // first lines once finished
	doneTail      = 4  // last lines once finished
	collapsedDiff = 16 // diff lines before "… more"
)

const gutterWidth = 2 // selection marker + space

// contentWidth is the width entries are rendered at.
func (m *Model) contentWidth() int { return max(m.width-gutterWidth, 1) }

func (m *Model) expanded(e *entry) bool { return e.expanded || m.expandAll }

// lines returns e's render at the current width, from cache when nothing
// changed since.
func (m *Model) lines(e *entry) []string {
	w := m.contentWidth()
	exp := m.expanded(e)
	c := &e.cache
	if c.ok && c.width == w && c.version == e.version && c.expanded == exp && c.gen == m.styleGen && (!c.approx || m.dragging) {
		return c.lines
	}
	m.reflowed = false
	lines := m.render(e, w)
	c.ok, c.width, c.version, c.expanded, c.gen, c.lines = true, w, e.version, exp, m.styleGen, lines
	c.approx = m.reflowed
	m.remember(e)
	return lines
}

// remember puts e in the render LRU (a clock ring), evicting the render
// of whichever entry held the slot, so cached renders stay bounded however
// long the session.
func (m *Model) remember(e *entry) {
	if e.cache.slot >= 0 {
		return
	}
	if len(m.lru) < cap(m.lru) {
		e.cache.slot = len(m.lru)
		m.lru = append(m.lru, e)
		return
	}
	old := m.lru[m.lruNext]
	old.cache = renderCache{slot: -1}
	m.lru[m.lruNext] = e
	e.cache.slot = m.lruNext
	m.lruNext = (m.lruNext + 1) % len(m.lru)
}

func (m *Model) render(e *entry, w int) []string {
	st := &m.pal
	switch e.kind {
	case kindUser:
		return append([]string{""}, prefixed(wrap(termsafe.Sanitize(strings.TrimSpace(e.text.String())), w-2), "› ", "  ", st.User)...)
	case kindAssistant:
		return m.renderAssistant(e, w)
	case kindError:
		label := "✗ error: "
		if e.fatal {
			label = "✗ run stopped: " // the run, not tether: a new prompt still works
		}
		// Continuation rows are indented: wrap narrower so they still fit.
		return prefixed(wrap(label+termsafe.Sanitize(e.text.String()), w-2), "", "  ", st.Error)
	case kindState, kindUsage, kindSandbox, kindNote:
		if e.restore != nil {
			return m.renderRestore(e, w)
		}
		return prefixed(wrap(termsafe.Sanitize(e.text.String()), w-2), "· ", "  ", st.Dim)
	case kindTool:
		return m.renderTool(e, w)
	case kindReasoning:
		return m.renderReasoning(e, w)
	}
	return nil
}

func (m *Model) renderTool(e *entry, w int) []string {
	st := &m.pal
	icon, head := toolTitle(e)
	status, statusStyle := m.toolStatus(e)
	// Continuation rows are indented past the icon, so a wrapped "| sort"
	// cannot pass for a line of output.
	rows := wrap(icon+head, w-2)
	// "(you)" marks the user's own !command; it belongs to the command,
	// before the result badge.
	you := ""
	switch {
	case e.act != nil && e.act.Direct:
		you = " (you)"
	case e.act != nil && e.act.Edited:
		you = " (edited by you)"
	}
	out := make([]string, 0, len(rows)+12)
	for i, r := range rows {
		if i > 0 {
			r = "  " + r
		}
		line := st.Command.on(r)
		if i < len(rows)-1 {
			out = append(out, line)
			continue
		}
		used := ansi.StringWidth(r)
		if you != "" && used+len(you) <= w {
			line += st.Dim.on(you)
			used += len(you)
		}
		if status != "" {
			if used+1+ansi.StringWidth(status) <= w {
				line += " " + statusStyle.on(status)
			} else {
				out = append(out, line)
				line = "  " + statusStyle.on(fit(status, w-2))
			}
		}
		out = append(out, line)
	}
	if e.obs != nil && e.obs.Rejected {
		reason := rejectReason(e.obs.Content)
		if reason != "" {
			out = append(out, styleAll(wrap("  reason: "+termsafe.Sanitize(reason), w), st.Rejected)...)
		}
		return out
	}
	if len(e.diff) > 0 {
		out = m.renderDiff(out, e, w)
	}
	if e.out != nil && e.out.lines() > 0 {
		out = m.renderOutput(out, e, w)
	}
	if e.obs != nil && e.obs.FullOutputPath != "" {
		// The path is there to be copied: wrap it (at its slashes), never cut it.
		note := "full output in the sandbox: " + termsafe.SanitizeLine(e.obs.FullOutputPath)
		out = append(out, prefixed(strings.Split(ansi.Wrap(note, max(w-2, 1), " /"), "\n"), "  ", "  ", st.Dim)...)
	}
	return out
}

func (m *Model) renderDiff(out []string, e *entry, w int) []string {
	st := &m.pal
	n := len(e.diff)
	show := n
	if !m.expanded(e) && n > collapsedDiff+1 {
		show = collapsedDiff
	}
	var lex chroma.Lexer
	if m.st.OutputColors == OutputFull {
		lex = diffLexer(e.diff)
	}
	for _, l := range e.diff[:show] {
		if m.st.OutputColors == OutputFull && l != "" && strings.IndexByte("+- ", l[0]) >= 0 &&
			!strings.HasPrefix(l, "+++ ") && !strings.HasPrefix(l, "--- ") {
			out = append(out, m.gutterOut+fit(m.styled(l, diffLineSpans(lex, l, m.opts.Light)), w-2))
			continue
		}
		s := st.Output
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
			s = st.DiffFile
		case strings.HasPrefix(l, "+"):
			s = st.DiffAdd
		case strings.HasPrefix(l, "-"):
			s = st.DiffDel
		case strings.HasPrefix(l, "@@"):
			s = st.DiffHunk
		}
		out = append(out, m.gutterOut+s.on(fit(l, w-2)))
	}
	if show < n {
		out = append(out, m.gutterOut+st.Dim.on(fit(fmt.Sprintf("… %d more diff lines (%s to expand)", n-show, m.keys.Toggle.Help().Key), w-2)))
	}
	return out
}

func (m *Model) renderOutput(out []string, e *entry, w int) []string {
	o := e.out
	total := o.lines()
	line := func(i int) {
		out = append(out, m.outLine(o.ramLine(i), o.lineSpans(i), w))
	}
	more := func(n int, hint string) {
		out = append(out, m.gutterOut+m.pal.Dim.on(fit(fmt.Sprintf("… %d more lines (%s)", n, hint), w-2)))
	}
	switch {
	case m.expanded(e):
		for i := 0; i < o.head.len(); i++ {
			line(i)
		}
		if d := o.dropped(); d > 0 {
			more(d, "enter: full output")
		}
		for i := o.tailStart(); i < total; i++ {
			if i >= o.head.len() {
				line(i)
			}
		}
	case !e.done:
		from := max(total-runningTail, 0)
		if from > 0 {
			more(from, m.keys.Toggle.Help().Key+" to expand")
		}
		for i := from; i < total; i++ {
			if o.inRAM(i) {
				line(i)
			}
		}
	case total <= doneHead+doneTail+1:
		for i := 0; i < total; i++ {
			line(i)
		}
	default:
		for i := 0; i < doneHead; i++ {
			line(i)
		}
		hidden := total - doneHead - doneTail
		how := m.keys.Toggle.Help().Key + " to expand"
		if hidden > hugeOutputLines {
			// Thousands of lines inline would bury the rest of the list.
			how = "enter: full output"
		}
		more(hidden, how)
		for i := total - doneTail; i < total; i++ {
			if o.inRAM(i) {
				line(i)
			}
		}
	}
	return out
}

// hugeOutputLines is how many hidden lines make the full view, not expanding in
// place, the better way to read an output.
const hugeOutputLines = 500

func (m *Model) outLine(s string, spans []termsafe.Span, w int) string {
	if len(spans) > 0 && m.st.OutputColors != OutputPlain {
		return m.gutterOut + fit(m.styled(s, spans), w-2)
	}
	s = fit(s, w-2)
	if !m.plainOut {
		s = m.pal.Output.on(s)
	}
	return m.gutterOut + s
}

// toolTitle is the symbol and one-line description of a tool call.
func toolTitle(e *entry) (icon, head string) {
	a := e.act
	if a == nil {
		name := "tool"
		if e.obs != nil && e.obs.Tool != "" {
			name = e.obs.Tool
		}
		return "⚙ ", termsafe.SanitizeLine(name)
	}
	switch {
	case a.Command != "":
		// Multi-line commands (heredocs) keep their lines.
		return "$ ", termsafe.Sanitize(strings.TrimRight(a.Command, "\n"))
	case a.Tool == "terminal":
		return "$ ", compactArgs(a.Args)
	case a.Tool == "file_editor":
		if a.Summary != "" {
			return "✎ ", termsafe.SanitizeLine(a.Summary)
		}
		return "✎ ", compactArgs(a.Args)
	}
	desc := a.Summary
	if desc == "" {
		desc = compactArgs(a.Args)
	} else {
		desc = termsafe.SanitizeLine(desc)
	}
	return "⚙ ", withTool(termsafe.SanitizeLine(a.Tool), desc)
}

// compactArgs is the arguments as one line of compact JSON, shortened.
func compactArgs(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		b.Reset()
		b.Write(raw)
	}
	s := termsafe.SanitizeLine(b.String())
	if len(s) > 300 {
		s = s[:cutUTF8(s, 300)] + "…"
	}
	return s
}

// toolStatus is the result badge of a tool call and its style.
func (m *Model) toolStatus(e *entry) (string, paint) {
	o, st := e.obs, &m.pal
	switch {
	case e.pending:
		return "⏸ awaiting approval", st.Pending
	case e.queued && o == nil && !e.done:
		return "· pending", st.Dim
	case o == nil && !e.done:
		return "⋯ running", st.Running
	case o == nil:
		return "· no result", st.Dim
	case o.Rejected:
		return "⊘ rejected", st.Rejected
	case o.NotRun:
		return "⊘ cancelled, not run", st.Rejected
	case o.Running:
		return "⋯ still running · " + fmtDuration(o.Duration), st.Running
	case o.TimedOut:
		return "✗ timed out · " + fmtDuration(o.Duration), st.Fail
	case o.Interrupted && o.ExitCode != nil:
		return "■ interrupted · " + fmtDuration(o.Duration), st.Fail
	case o.ExitCode != nil && *o.ExitCode != 0:
		return fmt.Sprintf("✗ exit %d · %s", *o.ExitCode, fmtDuration(o.Duration)), st.Fail
	case o.IsError:
		return "✗ failed · " + fmtDuration(o.Duration), st.Fail
	}
	return "✓ " + fmtDuration(o.Duration), st.OK
}

func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// wrap word-wraps sanitized text to w cells (long words are broken).
func wrap(s string, w int) []string {
	w = max(w, 1)
	return strings.Split(ansi.Wrap(s, w, ""), "\n")
}

func prefixed(rows []string, first, rest string, st paint) []string {
	for i, r := range rows {
		p := rest
		if i == 0 {
			p = first
		}
		rows[i] = st.on(p + r)
	}
	return rows
}

func styleAll(rows []string, st paint) []string {
	for i, r := range rows {
		rows[i] = st.on(r)
	}
	return rows
}

// fit truncates s to w cells with an ellipsis. Display width never exceeds
// byte length, so short strings skip measuring.
func fit(s string, w int) string {
	if len(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

func splitSanitized(s string) []string {
	s = strings.TrimRight(termsafe.Sanitize(s), "\n")
	return strings.Split(s, "\n")
}
