package fleet

import (
	"image/color"

	"github.com/tether-dev/tether/ui/theme"

	"charm.land/lipgloss/v2"
)

// styles is the little the fleet draws itself; the sessions' screens bring
// their own.
type styles struct {
	noColor                bool
	faint, bold, errorText lipgloss.Style
	notice, selected       lipgloss.Style
	border, borderFocus    color.Color
	stateColors            map[string]color.Color
}

func newStyles(isDark, noColor bool) styles {
	p := theme.New(isDark, noColor)
	accent, muted, bad, info := p.Accent, p.Muted, p.Bad, p.Info
	s := styles{noColor: noColor, border: muted, borderFocus: accent}
	s.faint = p.Faint()
	s.bold = lipgloss.NewStyle().Bold(true)
	s.errorText = lipgloss.NewStyle().Bold(true).Foreground(bad)
	s.notice = lipgloss.NewStyle().Foreground(info)
	// Reverse video marks the selected row without colour too.
	s.selected = lipgloss.NewStyle().Reverse(true)
	s.stateColors = p.StateColors()
	return s
}

// state renders label in the colour of state name, bold so that it still
// stands out without colour.
func (s styles) state(name, label string) string {
	st := lipgloss.NewStyle().Bold(true)
	if col, ok := s.stateColors[name]; ok {
		st = st.Foreground(col)
	}
	return st.Render(label)
}
