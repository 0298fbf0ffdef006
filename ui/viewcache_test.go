package ui

import (
	"image/color"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

// TestViewCacheNeverStale drives two identical screens through focus
// changes, typing, approvals, sandbox changes, resizes and a palette
// switch; one keeps its view cache, the other starts every frame with an
// empty one. Their frames (with styles) must be identical at every step.
func TestViewCacheNeverStale(t *testing.T) {
	engA, engB := newFakeEngine(), newFakeEngine()
	opts := testOptions()
	opts.NoColor = false
	a, b := New(engA, opts), New(engB, opts)
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	a.Init()
	b.Init()
	step := 0
	both := func(f func(m Model, eng *fakeEngine)) {
		t.Helper()
		f(a, engA)
		f(b, engB)
		b.m.vc = viewCache{}
		step++
		if got, want := a.View().Content, b.View().Content; got != want {
			t.Fatalf("step %d: cached frame differs from a fresh one\ncached:\n%s\nfresh:\n%s", step, got, want)
		}
	}
	both(func(m Model, _ *fakeEngine) { update(m, tea.WindowSizeMsg{Width: 140, Height: 40}) })
	both(func(m Model, e *fakeEngine) { e.Emit(scriptRunning()...); pump(m, e) })
	both(func(m Model, _ *fakeEngine) { typeText(m, "hello") })
	both(func(m Model, _ *fakeEngine) { press(m, "tab") })
	both(func(m Model, _ *fakeEngine) { press(m, "tab") })
	both(func(m Model, e *fakeEngine) { e.Emit(evSandbox("stopping")); pump(m, e) })
	both(func(m Model, e *fakeEngine) {
		e.Emit(evAction("c2", "make test", true), uitest.State(session.StateRunning, session.StateWaiting, ""))
		pump(m, e)
	})
	both(func(m Model, _ *fakeEngine) { press(m, "tab") })
	both(func(m Model, _ *fakeEngine) { update(m, tea.WindowSizeMsg{Width: 90, Height: 30}) })
	both(func(m Model, _ *fakeEngine) { update(m, tea.BackgroundColorMsg{Color: color.White}) })
	both(func(m Model, e *fakeEngine) { e.Emit(uitest.Output("c1", "more output\n")); pump(m, e) })
	both(func(m Model, _ *fakeEngine) { update(m, tea.WindowSizeMsg{Width: 160, Height: 48}) })
	both(func(m Model, _ *fakeEngine) { press(m, "ctrl+t") })
}
