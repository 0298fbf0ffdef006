// Package theme is the one colour palette of tether's screens: the shell
// (ui), the fleet and suite views (ui/fleet) build their styles from it,
// light or dark, or with no colour at all (NO_COLOR). The event list keeps
// to the terminal's basic ANSI colours so the terminal's own theme decides.
//
// It holds colours only: no layout, no state, no imports of tether's.
package theme

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Palette is the set of colours every screen draws with.
type Palette struct {
	Accent, Muted, Warn, Bad, Good, Info color.Color
	NoColor                              bool
}

// New is the palette for a dark or light background; with noColor every
// colour is lipgloss.NoColor{}.
func New(isDark, noColor bool) Palette {
	ld := lipgloss.LightDark(isDark)
	c := func(light, dark string) color.Color {
		if noColor {
			return lipgloss.NoColor{}
		}
		return ld(lipgloss.Color(light), lipgloss.Color(dark))
	}
	return Palette{
		Accent:  c("#5A3FC0", "#A48BFF"),
		Muted:   c("#6C6C6C", "#8A8A8A"),
		Warn:    c("#B35C00", "#FFB454"),
		Bad:     c("#C0262D", "#FF6B6B"),
		Good:    c("#1E7F3C", "#5FD787"),
		Info:    c("#0B6BCB", "#6CB6FF"),
		NoColor: noColor,
	}
}

// StateColors colours every state name a screen shows: a session's, a
// sandbox's and a suite case's.
func (p Palette) StateColors() map[string]color.Color {
	return map[string]color.Color{
		// session states
		"idle": p.Muted, "running": p.Info, "paused": p.Warn, "waiting": p.Warn,
		"finished": p.Good, "error": p.Bad, "stuck": p.Bad, "cancelled": p.Warn,
		// sandbox states
		"creating": p.Info, "starting": p.Info, "started": p.Good, "stopping": p.Warn,
		"stopped": p.Warn, "destroying": p.Warn, "destroyed": p.Muted, "deleted": p.Muted,
		// suite case states
		"queued": p.Muted, "setup": p.Info, "checking": p.Info,
		"cleanup": p.Warn, "passed": p.Good, "failed": p.Bad,
	}
}

// Faint is muted text, also marked (faint) without colour.
func (p Palette) Faint() lipgloss.Style {
	st := lipgloss.NewStyle().Foreground(p.Muted)
	if p.NoColor {
		st = st.Faint(true)
	}
	return st
}
