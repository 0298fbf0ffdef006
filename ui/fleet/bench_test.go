package fleet

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/ui"
	"github.com/tether-dev/tether/ui/uitest"
)

// BenchmarkFleetView is one frame of a fleet of 8 busy sessions at
// 160×48: the list (every session's summary) and the focused screen.
func BenchmarkFleetView(b *testing.B) {
	engs := make([]ui.Engine, 8)
	for i := range engs {
		e := newFakeEngine(fmt.Sprint(i), 4096)
		e.Emit(scriptRunning(fmt.Sprintf("local-%d", i), "task", 0.01, true)...)
		engs[i] = e
	}
	m := New(engs, testOptions())
	defer m.Close()
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	// The sessions' readers take the events already queued.
	for _, msg := range uitest.RunCmd(m.Init(), 100*time.Millisecond) {
		m.Update(msg)
	}
	if got := m.f.sess[7].m.Summary().Events; got != len(scriptRunning("", "", 0, true)) {
		b.Fatalf("session 8 took %d events", got)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkFleetRoute is one event for an unfocused session going through
// the fleet: its reader's message tagged, routed, taken in by its screen,
// and the reader started again.
func BenchmarkFleetRoute(b *testing.B) {
	e := newFakeEngine("b", 16)
	m := New([]ui.Engine{newFakeEngine("a", 16), e}, testOptions())
	defer m.Close()
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
	reader := m.f.sess[1].m.Init()
	reader = tag(m.f.sess[1].id, reader)
	ev := uitest.Output("c1", "a line of output\n")
	var pending []tea.Msg
	e.Emit(ev)
	pending = uitest.RunCmd(reader, 100*time.Millisecond)
	b.ReportAllocs()
	for b.Loop() {
		var next []tea.Msg
		e.Emit(ev)
		for _, msg := range pending {
			_, cmd := m.Update(msg)
			next = append(next, uitest.RunCmd(cmd, 100*time.Millisecond)...)
		}
		pending = next
	}
}
