package eventlist

import (
	"testing"
)

func TestFullViewGoToLine(t *testing.T) {
	st := PlainStyles()
	m := New(Options{Styles: &st, SpillDir: t.TempDir(), MaxOutputRAM: 16 << 10})
	defer m.Close()
	m.Focus()
	m.SetSize(80, 12)
	var f feed
	bigOutput(t, m, &f, "s", 5000, true) // the middle lives in the spill file
	press(m, "enter")
	if !m.FullOutputOpen() {
		t.Fatal("full view did not open")
	}
	press(m, ":")
	typeText(m, "2500")
	mustContain(t, m.View(), ":2500")
	press(m, "enter")
	v := m.View()
	mustContain(t, v, "2500 │ line 2500", "line 2500 of 5000")

	press(m, ":")
	typeText(m, "9999")
	press(m, "enter")
	mustContain(t, m.View(), "no line 9999: the output has 5000 lines")
	press(m, ":")
	typeText(m, "x1")
	press(m, "enter")
	mustContain(t, m.View(), `not a line number: "x1"`)
	// esc leaves the prompt without moving, and search still works after it.
	press(m, ":")
	typeText(m, "1")
	press(m, "esc")
	mustContain(t, m.View(), "2500 │ line 2500")
	press(m, "/")
	mustContain(t, m.View(), "/")
}

func TestFullViewSearchShowsMatchCount(t *testing.T) {
	st := PlainStyles()
	m := New(Options{Styles: &st, SpillDir: t.TempDir(), MaxOutputRAM: 16 << 10})
	defer m.Close()
	m.Focus()
	m.SetSize(80, 12)
	var f feed
	bigOutput(t, m, &f, "s", 3000, true)
	press(m, "enter")
	// "line 17" matches 17, 170–179, 1700–1799: 111 lines.
	press(m, "/")
	typeText(m, "line 17")
	press(m, "enter")
	mustContain(t, m.View(), "/line 17: 1/111 · line 17")
	press(m, "n")
	mustContain(t, m.View(), "/line 17: 2/111 · line 170")
	press(m, "N", "N")
	mustContain(t, m.View(), "/line 17: 111/111 · line 1799")
}
