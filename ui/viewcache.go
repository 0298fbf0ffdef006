package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// viewCache keeps pieces of the frame that are costly to style (lipgloss
// renders) but change rarely: pane borders and the key hint line. Bubble
// Tea calls View after every Update, so while output floods in the chrome
// would otherwise be styled again for every batch of events. Entries are
// keyed by everything they depend on, styles included (styles are a pure
// function of dark and noColor), so nothing needs invalidating.
type viewCache struct {
	borders map[borderKey]borderParts
	hintKey string
	hint    string
	// fitted holds pane lines already cut or padded to a width, from this
	// frame and the one before (most lines of a pane do not change from
	// one frame to the next; measuring a styled line's width is costly).
	fitted, fittedPrev map[fitKey]string
	// The sandbox side pane, for the rows (and size, palette) in sideKeyStr.
	sideKeyStr string
	side       []string
}

// sideKey identifies what the sandbox side pane shows. Callers must not
// modify the lines it caches.
func (c *viewCache) sideKey(rows [][2]string, w, h int, dark, noColor bool) string {
	var sb strings.Builder
	sb.WriteString(itoa(w) + "x" + itoa(h))
	if dark {
		sb.WriteString("d")
	}
	if noColor {
		sb.WriteString("n")
	}
	for _, r := range rows {
		sb.WriteString("\x00" + r[0] + "\x01" + r[1])
	}
	return sb.String()
}

type fitKey struct {
	line string
	w    int
}

// newFrame rotates the fitted-line generations: lines not drawn in the
// last two frames are forgotten.
func (c *viewCache) newFrame() {
	c.fittedPrev, c.fitted = c.fitted, make(map[fitKey]string, len(c.fitted))
}

// fitLinesCached is fitLines, reusing lines fitted in the last two frames.
func (c *viewCache) fitLinesCached(lines []string, w, h int) []string {
	if h <= 0 {
		return nil
	}
	if c.fitted == nil {
		c.newFrame()
	}
	out := make([]string, 0, h)
	fit := func(part string) string {
		k := fitKey{part, w}
		if s, ok := c.fitted[k]; ok {
			return s
		}
		s, ok := c.fittedPrev[k]
		if !ok {
			s = fitLine(part, w)
		}
		c.fitted[k] = s
		return s
	}
	for _, l := range lines {
		for _, part := range strings.Split(l, "\n") {
			if len(out) == h {
				return out
			}
			out = append(out, fit(part))
		}
	}
	for len(out) < h {
		out = append(out, fit(""))
	}
	return out
}

type borderKey struct {
	title                        string
	w                            int
	focused, warn, dark, noColor bool
}

// borderParts are a frame's styled edges: everything but the body.
type borderParts struct {
	top, left, right, bottom string
}

// maxCachedBorders bounds the map: titles vary ("events · 3 new below"),
// so an old entry is only ever dropped, never wrong.
const maxCachedBorders = 64

func (a *model) borders(title string, w int, focused, warn bool) borderParts {
	k := borderKey{title, w, focused, warn, a.dark, a.st.noColor}
	if p, ok := a.vc.borders[k]; ok {
		return p
	}
	bs := a.st.paneBorder
	b := lipgloss.RoundedBorder()
	if focused {
		bs = a.st.paneBorderFocus
		b = lipgloss.ThickBorder()
	}
	if warn {
		bs = a.st.approvalBorder
	}
	color := lipgloss.NewStyle().Foreground(bs.GetBorderTopForeground())
	if a.st.noColor {
		color = lipgloss.NewStyle()
	}
	inner := w - 2
	top := color.Render(strings.Repeat(b.Top, inner))
	if title != "" {
		t := ansi.Truncate(" "+title+" ", max(inner-1, 0), "…")
		top = color.Render(b.Top) + a.st.bold.Render(t) +
			color.Render(strings.Repeat(b.Top, max(inner-1-ansi.StringWidth(t), 0)))
	}
	p := borderParts{
		top:    color.Render(b.TopLeft) + top + color.Render(b.TopRight),
		left:   color.Render(b.Left),
		right:  color.Render(b.Right),
		bottom: color.Render(b.BottomLeft + strings.Repeat(b.Bottom, inner) + b.BottomRight),
	}
	if a.vc.borders == nil || len(a.vc.borders) >= maxCachedBorders {
		a.vc.borders = make(map[borderKey]borderParts)
	}
	a.vc.borders[k] = p
	return p
}

// shortHelpView is a.help.ShortHelpView(bindings), reused while the
// bindings, width and palette are the same.
func (a *model) shortHelpView(bindings []key.Binding) string {
	var sb strings.Builder
	sb.WriteString(itoa(a.help.Width()))
	if a.dark {
		sb.WriteString("d")
	}
	if a.st.noColor {
		sb.WriteString("n")
	}
	for _, b := range bindings {
		if !b.Enabled() {
			continue
		}
		h := b.Help()
		sb.WriteString("\x00")
		sb.WriteString(h.Key)
		sb.WriteString("\x01")
		sb.WriteString(h.Desc)
	}
	k := sb.String()
	if k != a.vc.hintKey || a.vc.hintKey == "" {
		a.vc.hintKey, a.vc.hint = k, a.help.ShortHelpView(bindings)
	}
	return a.vc.hint
}
