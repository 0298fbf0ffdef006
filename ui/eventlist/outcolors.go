package eventlist

import (
	"image/color"
	"strconv"

	"charm.land/lipgloss/v2"

	"github.com/tether-dev/tether/internal/termsafe"
)

// OutputColors says how much of a command's own SGR styling the list shows.
type OutputColors uint8

const (
	// OutputPlain shows none (tests, dumb terminals).
	OutputPlain OutputColors = iota
	// OutputAttrs keeps bold, underline and the like but no colour
	// (NO_COLOR).
	OutputAttrs
	// OutputFull shows colours too; the terminal's colour profile
	// downsamples them.
	OutputFull
)

// spanPaint turns a command's structured style into a paint, built by
// lipgloss from our own values: the bytes the command sent never reach the
// terminal. Paints are cached per style, of which an output has few.
func (m *Model) spanPaint(st termsafe.Style) paint {
	if p, ok := m.spanPaints[st]; ok {
		return p
	}
	ls := lipgloss.NewStyle()
	a := st.Attr
	ls = ls.Bold(a&termsafe.Bold != 0).Faint(a&termsafe.Faint != 0).Italic(a&termsafe.Italic != 0).
		Underline(a&termsafe.Underline != 0).Reverse(a&termsafe.Reverse != 0).Strikethrough(a&termsafe.Strike != 0)
	if m.st.OutputColors == OutputFull {
		if c, ok := lipColor(st.Fg); ok {
			ls = ls.Foreground(c)
		}
		if c, ok := lipColor(st.Bg); ok {
			ls = ls.Background(c)
		}
	}
	p := newPaint(ls)
	if m.spanPaints == nil || len(m.spanPaints) > 4096 {
		m.spanPaints = make(map[termsafe.Style]paint)
	}
	m.spanPaints[st] = p
	return p
}

func lipColor(c termsafe.Color) (color.Color, bool) {
	if h, ok := c.Hex(); ok {
		return lipgloss.Color(h), true
	}
	if n, ok := c.Index(); ok {
		return lipgloss.Color(strconv.Itoa(int(n))), true
	}
	return nil, false
}

// styled paints the spans of one sanitized line; the text between spans
// stays as it is.
func (m *Model) styled(s string, spans []termsafe.Span) string {
	if len(spans) == 0 || m.st.OutputColors == OutputPlain {
		return s
	}
	b := make([]byte, 0, len(s)+len(spans)*16)
	at := 0
	for _, sp := range spans {
		if sp.Start < at || sp.End > len(s) {
			break
		}
		b = append(b, s[at:sp.Start]...)
		b = append(b, m.spanPaint(sp.Style).on(s[sp.Start:sp.End])...)
		at = sp.End
	}
	b = append(b, s[at:]...)
	return string(b)
}
