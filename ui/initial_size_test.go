package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// A UI told the terminal's size draws its very first view at that size,
// the same view the resize message then leaves unchanged: the first frame
// is drawn once, not at 80×24 and again.
func TestFirstViewIsDrawnAtTheKnownTerminalSize(t *testing.T) {
	opts := testOptions()
	opts.Width, opts.Height = 160, 48
	m := New(newFakeEngine(), opts)
	t.Cleanup(func() { _ = m.Close() })
	m.Init()
	first := m.View().Content
	lines := strings.Split(first, "\n")
	if len(lines) != 48 {
		t.Fatalf("first view has %d rows, want the terminal's 48", len(lines))
	}
	if w := ansi.StringWidth(lines[len(lines)-1]); w > 160 || w < 80 {
		t.Errorf("first view's bottom row is %d wide at a 160-column terminal", w)
	}
	widest := 0
	for _, l := range lines {
		widest = max(widest, ansi.StringWidth(l))
	}
	if widest != 160 {
		t.Errorf("first view is %d columns wide, want 160", widest)
	}
	update(m, tea.WindowSizeMsg{Width: 160, Height: 48})
	if again := m.View().Content; again != first {
		t.Error("the resize message to the same size changed the first view: it was not drawn at the real size")
	}
}
