package eventlist

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

func copyNow(t *testing.T, m *Model) CopyMsg {
	t.Helper()
	cmd := m.Update(keyMsg("c"))
	if cmd == nil {
		t.Fatalf("copy key gave no command (note %q)", m.search.note)
	}
	msg, ok := cmd().(CopyMsg)
	if !ok {
		t.Fatal("copy command did not produce a CopyMsg")
	}
	return msg
}

func TestCopyTakesTheSelectedToolsWholeOutputSanitized(t *testing.T) {
	st := PlainStyles()
	m := New(Options{Styles: &st, SpillDir: t.TempDir(), MaxOutputRAM: 4 << 10})
	defer m.Close()
	m.Focus()
	m.SetSize(80, 20)
	var f feed
	m.Append(f.action("c1", "seq 1 3000"))
	var b strings.Builder
	for i := 1; i <= 3000; i++ {
		b.WriteString(strings.Repeat("x", 10))
		b.WriteString("\n")
	}
	m.Append(f.output("c1", "\x1b[31mred\x1b[0m \x1b]52;c;aGk=\x07\n"+b.String()))
	m.Append(f.obs("c1", 0, time.Second))
	m.View()
	c := copyNow(t, m)
	if c.Lines != 3001 {
		t.Fatalf("copied %d lines, want 3001 (spilled lines read back)", c.Lines)
	}
	first := strings.SplitN(c.Text, "\n", 2)[0]
	if strings.ContainsAny(c.Text, "\x1b\x07") || !strings.HasPrefix(first, "red ") {
		t.Fatalf("copied text not what the list shows: %q", first)
	}
	if !strings.Contains(c.What, "seq 1 3000") {
		t.Fatalf("What = %q", c.What)
	}
}

func TestCopyTakesAMessageAndTheFullViewsOutput(t *testing.T) {
	m := plain(t)
	m.SetSize(80, 20)
	var f feed
	m.Append(f.action("c1", "ls"))
	m.Append(f.output("c1", "a\nb\n"))
	m.Append(f.obs("c1", 0, time.Second))
	m.Append(f.assistant("Here is **the** answer."))
	m.View()
	if c := copyNow(t, m); c.Text != "Here is **the** answer." || c.What != "the agent's reply" {
		t.Fatalf("copy of the reply = %+v", c)
	}
	press(m, "k", "enter") // the tool call, its full view
	if !m.InFullView() {
		t.Fatal("full view not open")
	}
	if c := copyNow(t, m); c.Text != "a\nb" {
		t.Fatalf("copy in the full view = %q", c.Text)
	}
}

func TestCopyOfNothingSaysSo(t *testing.T) {
	m := plain(t)
	m.SetSize(80, 10)
	if cmd := m.Update(tea.KeyPressMsg{Code: 'c', Text: "c"}); cmd != nil {
		t.Fatal("copy of an empty list sent something")
	}
	if !strings.Contains(m.View(), "nothing to copy") {
		t.Fatalf("no note:\n%s", m.View())
	}
}
