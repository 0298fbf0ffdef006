package eventlist

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func colored(t *testing.T, noColor bool) *Model {
	t.Helper()
	m := New(Options{NoColor: noColor, SpillDir: t.TempDir()})
	t.Cleanup(func() { m.Close() })
	m.SetSize(80, 30)
	return m
}

func TestMarkdownRepliesAreRenderedNotShownAsSource(t *testing.T) {
	m := plain(t)
	m.SetSize(80, 20)
	var f feed
	m.Append(f.assistant("Intro.\n\n- first item\n- second item\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
	v := m.View()
	for _, want := range []string{"● Intro.", "• first item", "• second item"} {
		if !strings.Contains(v, want) {
			t.Fatalf("view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "- first") || strings.Contains(v, "|---|") {
		t.Fatalf("markdown source shown as is:\n%s", v)
	}
	checkBox(t, v, 80, 20)
}

func TestMarkdownEmphasisAndCodeAreStyledWithColours(t *testing.T) {
	m := colored(t, false)
	var f feed
	m.Append(f.assistant("Some **bold** text.\n\n```go\nfunc main() {}\n```"))
	v := m.View()
	if !strings.Contains(v, "\x1b[1m") && !strings.Contains(v, "\x1b[1;") {
		t.Fatalf("bold not rendered: %q", v)
	}
	if strings.Contains(ansi.Strip(v), "**bold**") {
		t.Fatalf("markup shown: %q", ansi.Strip(v))
	}
	// The keyword and the function name are highlighted differently.
	row := ""
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(ansi.Strip(l), "func main") {
			row = l
		}
	}
	if strings.Count(row, "\x1b[38;") < 2 {
		t.Fatalf("code block not highlighted: %q", row)
	}
}

func TestMarkdownUnderNoColorKeepsAttributesOnly(t *testing.T) {
	m := colored(t, true)
	var f feed
	m.Append(f.assistant("# Title\n\nSome **bold** text.\n\n```go\nfunc main() {}\n```"))
	v := m.View()
	if strings.Contains(v, "38;") || strings.Contains(v, "48;") || strings.Contains(v, "\x1b[3") {
		t.Fatalf("colour under NO_COLOR: %q", v)
	}
	if !strings.Contains(v, "\x1b[1") {
		t.Fatalf("bold dropped under NO_COLOR: %q", v)
	}
}

func TestMarkdownModelEscapesAndLinksStayInert(t *testing.T) {
	m := colored(t, false)
	var f feed
	m.Append(f.assistant("See [the docs](https://example.com/x) and \x1b]8;;https://evil/\x07click\x1b]8;;\x07 \x1b[2J\x1b]52;c;aGk=\x07 done.\n\n```sh\necho \x1b[31mred\n```"))
	v := m.View()
	for _, bad := range []string{"\x1b]", "\x07", "\x1b[2J"} {
		if strings.Contains(v, bad) {
			t.Fatalf("view carries %q: %q", bad, v)
		}
	}
	s := ansi.Strip(v)
	if !strings.Contains(s, "https://example.com/x") || !strings.Contains(s, "␛") {
		t.Fatalf("link URL or escape glyphs not visible: %s", s)
	}
}

func TestMarkdownStreamingRendersFinishedBlocksOnceAndTheRestEachFrame(t *testing.T) {
	m := plain(t)
	m.SetSize(100, 200)
	var f feed
	reply := sampleReply(3 << 10)
	for i := 0; i < len(reply); i += 100 {
		m.Append(f.delta(reply[i:min(i+100, len(reply))]))
		_ = m.View()
	}
	e := m.entries[len(m.entries)-1]
	if e.mds == nil || e.mds.done == 0 || e.mds.done < len(reply)/2 {
		t.Fatalf("finished blocks not kept while streaming: %+v", e.mds)
	}
	streamed := m.lines(e)
	m.Append(f.assistant(reply))
	final := m.lines(e)
	if e.mds != nil {
		t.Fatal("finished reply still keeps its streaming render")
	}
	// Block by block or whole, the reply reads the same.
	if strings.Join(streamed, "\n") != strings.Join(final, "\n") {
		t.Fatalf("streamed render differs from the final one:\n%s\n---\n%s", strings.Join(streamed, "\n"), strings.Join(final, "\n"))
	}
}

func TestMarkdownBlockBoundaryNeverCutsACodeFence(t *testing.T) {
	s := "para\n\n```\ncode\n\nmore code\n```\n\ntail"
	got := blockBoundary(s, 0)
	if s[:got] != "para\n\n```\ncode\n\nmore code\n```\n\n" {
		t.Fatalf("boundary at %d: %q", got, s[:got])
	}
	if got := blockBoundary("para\n\n```\ncode\n\nstill open", 0); got != len("para\n\n") {
		t.Fatalf("boundary inside an open fence: %d", got)
	}
}
