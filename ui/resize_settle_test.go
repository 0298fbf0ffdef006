package ui

import (
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/ui/uitest"
)

// A drag of the window's edge re-flows replies in the stream; only the
// settle message of the last resize ends the drag (an older one does not).
func TestOnlyTheLastResizeSettlesTheDrag(t *testing.T) {
	eng := newFakeEngine()
	opts := testOptions()
	opts.NoAnimation = false // as the TUI runs: lazy resizing on
	m := New(eng, opts)
	t.Cleanup(func() { _ = m.Close() })
	m.Init()
	eng.Emit(uitest.User("hi"), uitest.Assistant("a **finished** reply with `code` in it"))
	update(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	pump(m, eng)
	_ = m.View()
	for _, w := range []int{110, 100, 90} {
		if cmd := update(m, tea.WindowSizeMsg{Width: w, Height: 30}); cmd == nil {
			t.Fatal("a resize scheduled no settle")
		}
		_ = m.View()
	}
	lr := m.m.stream.(lazyResizer)
	if !lr.Dragging() {
		t.Fatal("quick resizes are not a drag")
	}
	update(m, resizeSettledMsg{gen: m.m.resizeGen - 1})
	if !lr.Dragging() {
		t.Fatal("an older resize's settle ended the drag")
	}
	update(m, resizeSettledMsg{gen: m.m.resizeGen})
	if lr.Dragging() {
		t.Fatal("the last resize's settle did not end the drag")
	}
}
