package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"
)

// promptRows is the prompt box's part of the screen, without ANSI.
func promptRows(m Model) string {
	a := m.m
	return ansi.Strip(strings.Join(a.bottom(a.layout()), "\n"))
}

// While output floods in, the prompt box is not restyled for every frame:
// a frame whose prompt did not change reuses its rendering (a fraction of
// the allocations of one that did).
func TestPromptBoxNotRestyledWhenUnchanged(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 160, 48)
	typeText(m, "run the tests")
	a := m.m
	l := a.layout()
	a.bottom(l)
	unchanged := testing.AllocsPerRun(50, func() { a.bottom(l) })
	changed := testing.AllocsPerRun(50, func() {
		a.prompt.edits++ // as any message the prompt handles does
		a.bottom(l)
	})
	if unchanged*4 > changed {
		t.Fatalf("an unchanged prompt box allocates %.0f per frame, a changed one %.0f: it is rendered again every frame", unchanged, changed)
	}
}

// The rendering is reused only while nothing it shows changed: typing,
// moving the cursor, a history walk, a resize and focus all show at once,
// as do changes made on the textarea directly.
func TestPromptBoxShowsEveryChange(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 100, 30)
	m.m.prompt.seed([]string{"an earlier prompt"})

	typeText(m, "hello")
	if got := promptRows(m); !strings.Contains(got, "hello") {
		t.Fatalf("typed text not shown:\n%s", got)
	}
	press(m, "left", "left", "x")
	if got := promptRows(m); !strings.Contains(got, "helxlo") {
		t.Fatalf("a letter typed after moving the cursor not shown:\n%s", got)
	}
	press(m, "ctrl+u")
	press(m, "up")
	if got := promptRows(m); !strings.Contains(got, "an earlier prompt") {
		t.Fatalf("history walk not shown:\n%s", got)
	}
	m.m.prompt.ta.SetValue("set directly") // not through promptBox
	if got := promptRows(m); !strings.Contains(got, "set directly") {
		t.Fatalf("a value set on the textarea directly not shown:\n%s", got)
	}

	update(m, tea.WindowSizeMsg{Width: 60, Height: 30})
	if got := promptRows(m); strings.Contains(got, strings.Repeat("─", 70)) || !strings.Contains(got, "set directly") {
		t.Fatalf("prompt box not redrawn at the new width:\n%s", got)
	}
	focused := promptRows(m)
	press(m, "tab") // focus to the stream: the box's border turns light
	if got := promptRows(m); got == focused {
		t.Fatalf("focus change not shown:\n%s", got)
	}
}
