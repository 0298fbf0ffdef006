package fleet

import (
	"image/color"

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
	s := styles{noColor: noColor, border: muted, borderFocus: accent}
	s.faint = lipgloss.NewStyle().Foreground(muted)
	if noColor {
		s.faint = s.faint.Faint(true)
	}
	s.bold = lipgloss.NewStyle().Bold(true)
	s.errorText = lipgloss.NewStyle().Bold(true).Foreground(bad)
	s.notice = lipgloss.NewStyle().Foreground(info)
	// Reverse video marks the selected row without colour too.
	s.selected = lipgloss.NewStyle().Reverse(true)
	s.stateColors = map[string]color.Color{
		// session states
		"idle": muted, "running": info, "paused": warn, "waiting": warn,
		"finished": good, "error": bad, "stuck": bad, "cancelled": warn,
		// suite case states
		"queued": muted, "creating": info, "setup": info, "checking": info,
		"cleanup": warn, "passed": good, "failed": bad,
	}
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
