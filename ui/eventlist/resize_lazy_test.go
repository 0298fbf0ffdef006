package eventlist

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func replyList(t *testing.T, lazy bool, w int) *Model {
	t.Helper()
	m := New(Options{SpillDir: t.TempDir(), LazyResize: lazy})
	t.Cleanup(func() { _ = m.Close() })
	m.SetSize(w, 30)
	var f feed
	m.Append(f.assistant("Here is the **plan** for the change:\n\n- read `main.go` and the tests beside it first\n- then change the handler so errors are wrapped with what to do next\n\nThat keeps every caller working."))
	return m
}

// A drag re-flows the finished reply (no glamour per width); once the
// size settles the frame is exactly the one an exact list draws.
func TestDragReflowsRepliesAndSettlingRendersThemExactly(t *testing.T) {
	m := replyList(t, true, 100)
	_ = m.View()
	m.SetSize(90, 30) // a second width change at once: a drag
	if !m.Dragging() {
		t.Fatal("two quick width changes are not a drag")
	}
	m.SetSize(40, 30)
	dragged := m.View()
	for _, l := range strings.Split(dragged, "\n") {
		if ansi.StringWidth(l) > 40 {
			t.Fatalf("re-flowed row wider than the list: %q", ansi.Strip(l))
		}
	}
	if s := ansi.Strip(dragged); !strings.Contains(s, "handler") || !strings.Contains(s, "plan") {
		t.Fatalf("re-flowed reply lost its words:\n%s", s)
	}
	if e := m.entries[len(m.entries)-1]; !e.cache.approx {
		t.Fatal("the reply was rendered by glamour again during the drag, not re-flowed")
	}
	exact := replyList(t, false, 40)
	m.SettleResize()
	if got, want := m.View(), exact.View(); got != want || m.entries[len(m.entries)-1].cache.approx {
		t.Fatalf("after settling:\n%s\nwant:\n%s", ansi.Strip(got), ansi.Strip(want))
	}
}

// One resize on its own (a terminal's size set once) is rendered exactly
// at once, and without LazyResize every width is.
func TestASingleResizeAndNonLazyListsRenderExactly(t *testing.T) {
	for _, lazy := range []bool{true, false} {
		m := replyList(t, lazy, 100)
		_ = m.View()
		m.lastResize = m.lastResize.Add(-dragWindow) // long ago
		m.SetSize(40, 30)
		if got, want := m.View(), replyList(t, false, 40).View(); got != want {
			t.Fatalf("lazy=%v: a single resize is not exact:\n%s", lazy, ansi.Strip(got))
		}
	}
}
