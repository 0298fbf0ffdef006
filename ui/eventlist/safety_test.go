package eventlist

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestHostileOutputIsInert(t *testing.T) {
	m := plain(t)
	m.SetSize(100, 40)
	var f feed
	hostile := "\x1b[2J\x1b[H\x1b]52;c;cm0gLXJmIH4=\x07\n\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\\n" +
		"\x1b]0;title\x07\x1bP+q\x1b\\\x1b[c\x1b[6n\n\rover\bwrite\x07\u009b31m\x9b\xff\u202eabc\x1b[31mred\x1b[0m\n"
	h2 := f.action("h", "cat evil\x1b[2J")
	m.Append(h2)
	m.Append(f.output("h", hostile))
	m.Append(f.output("h", "\x1b[1"))
	m.Append(f.output("h", "A partial\x1b"))
	m.Append(f.user("prompt \x1b]52;c;AAAA\x07"))
	m.Append(f.assistant("answer \x1b[2J"))
	m.Append(f.err("err \x1b[6n"))
	v := m.View()
	if strings.ContainsRune(v, 0x1b) {
		t.Fatalf("view contains a raw ESC:\n%q", v)
	}
	for _, r := range v {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) {
			t.Fatalf("view contains control %U:\n%q", r, v)
		}
	}
	mustContain(t, v, "␛[2J␛[H", "␛]52;c;cm0gLXJmIH4=␇", "│ over␈write", `\x9b31m`, `\xff`, `\u202eabcred`, "│ ␛[1A partial␛", "$ cat evil␛[2J")

	press(m, "k", "enter", "end")
	fv := m.View()
	if strings.ContainsRune(fv, 0x1b) {
		t.Fatalf("full view contains a raw ESC:\n%q", fv)
	}
	mustContain(t, fv, "␛]8;;http://evil␛\\link")
}

var ownSGR = regexp.MustCompile("\x1b\\[[0-9;:]*m")

// With real styles the only escape sequences in the view are the list's
// own SGR colours; sandbox output adds none.
func TestHostileOutputWithStyles(t *testing.T) {
	for _, noColor := range []bool{false, true} {
		m := New(Options{NoColor: noColor, SpillDir: t.TempDir()})
		m.Focus()
		m.SetSize(80, 20)
		var f feed
		m.Append(f.action("h", "x"))
		m.Append(f.output("h", "\x1b]52;c;AAAA\x07\x1b[2J\x1b[?1049h\x1b]8;;http://e\x1b\\x\n\x1bP$q\x1b\\\u009b6n\n"))
		m.Append(f.obs("h", 1, 0))
		v := m.View()
		if rest := ownSGR.ReplaceAllString(v, ""); strings.ContainsRune(rest, 0x1b) {
			t.Fatalf("noColor=%v: escape other than SGR in view: %q", noColor, rest)
		}
		if !strings.Contains(ansi.Strip(v), "␛]52;c;AAAA␇␛[2J␛[?1049h") {
			t.Fatalf("noColor=%v: hostile output not shown inert: %q", noColor, ansi.Strip(v))
		}
		if noColor && regexp.MustCompile("\x1b\\[[0-9;]*3[0-9]m|\x1b\\[[0-9;]*38;").MatchString(v) {
			t.Fatalf("NoColor view has a colour: %q", v)
		}
		m.Close()
	}
}

func TestSpillDirFailureKeepsWorking(t *testing.T) {
	st := PlainStyles()
	// A directory that cannot be created (even as root): under a file.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	m := New(Options{Styles: &st, SpillDir: filepath.Join(file, "spill"), MaxOutputRAM: 4 << 10})
	defer m.Close()
	m.Focus()
	m.SetSize(80, 10)
	var f feed
	toolWithLines(&f, m, "a", 5000)
	mustContain(t, m.View(), "│ line 5000")
	press(m, "enter", "home")
	mustContain(t, m.View(), "line 1\n")
	press(m, "/")
	typeText(m, "not kept")
	press(m, "enter")
	firstLost := m.entries[0].out.head.len() + 1
	mustContain(t, m.View(), "line not kept", fmt.Sprintf("%d │ (line not kept", firstLost), fmt.Sprintf("%d │ line %d\n", firstLost-1, firstLost-1))
	press(m, "end")
	mustContain(t, m.View(), "line 5000\n")
}

func TestCloseRemovesSpillFiles(t *testing.T) {
	dir := t.TempDir()
	st := PlainStyles()
	m := New(Options{Styles: &st, SpillDir: dir, MaxOutputRAM: 8 << 10})
	var f feed
	toolWithLines(&f, m, "a", 10000)
	files, _ := os.ReadDir(dir)
	if len(files) != 1 {
		t.Fatalf("%d spill files, want 1", len(files))
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ = os.ReadDir(dir)
	if len(files) != 0 {
		t.Fatalf("%d spill files left after Close", len(files))
	}
	// Events after Close still show, but leave no file behind.
	toolWithLines(&f, m, "b", 10000)
	if files, _ = os.ReadDir(dir); len(files) != 0 {
		t.Fatalf("%d spill files created after Close", len(files))
	}
	m.SetSize(40, 5)
	mustContain(t, m.View(), "line 10000")
}
