package eventlist

import (
	"strings"
	"testing"
)

func styledModel(t *testing.T, noColor bool) *Model {
	t.Helper()
	st := DefaultStyles(noColor, false)
	m := New(Options{Styles: &st, SpillDir: t.TempDir()})
	t.Cleanup(func() { m.Close() })
	m.Focus()
	m.SetSize(80, 12)
	return m
}

func TestCommandColoursShownAsOurOwnStyles(t *testing.T) {
	m := styledModel(t, false)
	var f feed
	m.Append(f.action("c", "go test"))
	m.Append(f.output("c", "\x1b[1;31mFAIL\x1b[0m pkg \x1b[38;2;10;200;30mok\x1b[m\x1b]8;;http://x\x1b\\l\n"))
	m.Append(f.obs("c", 1, 0))
	v := m.View()
	// lipgloss writes bold and red from our values; the command's own
	// byte string "\x1b[1;31m" is not copied through.
	mustContain(t, v, "\x1b[1;31mFAIL", "\x1b[38;2;10;200;30mok", "␛]8;;http://x␛\\l")
	for _, bad := range []string{"\x1b]", "\x1b[m\x1b]"} {
		if strings.Contains(v, bad) {
			t.Fatalf("raw %q in view %q", bad, v)
		}
	}
	// Search and the full view work on the plain text.
	press(m, "enter")
	fv := m.View()
	mustContain(t, fv, "FAIL pkg ok")
}

func TestCommandColoursNoColorKeepsAttributes(t *testing.T) {
	m := styledModel(t, true)
	var f feed
	m.Append(f.action("c", "ls"))
	m.Append(f.output("c", "\x1b[1;34mdir\x1b[0m \x1b[4;32mlink\x1b[0m\n"))
	m.Append(f.obs("c", 0, 0))
	v := m.View()
	mustContain(t, v, "\x1b[1mdir", "4mlink")
	mustNotContain(t, v, "34m", "32m")
}

func TestCommandColoursPlainStylesEmitNoEscape(t *testing.T) {
	m := plain(t)
	m.SetSize(80, 12)
	var f feed
	m.Append(f.action("c", "ls"))
	m.Append(f.output("c", "\x1b[1;34mdir\x1b[0m\n"))
	m.Append(f.output("c", "\x1b[32mrunning"))
	v := m.View()
	if strings.ContainsRune(v, 0x1b) {
		t.Fatalf("escape in plain view %q", v)
	}
	mustContain(t, v, "│ dir", "│ running")
}

func TestCommandColoursDroppedWithTheirLines(t *testing.T) {
	st := PlainStyles()
	m := New(Options{Styles: &st, SpillDir: t.TempDir(), MaxOutputRAM: 4 << 10})
	t.Cleanup(func() { m.Close() })
	var f feed
	m.Append(f.action("c", "yes"))
	for i := 0; i < 2000; i++ {
		m.Append(f.output("c", "\x1b[31mred line\x1b[0m\n"))
	}
	o := m.toolEntry("c").out
	if o.dropped() == 0 {
		t.Fatal("test needs dropped lines")
	}
	if got, max := len(o.spans), o.head.len()+o.tail.len(); got > max {
		t.Fatalf("%d span entries kept for %d lines in memory", got, max)
	}
}
