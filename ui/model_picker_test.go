package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/tether-dev/tether/session"
	"github.com/tether-dev/tether/ui/uitest"
)

// switchingEngine lists models and, like app.Engine through the session,
// publishes the switch.
type switchingEngine struct {
	*fakeEngine
	mu      sync.Mutex
	listErr error
	set     []string
	cur     string
}

func newSwitchingEngine() *switchingEngine {
	return &switchingEngine{fakeEngine: newFakeEngine(), cur: "test-model"}
}

func (s *switchingEngine) Models(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return []string{s.cur, "gpt-4.1", "gpt-4.1-mini", "claude-sonnet-4"}, s.listErr
}

func (s *switchingEngine) SetModel(name string) error {
	s.mu.Lock()
	from := s.cur
	s.cur = name
	s.set = append(s.set, name)
	s.mu.Unlock()
	s.Emit(session.Event{Kind: session.KindModel, ModelChange: &session.ModelChange{From: from, To: name}})
	return nil
}

func openPickerNow(t testing.TB, m Model) {
	t.Helper()
	cmd := update(m, keyMsg("ctrl+o"))
	for _, msg := range uitest.RunCmd(cmd, time.Second) {
		if mm, ok := msg.(modelsMsg); ok {
			update(m, mm)
		}
	}
}

func TestModelPickerListsTheEndpointsModelsAndSwitches(t *testing.T) {
	eng := newSwitchingEngine()
	m := New(eng, testOptions())
	t.Cleanup(func() { _ = m.Close() })
	update(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	openPickerNow(t, m)
	s := screen(m)
	for _, want := range []string{"switch model", "test-model  (in use)", "gpt-4.1-mini", "claude-sonnet-4"} {
		if !strings.Contains(s, want) {
			t.Fatalf("picker lacks %q:\n%s", want, s)
		}
	}
	typeText(m, "mini")
	if s := screen(m); strings.Contains(s, "claude-sonnet-4") || !strings.Contains(s, "▸ gpt-4.1-mini") {
		t.Fatalf("filter not applied:\n%s", s)
	}
	press(m, "enter")
	pump(m, eng.fakeEngine)
	if len(eng.set) != 1 || eng.set[0] != "gpt-4.1-mini" {
		t.Fatalf("SetModel calls: %v", eng.set)
	}
	s = screen(m)
	if strings.Contains(s, "switch model ·") {
		t.Fatalf("picker still open:\n%s", s)
	}
	if !strings.Contains(s, "model switched: test-model → gpt-4.1-mini") {
		t.Fatalf("the stream does not show the switch:\n%s", s)
	}
	last := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if bar := last[len(last)-1]; !strings.Contains(bar, "gpt-4.1-mini") {
		t.Fatalf("status bar shows the old model: %q", bar)
	}
}

func TestModelPickerTakesANameTheEndpointDoesNotList(t *testing.T) {
	eng := newSwitchingEngine()
	eng.listErr = errors.New("llm: http://x/v1/models answered HTTP 404 (not found): type the model's name instead")
	m := New(eng, testOptions())
	t.Cleanup(func() { _ = m.Close() })
	update(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	openPickerNow(t, m)
	if s := screen(m); !strings.Contains(s, "HTTP 404") {
		t.Fatalf("list error not shown:\n%s", s)
	}
	typeText(m, "my-finetune")
	if s := screen(m); !strings.Contains(s, `▸ use "my-finetune"`) {
		t.Fatalf("free text not offered:\n%s", s)
	}
	press(m, "enter")
	if len(eng.set) != 1 || eng.set[0] != "my-finetune" {
		t.Fatalf("SetModel calls: %v", eng.set)
	}
	// Esc closes without switching.
	openPickerNow(t, m)
	press(m, "esc")
	if len(eng.set) != 1 {
		t.Fatalf("esc switched: %v", eng.set)
	}
}

func TestModelPickerGolden(t *testing.T) {
	runGoldenAs(t, false, func(eng *fakeEngine) Model {
		return New(&switchingEngine{fakeEngine: eng, cur: "test-model"}, testOptions())
	}, func(tm *teatest.TestModel, eng *fakeEngine) {
		eng.Emit(evSandbox("started"))
		tm.Send(keyMsg("ctrl+o"))
		tm.Send(keyMsg("g"))
		tm.Send(keyMsg("p"))
		tm.Send(keyMsg("t"))
	}, "gpt-4.1-mini")
}

// longListEngine lists as many models as a big gateway does.
type longListEngine struct {
	*switchingEngine
	ids []string
}

func (l *longListEngine) Models(ctx context.Context) ([]string, error) {
	return append([]string{l.cur}, l.ids...), nil
}

func manyModels(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("vendor-%02d/model-%03d", i%17, i)
	}
	return ids
}

func newLongList(eng *fakeEngine, n int) *longListEngine {
	eng.info.ModelName = "configured-model"
	sw := &switchingEngine{fakeEngine: eng, cur: "test-model"}
	return &longListEngine{switchingEngine: sw, ids: append(manyModels(n), "configured-model")}
}

func TestModelPickerPagesThroughHundredsOfModels(t *testing.T) {
	eng := newFakeEngine()
	le := newLongList(eng, 400)
	m := New(le, testOptions())
	t.Cleanup(func() { _ = m.Close() })
	m.Init()
	update(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	// The engine says test-model is in use (a switch), the config names
	// configured-model: in use first, configured second.
	update(m, eventsMsg{events: []session.Event{{Kind: session.KindModel, ModelChange: &session.ModelChange{From: "configured-model", To: "test-model"}}}})
	openPickerNow(t, m)
	s := screen(m)
	i, j := strings.Index(s, "test-model  (in use)"), strings.Index(s, "configured-model  (configured)")
	if i < 0 || j < i || !strings.Contains(s, "1/402") {
		t.Fatalf("in use, then configured, then the count expected:\n%s", s)
	}
	rows := m.m.picker.rows
	press(m, "pgdown")
	if m.m.picker.sel != rows {
		t.Fatalf("pgdown: sel %d, want a page (%d)", m.m.picker.sel, rows)
	}
	press(m, "end")
	if s := screen(m); !strings.Contains(s, "▸ vendor-08/model-399") || !strings.Contains(s, "402/402") {
		t.Fatalf("end does not show the last model:\n%s", s)
	}
	top := m.m.picker.top
	press(m, "up")
	if m.m.picker.top != top {
		t.Fatal("moving up inside the window scrolled it")
	}
	press(m, "pgup", "home")
	if s := screen(m); !strings.Contains(s, "▸ test-model") {
		t.Fatalf("home does not go back to the first:\n%s", s)
	}
	// The filter narrows the long list and starts at its first match,
	// wherever the selection was; paging stays within it.
	press(m, "end")
	typeText(m, "model-39")
	if s := screen(m); !strings.Contains(s, "▸ vendor-16/model-390") {
		t.Fatalf("a new filter does not select its first match:\n%s", s)
	}
	if ch := m.m.picker.choices(); len(ch) != 11 { // model-390…399, then the text itself
		t.Fatalf("filter model-39: %d choices %q", len(ch), ch)
	}
	press(m, "end", "enter")
	if le.set[len(le.set)-1] != "model-39" {
		t.Fatalf("switched to %q", le.set)
	}
}

func TestModelPickerLongListGolden(t *testing.T) {
	runGoldenAs(t, false, func(eng *fakeEngine) Model {
		return New(newLongList(eng, 300), testOptions())
	}, func(tm *teatest.TestModel, eng *fakeEngine) {
		eng.Emit(evSandbox("started"))
		tm.Send(keyMsg("ctrl+o"))
		waitScreen(t, tm, 1, "1/302") // the list is in
		tm.Send(keyMsg("pgdown"))
		tm.Send(keyMsg("down"))
	}, "/302 · ↑")
}

func BenchmarkModelPickerFilterKeyOn2000Models(b *testing.B) {
	eng := newFakeEngine()
	m := New(newLongList(eng, 2000), testOptions())
	b.Cleanup(func() { _ = m.Close() })
	m.Init()
	update(m, tea.WindowSizeMsg{Width: 160, Height: 48})
	openPickerNow(b, m)
	b.ResetTimer()
	for i := range b.N {
		// A key that changes the filter, then the frame it shows.
		if i%2 == 0 {
			typeText(m, "7")
		} else {
			press(m, "backspace")
		}
		_ = m.View()
	}
}
