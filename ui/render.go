package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Every renderer here returns exactly the lines and width it was given, so
// the screen never scrolls or wraps whatever the terminal size.

// fitLine truncates or pads s (one line, may hold ANSI) to width w.
func fitLine(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := width(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

// width is ansi.StringWidth with a fast path for plain ASCII, which most
// padded lines are.
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || c < 0x20 || c == 0x7f {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// fitLines splits, truncates and pads to exactly h lines of width w.
func fitLines(lines []string, w, h int) []string {
	if h <= 0 {
		return nil
	}
	out := make([]string, 0, h)
	for _, l := range lines {
		for _, part := range strings.Split(l, "\n") {
			if len(out) == h {
				return out
			}
			out = append(out, fitLine(part, w))
		}
	}
	for len(out) < h {
		out = append(out, fitLine("", w))
	}
	return out
}

// frame draws a titled box of exactly w×h around body. Focus shows as a
// heavy border, so it is visible without colour too.
func (a *model) frame(title string, body []string, w, h int, focused bool) []string {
	return a.frameWith(title, body, w, h, focused, false)
}

// frameWith is frame, in the warning colour when warn is set.
func (a *model) frameWith(title string, body []string, w, h int, focused, warn bool) []string {
	if w < 4 || h < 3 {
		return fitLines(body, w, h)
	}
	p := a.borders(title, w, focused, warn)
	out := make([]string, 0, h)
	out = append(out, p.top)
	for _, l := range a.vc.fitLinesCached(body, w-2, h-2) {
		out = append(out, p.left+l+p.right)
	}
	out = append(out, p.bottom)
	return out
}

// overlay draws box centred on the screen lines (which are w wide).
func overlay(screen []string, box []string, w int) []string {
	if len(box) == 0 || len(screen) == 0 {
		return screen
	}
	bw := 0
	for _, l := range box {
		bw = max(bw, ansi.StringWidth(l))
	}
	bw = min(bw, w)
	x := max((w-bw)/2, 0)
	y := max((len(screen)-len(box))/2, 0)
	out := append([]string(nil), screen...)
	for i, l := range box {
		if y+i >= len(out) {
			break
		}
		row := out[y+i]
		left := ansi.Truncate(row, x, "")
		right := ansi.TruncateLeft(row, x+bw, "")
		out[y+i] = left + fitLine(l, bw) + right
	}
	return out
}

// fitCount pads or cuts lines that are already w wide to exactly h.
func fitCount(lines []string, w, h int) []string {
	if len(lines) >= h {
		return lines[:max(h, 0)]
	}
	blank := strings.Repeat(" ", max(w, 0))
	for len(lines) < h {
		lines = append(lines, blank)
	}
	return lines
}

// wrapText word-wraps s to w columns.
func wrapText(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	return strings.Split(ansi.Wrap(s, w, " "), "\n")
}

// FitLine, FitLines and Overlay are the layout helpers above, for
// components that compose screens around a Model (ui/fleet).
func FitLine(s string, w int) string { return fitLine(s, w) }

// FitLines splits, truncates and pads to exactly h lines of width w.
func FitLines(lines []string, w, h int) []string { return fitLines(lines, w, h) }

// Overlay draws box centred on the screen lines (which are w wide).
func Overlay(screen, box []string, w int) []string { return overlay(screen, box, w) }
