package fleet

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/ui"
)

// Every renderer returns exactly the lines and width it was given, so the
// screen never scrolls or wraps.

// frame draws a titled box of exactly w×h around body; focus shows as a
// heavy border, visible without colour too.
func (s styles) frame(title string, body []string, w, h int, focused bool) []string {
	if w < 4 || h < 3 {
		return ui.FitLines(body, w, h)
	}
	b, col := lipgloss.RoundedBorder(), s.border
	if focused {
		b, col = lipgloss.ThickBorder(), s.borderFocus
	}
	color := lipgloss.NewStyle().Foreground(col)
	if s.noColor {
		color = lipgloss.NewStyle()
	}
	inner := w - 2
	top := color.Render(strings.Repeat(b.Top, inner))
	if title != "" {
		t := ansi.Truncate(" "+title+" ", max(inner-1, 0), "…")
		top = color.Render(b.Top) + s.bold.Render(t) +
			color.Render(strings.Repeat(b.Top, max(inner-1-ansi.StringWidth(t), 0)))
	}
	out := make([]string, 0, h)
	out = append(out, color.Render(b.TopLeft)+top+color.Render(b.TopRight))
	left, right := color.Render(b.Left), color.Render(b.Right)
	for _, l := range ui.FitLines(body, inner, h-2) {
		out = append(out, left+l+right)
	}
	return append(out, color.Render(b.BottomLeft+strings.Repeat(b.Bottom, inner)+b.BottomRight))
}

// box is a small centred dialog no larger than w×h.
func (s styles) box(title string, body []string, w, h int) []string {
	bw := len(title) + 6
	for _, l := range body {
		bw = max(bw, ansi.StringWidth(l)+4)
	}
	bw = min(max(bw, 30), w)
	bh := min(len(body)+2, h)
	padded := make([]string, len(body))
	for i, l := range body {
		padded[i] = " " + l
	}
	return s.frame(title, padded, bw, bh, true)
}

// fmtDuration is a short elapsed time: 9s, 1m05s, 2h03m.
func fmtDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// fmtCost is a cost, or "cost unknown" when the model's price is not known
// (unknown is not zero).
func fmtCost(usd float64, known, any bool) string {
	switch {
	case !any:
		return "$0"
	case !known:
		return "cost unknown"
	}
	return fmt.Sprintf("$%.4f", usd)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
