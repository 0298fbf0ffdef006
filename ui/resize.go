package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// resizeSettle is how long the size must stay put before replies re-flowed
// during a drag of the window's edge are rendered properly again.
const resizeSettle = 300 * time.Millisecond

// resizeSettledMsg arrives resizeSettle after a resize; gen says which.
type resizeSettledMsg struct{ gen int }

// lazyResizer is an event stream that re-flows instead of rendering
// while the window is resized (*eventlist.Model with LazyResize).
type lazyResizer interface {
	Dragging() bool
	SettleResize()
}

// settleLater schedules the check that the size has stayed put.
func (a *model) settleLater() tea.Cmd {
	if a.opts.NoAnimation { // the stream renders every width exactly
		return nil
	}
	a.resizeGen++
	gen := a.resizeGen
	return tea.Tick(resizeSettle, func(time.Time) tea.Msg { return resizeSettledMsg{gen: gen} })
}

// onResizeSettled renders properly what the drag re-flowed, once no
// resize came after the one that scheduled msg.
func (a *model) onResizeSettled(msg resizeSettledMsg) {
	if msg.gen != a.resizeGen {
		return
	}
	if lr, ok := a.stream.(lazyResizer); ok && lr.Dragging() {
		lr.SettleResize()
	}
}
