package eventlist

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/session"
)

// feed builds events with increasing Seq.
type feed struct{ seq int64 }

func (f *feed) ev(k session.Kind) session.Event {
	f.seq++
	return session.Event{ID: fmt.Sprint(f.seq), Seq: f.seq, Time: time.Unix(1700000000, 0), Kind: k}
}

func (f *feed) user(text string) session.Event {
	e := f.ev(session.KindUserMessage)
	e.Message = &session.Message{Text: text}
	return e
}

func (f *feed) delta(text string) session.Event {
	e := f.ev(session.KindAssistantDelta)
	e.Message = &session.Message{Text: text}
	return e
}

func (f *feed) assistant(text string) session.Event {
	e := f.ev(session.KindAssistantMessage)
	e.Message = &session.Message{Text: text}
	return e
}

func (f *feed) action(id, command string) session.Event {
	e := f.ev(session.KindAction)
	args, _ := json.Marshal(map[string]string{"command": command})
	e.Action = &session.Action{ToolCallID: id, Tool: "terminal", Args: args, Command: command}
	return e
}

func (f *feed) output(id, data string) session.Event {
	e := f.ev(session.KindOutput)
	e.Output = &session.Output{ToolCallID: id, Stream: "stdout", Data: data}
	return e
}

func (f *feed) obs(id string, exit int, d time.Duration) session.Event {
	e := f.ev(session.KindObservation)
	e.Observation = &session.Observation{ToolCallID: id, Tool: "terminal", ExitCode: &exit, Duration: d}
	return e
}

func (f *feed) state(from, to session.State) session.Event {
	e := f.ev(session.KindState)
	e.State = &session.StateChange{From: from, To: to}
	return e
}

func (f *feed) err(msg string) session.Event {
	e := f.ev(session.KindError)
	e.Error = &session.ErrorInfo{Message: msg}
	return e
}

func plain(t testing.TB) *Model {
	t.Helper()
	st := PlainStyles()
	m := New(Options{Styles: &st, SpillDir: t.TempDir()})
	t.Cleanup(func() { m.Close() })
	m.Focus()
	return m
}

var keyCodes = map[string]rune{
	"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
	"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
	"enter": tea.KeyEnter, "esc": tea.KeyEscape, "backspace": tea.KeyBackspace,
}

func keyMsg(s string) tea.KeyPressMsg {
	if c, ok := keyCodes[s]; ok {
		return tea.KeyPressMsg{Code: c}
	}
	switch s {
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	}
	if c, ok := strings.CutPrefix(s, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: rune(c[0]), Mod: tea.ModCtrl}
	}
	r := []rune(s)
	return tea.KeyPressMsg{Code: r[0], Text: s}
}

// press sends keys; a key of several characters not in keyCodes is typed
// one character at a time (search queries).
func press(m *Model, keys ...string) {
	for _, k := range keys {
		m.Update(keyMsg(k))
	}
}

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// checkBox asserts the View is exactly h lines of at most w cells.
func checkBox(t *testing.T, view string, w, h int) []string {
	t.Helper()
	if h == 0 {
		if view != "" {
			t.Fatalf("height 0: view = %q, want empty", view)
		}
		return nil
	}
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Fatalf("view has %d lines, want %d:\n%s", len(lines), h, view)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got > w {
			t.Fatalf("line %d is %d cells wide, want <= %d: %q", i, got, w, l)
		}
	}
	return lines
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// shellStream mirrors what package ui needs of the list (ui/stream.go);
// the assertion keeps the two in step without importing ui.
type shellStream interface {
	Append(ev session.Event)
	SetSize(width, height int)
	Update(msg tea.Msg) tea.Cmd
	View() string
	Focus()
	Blur()
	Focused() bool
	Following() bool
	CapturingInput() bool
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	Close() error
	Len() int
}

var _ shellStream = (*Model)(nil)
