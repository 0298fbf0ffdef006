package ui

import (
	"context"
	"errors"
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

func openPickerNow(t *testing.T, m Model) {
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
