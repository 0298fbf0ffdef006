package fleet

import (
	"errors"
	"fmt"
	"os"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/internal/termsafe"
	"github.com/tether-dev/tether/suite"
	"github.com/tether-dev/tether/ui"
	"github.com/tether-dev/tether/ui/eventlist"
)

// DefaultSuiteOutputRAM is how much of one tool call's output a case's
// event stream keeps in memory when SuiteOptions.MaxOutputRAM is 0: a
// suite may have hundreds of cases, each with many calls, so far less than
// a single session keeps. The rest goes to a spill file.
const DefaultSuiteOutputRAM = 16 << 10

// suiteLayout is where the list and the case pane are on screen.
type suiteLayout struct {
	side                       bool
	listW, listH               int
	paneX, paneY, paneW, paneH int
}

func (s *suiteView) layout() suiteLayout {
	bodyH := max(s.h-2, 0)
	if s.w >= sideMinW {
		// The event stream wants width: half the screen, the list keeping
		// at least 40 columns.
		dw := min(max(s.w/2, 36), s.w-40)
		return suiteLayout{side: true, listW: s.w - dw, listH: bodyH, paneX: s.w - dw, paneY: 1, paneW: dw, paneH: bodyH}
	}
	lh := min(max(len(s.cases)+2, 3), max(bodyH/2, 3), bodyH)
	return suiteLayout{listW: s.w, listH: lh, paneY: 1 + lh, paneW: s.w, paneH: max(bodyH-lh, 0)}
}

// stream is case id's event list, made on its first event.
func (s *suiteView) stream(id string) *eventlist.Model {
	if el := s.streams[id]; el != nil {
		return el
	}
	el := eventlist.New(eventlist.Options{
		NoColor: s.opts.NoColor, Light: s.light,
		SpillDir: s.spillDir(), MaxOutputRAM: s.maxRAM(),
	})
	s.streams[id] = el
	return el
}

func (s *suiteView) maxRAM() int64 {
	if s.opts.MaxOutputRAM > 0 {
		return s.opts.MaxOutputRAM
	}
	return DefaultSuiteOutputRAM
}

// spillDir is SuiteOptions.SpillDir, or a directory of the view's own that
// Close removes, so that an interrupted run leaves no spill files around.
func (s *suiteView) spillDir() string {
	if s.opts.SpillDir != "" {
		return s.opts.SpillDir
	}
	if s.tmpDir != "" {
		return s.tmpDir
	}
	d, err := os.MkdirTemp("", "tether-suite-")
	if err != nil {
		return "" // the lists fall back to the system temp dir
	}
	s.tmpDir = d
	return d
}

func (s *suiteView) appendEvents(batch []caseEvents) {
	for _, ce := range batch {
		el := s.stream(ce.id)
		for _, ev := range ce.evs {
			el.Append(ev)
		}
	}
}

// Close removes the event streams' spill files. Call it once the program
// has returned; the view stays readable for what is in memory.
func (v SuiteModel) Close() error {
	s := v.s
	var errs []error
	for _, el := range s.streams {
		if err := el.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.tmpDir != "" {
		if err := os.RemoveAll(s.tmpDir); err != nil {
			errs = append(errs, fmt.Errorf("remove the suite view's spill files: %w", err))
		}
	}
	return errors.Join(errs...)
}

// curStream is the selected case's event list when the pane shows it.
func (s *suiteView) curStream() *eventlist.Model {
	if s.details || s.cur >= len(s.cases) {
		return nil
	}
	return s.streams[s.cases[s.cur].st.ID]
}

// syncFocus gives the keyboard look to the shown stream while it has the
// keyboard, and takes it back from any other; with no stream to show the
// keyboard goes back to the list.
func (s *suiteView) syncFocus() {
	want := s.curStream()
	if want == nil {
		s.focus = false
	}
	if s.focused != nil && (s.focused != want || !s.focus) {
		s.focused.Blur()
		s.focused = nil
	}
	if s.focus && s.focused == nil {
		want.Focus()
		s.focused = want
	}
}

// toggleFocus moves the keyboard between the list and the case's stream.
func (s *suiteView) toggleFocus() {
	if s.focus {
		s.focus = false
		return
	}
	s.details = false
	if s.curStream() == nil {
		s.notice = "no agent events for this case yet"
		return
	}
	s.focus = true
}

// onStreamKey handles a key while the stream has the keyboard: everything
// goes to it but the keys that leave it, d, q and ctrl+c (while its search
// box or full-output view is open, all but ctrl+c).
func (s *suiteView) onStreamKey(el *eventlist.Model, msg tea.KeyPressMsg) tea.Cmd {
	ks := msg.String()
	if ks == "ctrl+c" {
		return s.onKey(ks)
	}
	if el.CapturingInput() {
		return el.Update(msg)
	}
	switch ks {
	case "tab", keyList, keyList2, "esc":
		s.notice = ""
		s.focus = false
		return nil
	case "d", "q", keyQuit:
		return s.onKey(ks)
	}
	s.notice = ""
	return el.Update(msg)
}

// onMouse scrolls the stream under the pointer or the list, and selects a
// case (or focuses the stream) with a click.
func (s *suiteView) onMouse(msg tea.MouseMsg) tea.Cmd {
	l := s.layout()
	m := msg.Mouse()
	inPane := m.X >= l.paneX && m.Y >= l.paneY
	if el := s.curStream(); inPane && el != nil {
		switch msg.(type) {
		case tea.MouseWheelMsg:
			return el.Update(shift(msg, l.paneX, l.paneY))
		case tea.MouseClickMsg:
			s.focus = true
		}
		return nil
	}
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		if msg.Button == tea.MouseWheelUp {
			s.move(-1)
		} else if msg.Button == tea.MouseWheelDown {
			s.move(1)
		}
	case tea.MouseClickMsg:
		rowsH := max(l.listH-2, 0)
		if !inPane && msg.Button == tea.MouseLeft && m.Y >= 2 && m.Y-2 < rowsH {
			if row := scrollTop(s.cur, rowsH) + m.Y - 2; row < len(s.cases) {
				s.cur, s.focus = row, false
			}
		}
	}
	return nil
}

// casePane is the selected case: in details mode its facts and timeline,
// otherwise a short summary above its live event stream.
func (s *suiteView) casePane(w, h int) []string {
	if h <= 0 {
		return nil
	}
	if s.cur >= len(s.cases) {
		return s.st.frame("case", nil, w, h, false)
	}
	if s.details {
		return s.detailPane(w, h)
	}
	c := s.cases[s.cur]
	title := termsafe.SanitizeLine(c.st.ID)
	if title == "" {
		title = "case"
	}
	body := s.paneSummary(c.st, max(w-2, 0))
	el := s.streams[c.st.ID]
	room := max(h-2-len(body), 0)
	if el == nil {
		body = append(body, s.st.faint.Render(" no agent events yet"))
		return s.st.frame(title, append(body, s.timelineRows(c, room-1)...), w, h, false)
	}
	if room > 0 {
		el.SetSize(max(w-2, 0), room)
		body = append(body, strings.Split(el.View(), "\n")...)
	}
	return s.st.frame(title, body, w, h, s.focus)
}

// paneSummary is the case's state, steps, cost and time on one line, and
// its checks (or what it is doing) on another.
func (s *suiteView) paneSummary(st suite.CaseStatus, w int) []string {
	sep := s.st.faint.Render(" · ")
	state := s.st.state(string(st.State), string(st.State))
	if st.AgentState != "" && !st.State.Done() {
		state += s.st.faint.Render(" (agent " + string(st.AgentState) + ")")
	}
	line := " " + strings.Join([]string{state, plural(st.Steps, "step", "steps"), caseCost(st), s.caseElapsed(st)}, sep)
	out := []string{ui.FitLine(line, w)}
	if r := st.Result; r != nil && len(r.Checks) > 0 {
		var parts []string
		for _, ch := range r.Checks {
			if ch.Passed {
				parts = append(parts, s.st.state("passed", "✓")+" "+termsafe.SanitizeLine(ch.Name))
				continue
			}
			p := s.st.state("failed", "✗") + " " + termsafe.SanitizeLine(ch.Name)
			if ch.Message != "" {
				p += ": " + termsafe.SanitizeLine(ch.Message)
			}
			parts = append(parts, p)
		}
		out = append(out, ui.FitLine(" "+s.st.faint.Render("checks")+" "+strings.Join(parts, "  "), w))
	} else if st.Detail != "" {
		out = append(out, ui.FitLine(" "+s.st.faint.Render(termsafe.SanitizeLine(st.Detail)), w))
	}
	return append(out, s.st.faint.Render(strings.Repeat("─", w)))
}

// timelineRows is the case's newest timeline entries that fit in n rows.
func (s *suiteView) timelineRows(c *caseView, n int) []string {
	if n <= 0 {
		return nil
	}
	tl := c.timeline
	if len(tl) > n {
		tl = tl[len(tl)-n:]
	}
	out := make([]string, 0, len(tl))
	for _, e := range tl {
		out = append(out, " "+s.st.faint.Render(fmt.Sprintf("%6s", fmtDuration(e.at)))+" "+e.text)
	}
	return out
}

// streamHints are the footer's keys while the stream has the keyboard.
func (s *suiteView) streamHints(el *eventlist.Model) string {
	k := func(key, what string) string { return s.st.bold.Render(key) + " " + s.st.faint.Render(what) }
	var parts []string
	if s.finished {
		parts = append(parts, s.st.bold.Render("finished"))
	}
	capturing := el.CapturingInput() // its search box or full view takes tab and d
	if !capturing {
		parts = append(parts, k("tab", "cases"))
	}
	for _, b := range el.ShortHelp() {
		h := b.Help()
		parts = append(parts, k(h.Key, h.Desc))
	}
	if !capturing {
		parts = append(parts, k("d", "details"))
	}
	return strings.Join(parts, "  ")
}
