package ui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"

	"github.com/tether-dev/tether/session"
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
	ld := lipgloss.LightDark(isDark)
	c := func(light, dark string) color.Color {
		if noColor {
			return lipgloss.NoColor{}
		}
		return ld(lipgloss.Color(light), lipgloss.Color(dark))
	}
	accent := c("#5A3FC0", "#A48BFF")
	muted := c("#6C6C6C", "#8A8A8A")
	warn := c("#B35C00", "#FFB454")
	bad := c("#C0262D", "#FF6B6B")
	good := c("#1E7F3C", "#5FD787")
	info := c("#0B6BCB", "#6CB6FF")

	s := styles{noColor: noColor}
	s.title = lipgloss.NewStyle().Bold(true).Foreground(accent)
	s.label = lipgloss.NewStyle().Foreground(muted)
	s.value = lipgloss.NewStyle()
	s.faint = lipgloss.NewStyle().Foreground(muted)
	if noColor {
		s.faint = s.faint.Faint(true)
	}
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
	s.stateColors = map[string]color.Color{
		// session states
		string(session.StateIdle):      muted,
		string(session.StateRunning):   info,
		string(session.StatePaused):    warn,
		string(session.StateWaiting):   warn,
		string(session.StateFinished):  good,
		string(session.StateError):     bad,
		string(session.StateStuck):     bad,
		string(session.StateCancelled): warn,
		// sandbox states
		"creating":   info,
		"starting":   info,
		"started":    good,
		"stopping":   warn,
		"stopped":    warn,
		"destroying": warn,
		"destroyed":  muted,
		"deleted":    muted,
	}
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
