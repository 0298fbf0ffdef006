package eventlist

import (
	"fmt"
	"testing"
)

func TestSearchJumps(t *testing.T) {
	m := plain(t)
	m.SetSize(60, 8)
	var f feed
	for i := 0; i < 200; i++ {
		if i == 42 || i == 150 {
			toolWithLines(&f, m, fmt.Sprint("t", i), 3)
			m.Append(f.user(fmt.Sprintf("needle at %d", i)))
			continue
		}
		m.Append(f.user(fmt.Sprintf("hay %d", i)))
	}
	press(m, "/")
	typeText(m, "NEEDLE")
	press(m, "backspace", "backspace", "backspace", "backspace", "backspace", "backspace")
	typeText(m, "needle")
	press(m, "enter")
	if m.Following() {
		t.Fatal("a search jump stops following")
	}
	mustContain(t, m.View(), "needle at 150")
	press(m, "N")
	mustContain(t, m.View(), "needle at 42")
	press(m, "n")
	mustContain(t, m.View(), "needle at 150")
	press(m, "n") // wraps to the first
	v := m.View()
	mustContain(t, v, "needle at 42", "(wrapped)")

	// Search reaches tool output.
	press(m, "/")
	for range "needle" {
		press(m, "backspace")
	}
	typeText(m, "line 3")
	press(m, "enter")
	mustContain(t, m.View(), "│ line 3")

	// Filter shows only matching entries.
	press(m, "/")
	for range "line 3" {
		press(m, "backspace")
	}
	typeText(m, "needle")
	press(m, "enter", "ctrl+f")
	v = m.View()
	mustContain(t, v, "needle at 42", "needle at 150", `filter "needle": 2 matching`)
	mustNotContain(t, v, "hay")
	press(m, "ctrl+f")
	mustContain(t, m.View(), "hay")

	press(m, "/")
	typeText(m, "zzz")
	press(m, "enter")
	mustContain(t, m.View(), "no match")
}
