package ui

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tether-dev/tether/ui/eventlist"
	"github.com/tether-dev/tether/ui/uitest"
)

func TestCopyWritesOSC52AndTheNativeClipboard(t *testing.T) {
	var mu sync.Mutex
	var native []string
	o := testOptions()
	o.NativeClipboard = func(s string) error { mu.Lock(); native = append(native, s); mu.Unlock(); return nil }
	eng := newFakeEngine()
	m := New(eng, o)
	t.Cleanup(func() { _ = m.Close() })
	update(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	eng.Emit(uitest.User("hi"), uitest.Assistant("the reply text"))
	pump(m, eng)
	press(m, "tab") // the stream
	var copyMsg tea.Msg
	for _, msg := range uitest.RunCmd(update(m, keyMsg("c")), time.Second) {
		if _, ok := msg.(eventlist.CopyMsg); ok {
			copyMsg = msg
		}
	}
	if copyMsg == nil {
		t.Fatalf("no copy message; screen:\n%s", screen(m))
	}
	msgs := uitest.RunCmd(update(m, copyMsg), time.Second)
	osc := false
	for _, msg := range msgs {
		// Bubble Tea writes OSC 52 for this (unexported) message.
		if fmt.Sprintf("%T", msg) == "tea.setClipboardMsg" && fmt.Sprint(msg) == "the reply text" {
			osc = true
		}
	}
	if !osc {
		t.Fatalf("no clipboard message among %v", msgs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(native) != 1 || native[0] != "the reply text" {
		t.Fatalf("native clipboard got %q", native)
	}
	if s := screen(m); !strings.Contains(s, "copied the agent's reply, 1 line, to the clipboard") {
		t.Fatalf("no notice:\n%s", s)
	}
}

func TestCtrlGReleasesTheMouseForTextSelection(t *testing.T) {
	eng := newFakeEngine()
	m := newTestModel(t, eng, 120, 30)
	if m.View().MouseMode != tea.MouseModeCellMotion {
		t.Fatal("mouse not captured at start")
	}
	press(m, "ctrl+g")
	v := m.View()
	if v.MouseMode != tea.MouseModeNone {
		t.Fatal("ctrl+g did not release the mouse")
	}
	if s := screen(m); !strings.Contains(s, "select text (ctrl+g)") {
		t.Fatalf("status bar does not say the mouse is released:\n%s", s)
	}
	press(m, "ctrl+g")
	if m.View().MouseMode != tea.MouseModeCellMotion {
		t.Fatal("second ctrl+g did not capture the mouse again")
	}
}
