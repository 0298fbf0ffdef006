package eventlist

import (
	"strings"

	"charm.land/glamour/v2"
	gansi "charm.land/glamour/v2/ansi"
	"charm.land/glamour/v2/styles"

	"github.com/tether-dev/tether/internal/termsafe"
)

// markdown renders the assistant's text with glamour. The model's text is
// sanitized before glamour sees it, and glamour's output is parsed back
// into plain text and structured styles (termsafe.Line) which the list
// paints itself: no byte of glamour's output, nor of the model's, reaches
// the terminal as it was. Hyperlinks (OSC 8) are dropped on the way; the
// URL stays visible as text.
//
// Renderers are made per width (glamour wraps) and kept: a session sees
// few widths.
type markdown struct {
	cfg       gansi.StyleConfig
	renderers map[int]*glamour.TermRenderer
}

// newMarkdown picks glamour's style for the list's looks: the dark or
// light one when colours are shown (their colours dropped again by the
// span painter under NO_COLOR), the no-TTY one when nothing is styled, so
// headings and emphasis keep their markup.
func newMarkdown(oc OutputColors, light bool) *markdown {
	var cfg gansi.StyleConfig
	switch {
	case oc == OutputPlain:
		cfg = styles.NoTTYStyleConfig
	case light:
		cfg = styles.LightStyleConfig
	default:
		cfg = styles.DarkStyleConfig
	}
	// The list places the text itself: no margin, no blank lines around,
	// and the terminal's own text colour.
	zero := uint(0)
	cfg.Document.Margin = &zero
	cfg.Document.BlockPrefix, cfg.Document.BlockSuffix = "", ""
	cfg.Document.Color = nil
	cfg.Paragraph.Color = nil
	return &markdown{cfg: cfg, renderers: make(map[int]*glamour.TermRenderer)}
}

// maxRenderers bounds the renderers kept, one per width: making one costs
// about a millisecond, and dragging a window's edge goes through dozens of
// widths.
const maxRenderers = 32

// mdRow is one rendered row: plain text and its styles.
type mdRow struct {
	text  string
	spans []termsafe.Span
}

// render returns the rows of text rendered at width w, or nil if glamour
// failed.
func (md *markdown) render(text string, w int) []mdRow {
	r := md.renderers[w]
	if r == nil {
		if len(md.renderers) >= maxRenderers {
			clear(md.renderers)
		}
		var err error
		r, err = glamour.NewTermRenderer(glamour.WithStyles(md.cfg), glamour.WithWordWrap(w),
			// Truecolor: the 256-colour formatter searches the nearest colour per
			// token each time; the program downsamples to the terminal anyway.
			glamour.WithChromaFormatter("terminal16m"))
		if err != nil {
			return nil
		}
		md.renderers[w] = r
	}
	out, err := r.Render(text)
	if err != nil {
		return nil
	}
	raw := strings.Split(strings.TrimRight(dropOSC(out), "\n"), "\n")
	rows := make([]mdRow, 0, len(raw))
	for _, l := range raw {
		t, spans := termsafe.Line(l)
		// Glamour pads rows to the wrap width.
		t = strings.TrimRight(t, " ")
		for len(spans) > 0 && spans[len(spans)-1].Start >= len(t) {
			spans = spans[:len(spans)-1]
		}
		if n := len(spans); n > 0 && spans[n-1].End > len(t) {
			spans[n-1].End = len(t)
		}
		rows = append(rows, mdRow{t, spans})
	}
	// Blank rows around the text (glamour's block prefixes) say nothing.
	for len(rows) > 1 && rows[0].text == "" {
		rows = rows[1:]
	}
	for len(rows) > 1 && rows[len(rows)-1].text == "" {
		rows = rows[:len(rows)-1]
	}
	return rows
}

// streamChunkMin is the size of an open reply past which its finished
// blocks are rendered once and kept, so a frame re-renders only the block
// still being written.
const streamChunkMin = 1 << 10

// mdStream is the kept render of an open reply's finished blocks.
type mdStream struct {
	width int
	gen   uint32
	done  int      // bytes of the sanitized text rendered into rows
	rows  []string // their painted rows
}

// renderAssistant draws the assistant's reply as markdown. A finished
// reply is rendered whole, once (the entry cache keeps it); an open one
// re-renders at most once a frame (View asks only for what changed), and
// past streamChunkMin only its last block.
func (m *Model) renderAssistant(e *entry, w int) []string {
	st := &m.pal
	safe := termsafe.Sanitize(strings.TrimSpace(e.text.String()))
	if safe == "" {
		return prefixed([]string{"…"}, "● ", "  ", st.Assistant)
	}
	bw := max(w-2, 1)
	var body []string
	if e.done {
		e.mds = nil
		body = m.finishedRows(e, safe, bw)
	} else if len(safe) < streamChunkMin {
		body = m.mdRows(safe, bw)
	} else {
		s := e.mds
		if s == nil || s.width != bw || s.gen != m.styleGen || s.done > len(safe) {
			s = &mdStream{width: bw, gen: m.styleGen}
			e.mds = s
		}
		if cut := blockBoundary(safe, s.done); cut > s.done {
			s.rows = joinBlocks(s.rows, m.mdRows(safe[s.done:cut], bw))
			s.done = cut
		}
		body = joinBlocks(s.rows[:len(s.rows):len(s.rows)], m.mdRows(safe[s.done:], bw))
	}
	for i := range body {
		p := "  "
		if i == 0 {
			p = st.Assistant.on("● ")
		}
		body[i] = p + body[i]
	}
	return body
}

// mdRows renders sanitized markdown at width w into painted rows, or wraps
// it as plain text when glamour cannot render it.
func (m *Model) mdRows(safe string, w int) []string {
	if strings.TrimSpace(safe) == "" {
		return nil
	}
	if m.md == nil {
		m.md = newMarkdown(m.st.OutputColors, m.opts.Light)
	}
	rows := m.md.render(safe, w)
	if rows == nil {
		return wrap(strings.TrimSpace(safe), w)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fit(m.styled(r.text, r.spans), w)
	}
	return out
}

// joinBlocks puts b under a with the blank row markdown puts between blocks.
func joinBlocks(a, b []string) []string {
	switch {
	case len(b) == 0:
		return a
	case len(a) == 0:
		return append(a, b...)
	}
	return append(append(a, ""), b...)
}

// blockBoundary is the offset just after the last blank line of s past
// from that is outside a code fence (from must be outside one), or from
// when there is none: the text before it is finished blocks.
func blockBoundary(s string, from int) int {
	cut, fence := from, ""
	for i := from; i < len(s); {
		j := strings.IndexByte(s[i:], '\n')
		if j < 0 {
			break
		}
		line := s[i : i+j]
		i += j + 1
		t := strings.TrimLeft(line, " ")
		switch {
		case fence != "":
			if strings.HasPrefix(t, fence) && strings.TrimSpace(strings.TrimLeft(t, fence[:1])) == "" {
				fence = ""
			}
		case strings.HasPrefix(t, "```"), strings.HasPrefix(t, "~~~"):
			fence = t[:3]
		case strings.TrimSpace(line) == "":
			cut = i
		}
	}
	return cut
}

// dropOSC removes OSC sequences (glamour's hyperlinks) from s, whose text
// was sanitized before glamour rendered it: the only escapes left in it
// are glamour's.
func dropOSC(s string) string {
	if !strings.Contains(s, "\x1b]") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.Index(s, "\x1b]")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		rest := s[i+2:]
		end := len(rest)
		skip := 0
		if j := strings.IndexAny(rest, "\a\x1b"); j >= 0 {
			end = j
			switch {
			case rest[j] == '\a':
				skip = 1
			case j+1 < len(rest) && rest[j+1] == '\\':
				skip = 2
			}
		}
		s = rest[min(end+skip, len(rest)):]
	}
}
