package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/session"
)

func testOptions() Options {
	return Options{NoColor: true, NoAnimation: true, Now: fixedNow, QuitDelay: -1, SpillDir: ""}
}

// newTestModel is the UI over eng at w×h, driven synchronously.
func newTestModel(t testing.TB, eng *fakeEngine, w, h int) Model {
	t.Helper()
	m := New(eng, testOptions())
	t.Cleanup(func() { _ = m.Close() })
	m.Init() // the commands block on the engine; tests pump events themselves
	update(m, tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

func update(m Model, msg tea.Msg) tea.Cmd {
	_, cmd := m.Update(msg)
	return cmd
}

// keyMsg builds the key press Bubble Tea would deliver for a key name.
func keyMsg(s string) tea.KeyPressMsg {
	named := map[string]rune{
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "up": tea.KeyUp,
		"down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight, "space": tea.KeySpace,
		"backspace": tea.KeyBackspace, "home": tea.KeyHome, "end": tea.KeyEnd, "f1": tea.KeyF1,
	}
	var mod tea.KeyMod
	for {
		switch {
		case strings.HasPrefix(s, "ctrl+"):
			mod |= tea.ModCtrl
			s = s[5:]
			continue
		case strings.HasPrefix(s, "shift+") && len(s) > 6:
			mod |= tea.ModShift
			s = s[6:]
			continue
		case strings.HasPrefix(s, "alt+"):
			mod |= tea.ModAlt
			s = s[4:]
			continue
		}
		break
	}
	if r, ok := named[s]; ok {
		k := tea.KeyPressMsg{Code: r, Mod: mod}
		if r == tea.KeySpace && mod == 0 {
			k.Text = " "
		}
		return k
	}
	r := []rune(s)[0]
	if mod != 0 {
		return tea.KeyPressMsg{Code: r, Mod: mod}
	}
	return tea.KeyPressMsg{Code: r, Text: s}
}

func press(m Model, keys ...string) {
	for _, k := range keys {
		update(m, keyMsg(k))
	}
}

func typeText(m Model, s string) {
	for _, r := range s {
		update(m, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// pump delivers everything the engine has published so far.
func pump(m Model, eng *fakeEngine) {
	var evs []session.Event
	for {
		select {
		case ev, ok := <-eng.Events():
			if !ok {
				update(m, eventsMsg{events: evs, closed: true})
				return
			}
			evs = append(evs, ev)
			continue
		default:
		}
		break
	}
	if len(evs) > 0 {
		update(m, eventsMsg{events: evs})
	}
}

// screen is the current frame without ANSI sequences.
func screen(m Model) string {
	return ansi.Strip(m.View().Content)
}

func ansiWidth(s string) int { return ansi.StringWidth(s) }
