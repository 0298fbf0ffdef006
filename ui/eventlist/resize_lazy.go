package eventlist

import (
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// dragWindow: width changes closer together than this are one drag of the
// window's edge. Rendering a reply with glamour costs about a tenth of a
// millisecond per screenful of text, at every width a drag passes through.
const dragWindow = 250 * time.Millisecond

// mdKept is a finished reply's rendered markdown rows at one width.
type mdKept struct {
	rows    []string
	width   int
	version uint32
	gen     uint32
}

// noteResize notes a change of width: a second one within dragWindow
// starts a drag (Options.LazyResize).
func (m *Model) noteResize(width int) {
	if !m.opts.LazyResize || width == m.width {
		return
	}
	now := time.Now()
	m.dragging = !m.lastResize.IsZero() && now.Sub(m.lastResize) < dragWindow
	m.lastResize = now
}

// SettleResize ends a drag: replies shown re-flowed are rendered properly
// on the next frame. Hosts call it once the size has stayed put for a
// moment (Options.LazyResize).
func (m *Model) SettleResize() { m.dragging = false }

// Dragging reports whether the list is in a drag and waits for
// SettleResize.
func (m *Model) Dragging() bool { return m.dragging }

// finishedRows are a finished reply's rows at width w: rendered by
// glamour, or during a drag the rows kept from another width re-flowed.
func (m *Model) finishedRows(e *entry, safe string, w int) []string {
	k := &e.cache.md
	if m.dragging && k.rows != nil && k.version == e.version && k.gen == m.styleGen {
		if k.width == w {
			return slices.Clone(k.rows)
		}
		m.reflowed = true
		return reflow(k.rows, w)
	}
	rows := m.mdRows(safe, w)
	*k = mdKept{rows: slices.Clone(rows), width: w, version: e.version, gen: m.styleGen}
	return rows
}

// reflow fits styled rows to width w: rows too wide are wrapped (styles
// kept), the others stay as they are.
func reflow(rows []string, w int) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		if ansi.StringWidth(r) <= w {
			out = append(out, r)
			continue
		}
		for _, l := range strings.Split(ansi.Wrap(r, w, ""), "\n") {
			out = append(out, fit(l, w))
		}
	}
	return out
}
