package fleet

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/suite"
	"github.com/tether-dev/tether/ui"
)

// View implements tea.Model: a header line, the case list beside (or, on
// narrow screens, above) the selected case's details, and a footer line.
func (v SuiteModel) View() tea.View {
	s := v.s
	view := tea.View{AltScreen: true, MouseMode: tea.MouseModeCellMotion}
	view.WindowTitle = "tether suite · " + termsafe.SanitizeLine(s.opts.Name)
	if s.w <= 0 || s.h <= 0 {
		return view
	}
	lines := []string{ui.FitLine(s.header(), s.w)}
	l := s.layout()
	list := s.listPane(l.listW, l.listH)
	pane := s.casePane(l.paneW, l.paneH)
	if l.side {
		for i := range l.listH {
			lines = append(lines, list[i]+pane[i])
		}
	} else {
		lines = append(lines, list...)
		lines = append(lines, pane...)
	}
	if s.h >= 2 {
		lines = append(lines, ui.FitLine(s.footer(), s.w))
	}
	view.SetContent(strings.Join(ui.FitLines(lines, s.w, s.h), "\n"))
	return view
}

func (s *suiteView) now() time.Time { return s.opts.now() }

func (s *suiteView) header() string {
	counts := map[suite.CaseState]int{}
	cost, known, unknown := 0.0, false, false
	for _, c := range s.cases {
		if !c.seen {
			continue
		}
		counts[c.st.State]++
		if c.st.LLMCalls > 0 && !c.st.CostKnown {
			unknown = true
		} else if c.st.LLMCalls > 0 {
			cost, known = cost+c.st.CostUSD, true
		}
	}
	type part struct {
		text string
		prio int // higher stays longer when the line does not fit
	}
	parts := []part{{s.st.bold.Render("suite " + termsafe.SanitizeLine(s.opts.Name)), 9}, {plural(len(s.cases), "case", "cases"), 2}}
	live := 0
	for _, st := range []suite.CaseState{suite.StateCreating, suite.StateSetup, suite.StateRunning, suite.StateChecking, suite.StateCleanup} {
		live += counts[st]
	}
	if live > 0 {
		parts = append(parts, part{s.st.state("running", fmt.Sprintf("%d running", live)), 8})
	}
	prio := map[suite.CaseState]int{suite.StateQueued: 3, suite.StatePassed: 6, suite.StateFailed: 7, suite.StateError: 7, suite.StateCancelled: 6}
	for _, st := range []suite.CaseState{suite.StateQueued, suite.StatePassed, suite.StateFailed, suite.StateError, suite.StateCancelled} {
		if n := counts[st]; n > 0 {
			parts = append(parts, part{s.st.state(string(st), fmt.Sprintf("%d %s", n, st)), prio[st]})
		}
	}
	// Unknown is not zero: a sum over some cases says what it leaves out.
	c := fmt.Sprintf("$%.4f", cost)
	switch {
	case unknown && known:
		c += " + unknown"
	case unknown:
		c = "cost unknown"
	}
	elapsed := s.now().Sub(s.start)
	if s.finished && s.report != nil {
		elapsed = s.report.Duration
	}
	parts = append(parts, part{c, 5}, part{fmtDuration(max(elapsed, 0)), 4})
	sep := s.st.faint.Render(" · ")
	for {
		texts := make([]string, len(parts))
		for i, p := range parts {
			texts[i] = p.text
		}
		line := strings.Join(texts, sep)
		if len(parts) == 1 || ansi.StringWidth(line) <= s.w {
			return line
		}
		low := 1
		for i := range parts {
			if parts[i].prio < parts[low].prio {
				low = i
			}
		}
		parts = append(parts[:low], parts[low+1:]...)
	}
}

func (s *suiteView) footer() string {
	k := func(key, what string) string { return s.st.bold.Render(key) + " " + s.st.faint.Render(what) }
	switch {
	case s.notice != "":
		return s.st.notice.Render(s.notice)
	case s.finished && s.err != nil && !s.cancelled:
		return s.st.errorText.Render(termsafe.SanitizeLine(s.err.Error())) + "  " + k("q", "exit")
	case s.finished && s.cancelled:
		return s.st.notice.Render("cancelled; every sandbox is cleaned up") + "  " + k("q", "exit")
	case s.cancelled && !s.finished:
		n := 0
		for _, c := range s.cases {
			if c.seen && !c.st.State.Done() && c.st.State != suite.StateQueued {
				n++
			}
		}
		return s.st.state("cancelled", "cancelling: "+plural(n, "case", "cases")+" cleaning up…") + "  " + k("ctrl+c", "twice more leaves the view")
	case s.focus && s.curStream() != nil:
		return s.streamHints(s.curStream())
	case s.finished:
		return s.st.bold.Render("finished") + "  " + k("j/k", "select") + "  " + s.paneHints() + "  " + k("q/enter", "exit (the summary is printed after)")
	}
	return k("j/k", "select") + "  " + s.paneHints() + "  " + k("ctrl+c", "cancel the suite")
}

// paneHints are the keys that change what the case pane shows.
func (s *suiteView) paneHints() string {
	k := func(key, what string) string { return s.st.bold.Render(key) + " " + s.st.faint.Render(what) }
	if s.details {
		return k("d", "events")
	}
	return k("tab", "events") + "  " + k("d", "details")
}

func caseIcon(st suite.CaseState) string {
	switch st {
	case suite.StateQueued:
		return "·"
	case suite.StateCreating, suite.StateSetup, suite.StateCleanup:
		return "◌"
	case suite.StateChecking:
		return "◎"
	case suite.StatePassed:
		return "✓"
	case suite.StateFailed:
		return "✗"
	case suite.StateError:
		return "!"
	case suite.StateCancelled:
		return "■"
	}
	return "●"
}

// listPane is one line per case: exactly w×h.
func (s *suiteView) listPane(w, h int) []string {
	title := "cases"
	if len(s.cases) > 0 {
		title += fmt.Sprintf(" %d/%d", s.cur+1, len(s.cases))
	}
	inner := max(w-2, 0)
	idW := 4
	for _, c := range s.cases {
		idW = max(idW, len([]rune(termsafe.SanitizeLine(c.st.ID))))
	}
	idW = min(idW, max(inner/3, 12))
	rowsH := max(h-2, 0)
	var rows []string
	for i := scrollTop(s.cur, rowsH); i < len(s.cases) && len(rows) < rowsH; i++ {
		rows = append(rows, s.caseRow(i, idW, inner))
	}
	if len(s.cases) == 0 {
		rows = append(rows, s.st.faint.Render(" waiting for the suite to start…"))
	}
	return s.st.frame(title, rows, w, h, !s.focus)
}

func (s *suiteView) caseRow(i, idW, w int) string {
	c := s.cases[i]
	st := c.st
	mark := "  "
	if i == s.cur {
		mark = "▸ "
	}
	id := ui.FitLine(termsafe.SanitizeLine(st.ID), idW)
	if i == s.cur {
		id = s.st.selected.Render(id)
	}
	state := st.State
	if !c.seen {
		state = suite.StateQueued
	}
	cols := []string{
		mark + s.st.state(string(state), caseIcon(state)) + " " + id,
		ui.FitLine(s.st.state(string(state), string(state)), 9),
		ui.FitLine(plural(st.Steps, "step", "steps"), 8),
		ui.FitLine(caseCost(st), 12),
		ui.FitLine(s.caseElapsed(st), 6),
	}
	if st.LastAction != "" {
		cols = append(cols, s.st.faint.Render(termsafe.SanitizeLine(st.LastAction)))
	} else if st.Detail != "" && !state.Done() {
		cols = append(cols, s.st.faint.Render(termsafe.SanitizeLine(st.Detail)))
	}
	return ui.FitLine(strings.Join(cols, " "), w)
}

func caseCost(st suite.CaseStatus) string {
	return fmtCost(st.CostUSD, st.CostKnown, st.LLMCalls > 0)
}

// caseElapsed ticks while the case runs; once it is done it is the time
// the last update gave.
func (s *suiteView) caseElapsed(st suite.CaseStatus) string {
	switch {
	case st.Started.IsZero():
		return "–"
	case st.State.Done() || s.finished:
		return fmtDuration(st.Elapsed)
	}
	return fmtDuration(max(s.now().Sub(st.Started), st.Elapsed))
}

// detailPane is the selected case: its facts, then its timeline (the
// latest entries that fit).
func (s *suiteView) detailPane(w, h int) []string {
	if h <= 0 {
		return nil
	}
	if s.cur >= len(s.cases) {
		return s.st.frame("case", nil, w, h, false)
	}
	c := s.cases[s.cur]
	st := c.st
	san := termsafe.SanitizeLine
	row := func(label, value string) string {
		return " " + s.st.faint.Render(fmt.Sprintf("%-8s", label)) + " " + value
	}
	state := string(st.State)
	if st.AgentState != "" && !st.State.Done() {
		state += s.st.faint.Render(" · agent " + string(st.AgentState))
	}
	body := []string{row("state", s.st.state(string(st.State), state))}
	if st.Detail != "" {
		body = append(body, row("detail", san(st.Detail)))
	}
	if st.Model != "" {
		body = append(body, row("model", san(st.Model)))
	}
	sb := san(st.SandboxID)
	if sb == "" {
		sb = "–"
	}
	body = append(body,
		row("sandbox", sb),
		row("steps", fmt.Sprintf("%s · %s · %d tokens", plural(st.Steps, "step", "steps"), plural(st.LLMCalls, "LLM call", "LLM calls"), st.Tokens)),
		row("cost", caseCost(st)),
		row("elapsed", s.caseElapsed(st)),
	)
	if r := st.Result; r != nil {
		for _, ch := range r.Checks {
			mark := s.st.state("passed", "✓")
			line := san(ch.Name)
			if !ch.Passed {
				mark = s.st.state("failed", "✗")
				if ch.Message != "" {
					line += ": " + san(ch.Message)
				}
			}
			body = append(body, row("check", mark+" "+line))
		}
		if r.RecordPath != "" {
			body = append(body, row("record", san(r.RecordPath)))
		}
	}
	body = append(body, "", " "+s.st.bold.Render("timeline"))
	room := max(h-2-len(body), 0)
	tl := c.timeline
	if len(tl) > room {
		tl = tl[len(tl)-room:]
	}
	for _, e := range tl {
		body = append(body, " "+s.st.faint.Render(fmt.Sprintf("%6s", fmtDuration(e.at)))+" "+e.text)
	}
	title := san(st.ID)
	if title == "" {
		title = "case"
	}
	return s.st.frame(title, body, w, h, false)
}
