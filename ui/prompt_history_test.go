package ui

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// runAll runs cmd and what it batches, each in its own goroutine (some
// wait on the engine and never return here).
func runAll(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		if b, ok := cmd().(tea.BatchMsg); ok {
			for _, c := range b {
				runAll(c)
			}
		}
	}()
}

func TestPromptHistoryFromEarlierRunsAndSaved(t *testing.T) {
	eng := newFakeEngine()
	opts := testOptions()
	opts.History = []string{"ls -la", "make test"}
	saved := make(chan string, 4)
	opts.SaveHistory = func(p string) { saved <- p }
	m := New(eng, opts)
	t.Cleanup(func() { _ = m.Close() })
	m.Init()
	update(m, tea.WindowSizeMsg{Width: 80, Height: 24})

	press(m, "up")
	if got := m.m.prompt.value(); got != "make test" {
		t.Fatalf("↑ on a fresh start: %q; want the last prompt of the earlier run", got)
	}
	press(m, "up")
	if got := m.m.prompt.value(); got != "ls -la" {
		t.Fatalf("↑↑: %q", got)
	}
	press(m, "down", "down")
	typeText(m, "write the readme")
	runAll(update(m, keyMsg("enter")))
	select {
	case p := <-saved:
		if p != "write the readme" {
			t.Errorf("saved %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the sent prompt was never handed to SaveHistory")
	}
	// Sending the same prompt again is not a new entry.
	typeText(m, "write the readme")
	runAll(update(m, keyMsg("enter")))
	select {
	case p := <-saved:
		t.Errorf("a repeated prompt was saved again: %q", p)
	case <-time.After(200 * time.Millisecond):
	}
	press(m, "up")
	if got := m.m.prompt.value(); got != "write the readme" {
		t.Errorf("↑ after sending: %q", got)
	}
}
