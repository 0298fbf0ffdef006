package eventlist

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

func manyEntries(m *Model, n int) {
	var f feed
	for i := 0; i < n; i++ {
		m.Append(f.user(fmt.Sprintf("prompt number %d", i)))
	}
}

func TestFollowAndScroll(t *testing.T) {
	m := plain(t)
	m.SetSize(40, 10)
	manyEntries(m, 100)
	if !m.Following() {
		t.Fatal("a new list should follow")
	}
	mustContain(t, m.View(), "prompt number 99")

	press(m, "up")
	if m.Following() {
		t.Fatal("scrolling up must stop following")
	}
	press(m, "pgup", "pgup")
	v := m.View()
	mustNotContain(t, v, "prompt number 99")

	// New events while scrolled up do not move the view.
	var f feed
	f.seq = 1000
	m.Append(f.user("brand new"))
	if v2 := m.View(); !strings.Contains(v2, "1 new") || strings.Contains(v2, "brand new") {
		t.Fatalf("scrolled-up view should hint at new events without showing them:\n%s", v2)
	}

	press(m, "G")
	if !m.Following() {
		t.Fatal("G must follow again")
	}
	mustContain(t, m.View(), "brand new")

	press(m, "home")
	if m.Following() {
		t.Fatal("home must stop following")
	}
	mustContain(t, m.View(), "prompt number 0")
	press(m, "end")
	if !m.Following() {
		t.Fatal("end must follow")
	}

	m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if m.Following() {
		t.Fatal("wheel up must stop following")
	}
	for i := 0; i < 10; i++ {
		m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	}
	if !m.Following() {
		t.Fatal("scrolling down to the bottom should follow again")
	}
	press(m, "g", "f")
	if !m.Following() {
		t.Fatal("f must follow")
	}
}

func TestSelectionMoves(t *testing.T) {
	m := plain(t)
	m.SetSize(40, 6)
	manyEntries(m, 30)
	press(m, "k")
	if m.Following() {
		t.Fatal("k must stop following")
	}
	for i := 0; i < 10; i++ {
		press(m, "k")
	}
	v := m.View()
	mustContain(t, v, "> › prompt number 18")
	press(m, "j", "j")
	mustContain(t, m.View(), "> › prompt number 20")
}

func toolWithLines(f *feed, m *Model, id string, n int) {
	m.Append(f.action(id, "seq "+fmt.Sprint(n)))
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	m.Append(f.output(id, b.String()))
	m.Append(f.obs(id, 0, time.Second))
}

func TestResize(t *testing.T) {
	m := plain(t)
	var f feed
	m.Append(f.user(strings.Repeat("word ", 60)))
	toolWithLines(&f, m, "a", 20)
	m.SetSize(120, 20)
	checkBox(t, m.View(), 120, 20)
	m.SetSize(30, 20)
	lines := checkBox(t, m.View(), 30, 20)
	m.SetSize(30, 40)
	wide := checkBox(t, m.View(), 30, 40)
	if strings.Join(lines, "") == "" || strings.Join(wide, "") == "" {
		t.Fatal("empty view after resize")
	}
	// Wide characters in output are cut by cells, not bytes or runes.
	m.Append(f.action("wide", "wide"))
	m.Append(f.output("wide", strings.Repeat("世", 100)+"\n"+strings.Repeat("🎉", 100)+"\n"))
	for _, w := range []int{21, 22, 7} {
		m.SetSize(w, 20)
		checkBox(t, m.View(), w, 20)
	}
	// The prompt wraps at the narrow width: more rows than at 120.
	m.SetSize(120, 40)
	n120 := len(m.lines(m.entries[0]))
	m.SetSize(30, 40)
	if n30 := len(m.lines(m.entries[0])); n30 <= n120 {
		t.Fatalf("prompt has %d rows at width 30 and %d at 120; it should wrap", n30, n120)
	}
}

func TestTinySizesNeverPanic(t *testing.T) {
	m := New(Options{SpillDir: t.TempDir()}) // coloured styles too
	defer m.Close()
	m.Focus()
	var f feed
	m.Append(f.user("hello 世界 🎉 a long prompt that wraps"))
	toolWithLines(&f, m, "a", 50)
	m.Append(f.err("boom"))
	for w := 0; w <= 10; w++ {
		for h := 0; h <= 3; h++ {
			m.SetSize(w, h)
			checkBox(t, m.View(), w, h)
			press(m, "k", "up", "pgup", "g", "space", "j", "down", "pgdown", "G")
			checkBox(t, m.View(), w, h)
			press(m, "enter")
			checkBox(t, m.View(), w, h)
			press(m, "end", "home", "right", "/")
			typeText(m, "li")
			checkBox(t, m.View(), w, h)
			press(m, "enter", "n", "N", "esc")
			press(m, "/")
			typeText(m, "line")
			press(m, "enter", "ctrl+f")
			checkBox(t, m.View(), w, h)
			press(m, "ctrl+f", "n")
			checkBox(t, m.View(), w, h)
		}
	}
}

func TestCapturingInput(t *testing.T) {
	m := plain(t)
	m.SetSize(60, 20)
	var f feed
	toolWithLines(&f, m, "a", 5)
	press(m, "/")
	if !m.CapturingInput() {
		t.Fatal("search box open: must capture input")
	}
	press(m, "esc")
	if m.CapturingInput() {
		t.Fatal("esc must close the search box")
	}
	press(m, "enter")
	if !m.CapturingInput() {
		t.Fatal("full view open: must capture input")
	}
	press(m, "esc")
	if m.CapturingInput() {
		t.Fatal("esc must close the full view")
	}

	// A full view survives losing focus but stops capturing keys.
	press(m, "enter")
	m.Blur()
	if m.CapturingInput() || !m.FullOutputOpen() {
		t.Fatalf("blurred: capturing=%v open=%v, want false, true", m.CapturingInput(), m.FullOutputOpen())
	}
	press(m, "esc")
	if !m.FullOutputOpen() {
		t.Fatal("keys must be ignored when not focused")
	}
	m.Focus()
	if !m.CapturingInput() {
		t.Fatal("focused again with the full view open: must capture input")
	}
	press(m, "esc")
	m.Blur()
	press(m, "k")
	if !m.Following() {
		t.Fatal("keys must be ignored when not focused")
	}
}

// Paging from the top to the bottom shows every entry exactly in order,
// across more entries than the render cache holds.
func TestPagingReachesEveryEntry(t *testing.T) {
	m := plain(t)
	m.SetSize(40, 10)
	const n = 3 * lruSize
	manyEntries(m, n)
	press(m, "g")
	seen := map[string]bool{}
	next := 0
	for i := 0; i < 10*n && !m.Following(); i++ {
		for _, l := range strings.Split(m.View(), "\n") {
			if _, num, ok := strings.Cut(l, "prompt number "); ok && !seen[num] {
				if num != fmt.Sprint(next) {
					t.Fatalf("saw prompt %s, expected %d next", num, next)
				}
				seen[num] = true
				next++
			}
		}
		press(m, "pgdown")
	}
	for _, l := range strings.Split(m.View(), "\n") {
		if _, num, ok := strings.Cut(l, "prompt number "); ok && !seen[num] {
			seen[num] = true
			next++
		}
	}
	if next != n {
		t.Fatalf("paging showed %d of %d entries", next, n)
	}
	if len(m.lru) > lruSize {
		t.Fatalf("render cache holds %d entries, cap %d", len(m.lru), lruSize)
	}
	cached := 0
	for _, e := range m.entries {
		if e.cache.ok {
			cached++
		}
	}
	if cached > lruSize {
		t.Fatalf("%d entries keep a render, cap %d", cached, lruSize)
	}
}
