package ui

import (
	"image/color"

	"github.com/tether-dev/tether/ui/theme"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// styles is every style the shell uses, built for one palette (light or
// dark) or with no colour at all (NO_COLOR).
type styles struct {
	noColor bool

	title, label, value, faint, bold lipgloss.Style
	paneBorder, paneBorderFocus      lipgloss.Style
	statusBar, statusKey             lipgloss.Style
	banner, notice, errorText        lipgloss.Style
	approvalBorder, approvalTitle    lipgloss.Style
	keyHint                          lipgloss.Style
	stateColors                      map[string]color.Color
	help                             help.Styles
}

func newStyles(isDark, noColor bool) styles {
	p := theme.New(isDark, noColor)
	accent, muted, warn, bad, info := p.Accent, p.Muted, p.Warn, p.Bad, p.Info

	s := styles{noColor: noColor}
	s.title = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.label = lipgloss.NewStyle().Foreground(muted)
	s.value = lipgloss.NewStyle()
	s.faint = p.Faint()
	s.bold = lipgloss.NewStyle().Bold(true)
	s.paneBorder = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(muted)
	s.paneBorderFocus = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(accent)
	s.statusBar = lipgloss.NewStyle()
	s.statusKey = lipgloss.NewStyle().Bold(true)
	s.banner = lipgloss.NewStyle().Bold(true).Foreground(warn)
	s.notice = lipgloss.NewStyle().Foreground(info)
	s.errorText = lipgloss.NewStyle().Bold(true).Foreground(bad)
	s.approvalBorder = lipgloss.NewStyle().Border(lipgloss.ThickBorder()).BorderForeground(warn)
	s.approvalTitle = lipgloss.NewStyle().Bold(true).Foreground(warn)
	s.keyHint = lipgloss.NewStyle().Foreground(muted)
	s.stateColors = p.StateColors()
	if noColor {
		s.help = help.Styles{}
	} else {
		s.help = help.DefaultStyles(isDark)
	}
	return s
}

// state renders a state name in its colour (bold, so NO_COLOR still marks it).
func (s styles) state(name string) string { return s.stateAs(name, name) }

// stateAs renders label in the colour of state name.
func (s styles) stateAs(name, label string) string {
	st := lipgloss.NewStyle().Bold(true)
	if col, ok := s.stateColors[name]; ok {
		st = st.Foreground(col)
	}
	return st.Render(label)
}
