package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

// An idle screen must not wake up to redraw a clock whose text has not
// changed: the uptime turns once a minute, the run's elapsed time once a
// second and only while a run is active.
func TestClockWakesOnlyWhenItsTextTurns(t *testing.T) {
	eng := newFakeEngine()
	now := fixedNow()
	opts := testOptions()
	opts.NoAnimation = false
	opts.Now = func() time.Time { return now }
	m := New(eng, opts)
	t.Cleanup(func() { _ = m.Close() })
	a := m.m
	update(m, tea.WindowSizeMsg{Width: 160, Height: 48})
	if next := a.nextClockChange(now); !next.IsZero() {
		t.Fatalf("no sandbox, no run: next clock change = %v, want none", next)
	}
	eng.Emit(evSandbox("started")) // created 90 s ago
	pump(m, eng)
	if got, want := a.nextClockChange(now), fixedNow().Add(30*time.Second); !got.Equal(want) {
		t.Errorf("idle with a sandbox up 1m30s: next change %v, want %v (when it reads 2m)", got, want)
	}
	if a.clock.at.IsZero() {
		t.Fatal("no wake-up armed for the uptime")
	}
	if cmd := a.armClock(); cmd != nil {
		t.Error("a second wake-up was armed for the same change")
	}
	run := uitest.State(session.StateIdle, session.StateRunning, "")
	run.Time = now.Add(-200 * time.Millisecond)
	eng.Emit(run)
	pump(m, eng)
	if got, want := a.nextClockChange(now), now.Add(300*time.Millisecond); !got.Equal(want) {
		t.Errorf("running for 0.2 s: next change %v, want %v (when 00:00 rounds to 00:01)", got, want)
	}
	if !a.clock.at.Equal(now.Add(300 * time.Millisecond)) {
		t.Errorf("the run did not bring the wake-up forward: armed for %v", a.clock.at)
	}
	gen := a.clock.gen
	update(m, clockMsg{gen: gen - 1}) // superseded: changes nothing
	if !a.clock.at.Equal(now.Add(300 * time.Millisecond)) {
		t.Errorf("a stale wake-up disturbed the pending one")
	}
	now = now.Add(time.Second)
	update(m, clockMsg{gen: gen})
	if !a.clock.at.After(now) {
		t.Errorf("after a wake-up the next one is not re-armed in the future: %v", a.clock.at)
	}
	done := uitest.State(session.StateRunning, session.StateFinished, "")
	done.Time = now
	eng.Emit(done)
	pump(m, eng)
	if got, want := a.nextClockChange(now), fixedNow().Add(30*time.Second); !got.Equal(want) {
		t.Errorf("after the run: next change %v, want the uptime's %v", got, want)
	}
}

func TestUptimeIsShownToTheMinute(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "<1m", 59 * time.Second: "<1m", time.Minute: "1m", 59*time.Minute + 59*time.Second: "59m",
		time.Hour: "1h00m", 3*time.Hour + 5*time.Minute + 30*time.Second: "3h05m",
	} {
		if got := fmtUptime(d); got != want {
			t.Errorf("fmtUptime(%v) = %q, want %q", d, got, want)
		}
	}
}

// The prompt uses the terminal's own cursor (the terminal blinks it), placed
// right after the typed text; it is hidden when the prompt lacks the
// keyboard or something covers it.
func TestPromptUsesTheTerminalCursor(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}, {30, 8}} {
		m := newTestModel(t, newFakeEngine(), size[0], size[1])
		typeText(m, "abc")
		v := m.View()
		c := v.Cursor
		if c == nil {
			t.Fatalf("%dx%d: no terminal cursor while typing in the prompt", size[0], size[1])
		}
		lines := strings.Split(v.Content, "\n")
		if c.Y < 0 || c.Y >= len(lines) {
			t.Fatalf("%dx%d: cursor row %d off screen", size[0], size[1], c.Y)
		}
		before := ansi.Truncate(ansi.Strip(lines[c.Y]), c.X, "")
		if !strings.HasSuffix(before, "› abc") {
			t.Errorf("%dx%d: cursor at %d,%d follows %q, want it right after the typed text", size[0], size[1], c.X, c.Y, before)
		}
		if !c.Blink {
			t.Errorf("%dx%d: the terminal cursor should blink (the terminal's job)", size[0], size[1])
		}
		press(m, "f1")
		if m.View().Cursor != nil {
			t.Errorf("%dx%d: cursor shown over the help", size[0], size[1])
		}
		press(m, "esc", "tab")
		if m.View().Cursor != nil {
			t.Errorf("%dx%d: cursor shown while the stream has the keyboard", size[0], size[1])
		}
	}
}
