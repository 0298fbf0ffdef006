package ui

import (
	"image/color"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

func TestSandboxPaneIsLive(t *testing.T) {
	eng := newFakeEngine()
	now := fixedNow()
	opts := testOptions()
	opts.Now = func() time.Time { return now }
	m := New(eng, opts)
	t.Cleanup(func() { _ = m.Close() })
	update(m, tea.WindowSizeMsg{Width: 160, Height: 40})
	eng.Emit(evSandbox("creating"), evSandbox("started"))
	pump(m, eng)
	s := screen(m)
	for _, want := range []string{"creating → started", "uptime    1m ", "isolation bwrap", "team=infra", "2 cpu 4G ram 10G disk"} {
		if !strings.Contains(s, want) {
			t.Errorf("side pane lacks %q:\n%s", want, s)
		}
	}
	for _, hidden := range []string{"created-by=", "tether-pid="} { // cleanup bookkeeping
		if strings.Contains(s, hidden) {
			t.Errorf("side pane shows tether's own label %q:\n%s", hidden, s)
		}
	}
	now = now.Add(65 * time.Second)
	update(m, clockMsg{})
	if s := screen(m); !strings.Contains(s, "uptime    2m ") {
		t.Errorf("uptime does not tick:\n%s", s)
	}
	// Narrow: a one-line strip; ctrl+b hides it.
	update(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	if first := strings.Split(screen(m), "\n")[0]; !strings.HasPrefix(first, "sandbox local-abc · local · started · up 2m ·") {
		t.Errorf("narrow strip = %q", first)
	}
	press(m, "ctrl+b")
	if first := strings.Split(screen(m), "\n")[0]; strings.Contains(first, "local-abc") {
		t.Errorf("ctrl+b did not hide the strip: %q", first)
	}
	if !strings.Contains(screen(m), "sandbox started") {
		t.Errorf("hidden pane: status bar should carry the sandbox state:\n%s", screen(m))
	}
	gone := evSandbox("destroyed")
	gone.Time = now
	eng.Emit(gone)
	pump(m, eng)
	now = now.Add(time.Hour)
	update(m, clockMsg{})
	press(m, "ctrl+b")
	update(m, tea.WindowSizeMsg{Width: 160, Height: 40})
	if s := screen(m); !strings.Contains(s, "creating → started →") || !strings.Contains(s, "uptime    2m ") {
		t.Errorf("after destroy: states or frozen uptime missing:\n%s", s)
	}
}

func TestLightBackground(t *testing.T) {
	eng := newFakeEngine()
	opts := testOptions()
	opts.NoColor = false
	m := New(eng, opts)
	t.Cleanup(func() { _ = m.Close() })
	update(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	dark := m.View().Content
	update(m, tea.BackgroundColorMsg{Color: color.White})
	if m.m.dark {
		t.Fatal("a white background was taken for dark")
	}
	if light := m.View().Content; light == dark {
		t.Fatal("the palette did not change for a light background")
	}
}
