package eventlist

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/tether-dev/tether/session"
)

func (f *feed) fileView(id, path, content string) []session.Event {
	a := f.ev(session.KindAction)
	args, _ := json.Marshal(map[string]string{"command": "view", "path": path})
	a.Action = &session.Action{ToolCallID: id, Tool: "file_editor", Args: args, Summary: "view " + path}
	o := f.ev(session.KindObservation)
	o.Observation = &session.Observation{ToolCallID: id, Tool: "file_editor", Content: content}
	return []session.Event{a, o}
}

func (f *feed) fileEdit(id, path, diff string) []session.Event {
	a := f.ev(session.KindAction)
	args, _ := json.Marshal(map[string]string{"command": "str_replace", "path": path})
	a.Action = &session.Action{ToolCallID: id, Tool: "file_editor", Args: args, Summary: "edit " + path}
	o := f.ev(session.KindObservation)
	o.Observation = &session.Observation{ToolCallID: id, Tool: "file_editor", Content: "edited", Diff: diff}
	return []session.Event{a, o}
}

func appendAll(m *Model, evs []session.Event) {
	for _, ev := range evs {
		m.Append(ev)
	}
}

func rowWith(view, text string) string {
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(ansi.Strip(l), text) {
			return l
		}
	}
	return ""
}

const goView = "Here's the result of running `cat -n` on /w/main.go:\n     1\tpackage main\n     2\t/* a comment\n     3\t   over two lines */\n     4\tfunc main() { s := \"str\" }\n"

func TestFileViewIsHighlightedByTheFileName(t *testing.T) {
	m := colored(t, false)
	var f feed
	appendAll(m, f.fileView("v", "/w/main.go", goView))
	v := m.View()
	if row := rowWith(v, "func main"); !strings.Contains(row, "\x1b[35mfunc") || !strings.Contains(row, "\x1b[32m\"str\"") {
		t.Fatalf("keyword or string not coloured: %q", row)
	}
	// The comment's second line is lexed as part of the comment.
	if row := rowWith(v, "over two lines"); !strings.Contains(row, "90m   over two lines") {
		t.Fatalf("multi-line comment lost its colour on line 2: %q", row)
	}
	if got := ansi.Strip(v); !strings.Contains(got, "     4  func main() { s := \"str\" }") {
		t.Fatalf("highlighting changed the text:\n%s", got)
	}
}

func TestFileViewOfUnknownTypeAndUnderNoColorHasNoSyntaxColours(t *testing.T) {
	m := colored(t, false)
	var f feed
	appendAll(m, f.fileView("v", "/w/notes.unknownext", strings.ReplaceAll(goView, "/w/main.go", "/w/notes.unknownext")))
	if row := rowWith(m.View(), "func main"); strings.Contains(row, "\x1b[35m") {
		t.Fatalf("unknown file type highlighted: %q", row)
	}
	n := colored(t, true)
	appendAll(n, f.fileView("w", "/w/main.go", goView))
	if v := n.View(); strings.Contains(v, "\x1b[3") && strings.Contains(v, "\x1b[35") {
		t.Fatalf("colours under NO_COLOR: %q", rowWith(v, "func main"))
	}
}

func TestFileViewEscapesInTheFileStayInert(t *testing.T) {
	m := colored(t, false)
	var f feed
	appendAll(m, f.fileView("v", "/w/x.go", "Here's the result of running `cat -n` on /w/x.go:\n     1\tvar s = \"\x1b]52;c;aGk=\x07\x1b[2J\"\n"))
	v := m.View()
	if strings.Contains(v, "\x1b]") || strings.Contains(v, "\x1b[2J") || strings.Contains(v, "\x07") {
		t.Fatalf("escape from the file reached the view: %q", v)
	}
}

const goDiff = "--- /w/main.go\n+++ /w/main.go\n@@ -1,2 +1,2 @@\n package main\n-func a() int { return 1 }\n+func b() string { return \"x\" }\n"

func TestDiffLinesAreHighlightedOnATintedBackground(t *testing.T) {
	m := colored(t, false)
	var f feed
	appendAll(m, f.fileEdit("d", "/w/main.go", goDiff))
	v := m.View()
	add, del := rowWith(v, "+func b"), rowWith(v, "-func a")
	if !strings.Contains(add, "48;5;22m") || !strings.Contains(add, "35;48;5;22mfunc") {
		t.Fatalf("added line not tinted and highlighted: %q", add)
	}
	if !strings.Contains(del, "48;5;52m") || !strings.Contains(del, "1;31;48;5;52m-") {
		t.Fatalf("removed line not tinted with a red marker: %q", del)
	}
	if ctx := rowWith(v, " package main"); strings.Contains(ctx, "48;5;") {
		t.Fatalf("context line tinted: %q", ctx)
	}
	m.SetLight(true)
	if add := rowWith(m.View(), "+func b"); !strings.Contains(add, "48;5;194m") {
		t.Fatalf("light background keeps the dark tint: %q", add)
	}
}

func TestDiffUnderNoColorKeepsTheOldAttributes(t *testing.T) {
	m := colored(t, true)
	var f feed
	appendAll(m, f.fileEdit("d", "/w/main.go", goDiff))
	v := m.View()
	if strings.Contains(v, "48;5;") || strings.Contains(v, "\x1b[35") {
		t.Fatalf("colour under NO_COLOR: %q", v)
	}
	if !strings.Contains(ansi.Strip(v), "+func b() string") {
		t.Fatalf("diff text lost:\n%s", ansi.Strip(v))
	}
}
