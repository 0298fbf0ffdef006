package fleet

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tether-dev/tether/ui"
)

func testOptions() Options {
	return Options{UI: ui.Options{NoColor: true, NoAnimation: true, Now: fixedNow, QuitDelay: -1}}
}

// probe runs fn on the program's own goroutine, where the model may be
// read safely; probed answers it.
type probe struct {
	fn   func(f *fleet)
	done chan struct{}
}

type probed struct{ Model }

func (p probed) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if pr, ok := msg.(probe); ok {
		pr.fn(p.f)
		close(pr.done)
		return p, nil
	}
	_, cmd := p.Model.Update(msg)
	return p, cmd
}

// inspect runs fn inside the live program and waits for it.
func inspect(t *testing.T, tm *teatest.TestModel, fn func(f *fleet)) bool {
	t.Helper()
	pr := probe{fn: fn, done: make(chan struct{})}
	go tm.Send(pr) // Send blocks once the program has ended
	select {
	case <-pr.done:
		return true
	case <-time.After(time.Second):
		return false
	}
}

// waitFor polls the live program until cond holds; it fails the test with
// the last screen otherwise.
func waitFor(t *testing.T, tm *teatest.TestModel, what string, cond func(f *fleet) bool) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var scr string
	for time.Now().Before(deadline) {
		ok := false
		inspect(t, tm, func(f *fleet) {
			scr = screen(Model{f})
			ok = cond(f)
		})
		if ok {
			return scr
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("never: %s; last screen:\n%s", what, scr)
	return ""
}

// waitScreen waits until the screen contains want.
func waitScreen(t *testing.T, tm *teatest.TestModel, want string) string {
	t.Helper()
	return waitFor(t, tm, "screen shows "+want, func(f *fleet) bool {
		return strings.Contains(screen(Model{f}), want)
	})
}

func screen(m Model) string { return ansi.Strip(m.View().Content) }

// startFleet runs the real program over engines at w×h.
func startFleet(t *testing.T, engines []*fakeEngine, opts Options, w, h int) *teatest.TestModel {
	t.Helper()
	es := make([]ui.Engine, len(engines))
	for i, e := range engines {
		es[i] = e
	}
	m := New(es, opts)
	t.Cleanup(func() { _ = m.Close() })
	return teatest.NewTestModel(t, probed{m}, teatest.WithInitialTermSize(w, h))
}

func finalFleet(t *testing.T, tm *teatest.TestModel) Model {
	t.Helper()
	return tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(probed).Model
}

// keyMsg builds the key press Bubble Tea would deliver for a key name.
func keyMsg(s string) tea.KeyPressMsg {
	named := map[string]rune{
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "up": tea.KeyUp,
		"down": tea.KeyDown, "f2": tea.KeyF2, "home": tea.KeyHome, "end": tea.KeyEnd,
	}
	var mod tea.KeyMod
	if rest, ok := strings.CutPrefix(s, "ctrl+"); ok {
		mod, s = tea.ModCtrl, rest
	}
	if r, ok := named[s]; ok {
		return tea.KeyPressMsg{Code: r, Mod: mod}
	}
	r := []rune(s)[0]
	if mod != 0 {
		return tea.KeyPressMsg{Code: r, Mod: mod}
	}
	return tea.KeyPressMsg{Code: r, Text: s}
}

func press(tm *teatest.TestModel, keys ...string) {
	for _, k := range keys {
		tm.Send(keyMsg(k))
	}
}

func typeText(tm *teatest.TestModel, s string) {
	for _, r := range s {
		tm.Send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}
